package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// RemovedObject is one object a deletion event names.
type RemovedObject struct {
	Bucket    string
	Key       string // the object's key in the bucket, decoded
	VersionID string
	// Event names the deletion ("ObjectRemoved:Delete",
	// "ObjectRemoved:DeleteMarkerCreated", EventBridge's deletion type…).
	Event string
	// Time is when the store saw the deletion: the time of the
	// re-judgement, so that the same event judged twice is judged the same.
	Time time.Time
}

// RejudgeAnswer says what became of each object the events named.
type RejudgeAnswer struct {
	Rejudged []RejudgedKey `json:"rejudged"`
	// Ignored lists the objects no store of the configuration holds.
	Ignored []IgnoredObject `json:"ignored"`
}

// RejudgedKey is one key's new judgement.
type RejudgedKey struct {
	Pair    string         `json:"pair"`
	Key     string         `json:"key"`
	Verdict ledger.Verdict `json:"verdict,omitempty"`
	Detail  string         `json:"detail,omitempty"`
	// Warning is set when no verdict could be given: the key is in no
	// store and no ledger, and nothing says whether it ever had a copy.
	Warning string `json:"warning,omitempty"`
	// Record is where the judgement is recorded; Written is false when the
	// record already held exactly this judgement.
	Record  string `json:"record"`
	Written bool   `json:"written"`
}

// IgnoredObject is an object outside every store.
type IgnoredObject struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// rejudgeTarget is a (pair, logical key) to re-judge with the events
// naming it.
type rejudgeTarget struct {
	pair, key string
	events    []state.RemovedEvent
}

// Rejudge re-judges the keys that deleted objects stand for, in every pair
// whose S3 stores hold them, against the newest complete run's ledger, and
// records each judgement at the state location (state.RejudgedName). The
// same events judged again change nothing. Judgements that changed
// something are counted through the Metrics hook.
func (r *Runner) Rejudge(ctx context.Context, removed []RemovedObject) (*RejudgeAnswer, error) {
	ans := &RejudgeAnswer{Rejudged: []RejudgedKey{}, Ignored: []IgnoredObject{}}
	targets, ignored := matchRemoved(r.cfg, removed)
	for _, o := range ignored {
		ans.Ignored = append(ans.Ignored, IgnoredObject{Bucket: o.Bucket, Key: o.Key, Reason: "no store of a pair holds it"})
		r.log.Warn("a deleted object outside every pair's stores", "bucket", o.Bucket, "key", o.Key)
	}
	if len(targets) == 0 {
		return ans, nil
	}
	against, err := r.state.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the latest complete run: %w", err)
	}
	counts := map[string]map[ledger.Verdict]int64{}
	var pairs []string
	for _, t := range targets {
		slices.SortStableFunc(t.events, func(a, b state.RemovedEvent) int { return a.Time.Compare(b.Time) })
		rec := &state.Rejudged{Schema: state.RejudgedSchema, Pair: t.pair, Key: t.key, AgainstRunID: against,
			JudgedAt: t.events[len(t.events)-1].Time, Events: t.events}
		entry, skip, err := r.verify.JudgeKey(ctx, t.pair, t.key, against, rec.JudgedAt)
		if err != nil {
			return nil, err
		}
		rk := RejudgedKey{Pair: t.pair, Key: t.key}
		if skip {
			// Never silently accepted: the key was deleted, yet no store
			// holds it and no ledger knew it, so whether it ever had a copy
			// is unknown. The next run cannot tell either.
			rec.Warning = unknownKeyWarning(against)
			rk.Warning = rec.Warning
		} else {
			rec.Entry = &entry
			rk.Verdict, rk.Detail = entry.Verdict, entry.Detail
		}
		if rk.Record, rk.Written, err = r.state.PutRejudged(ctx, rec); err != nil {
			return nil, err
		}
		if skip {
			r.log.Warn("a deleted key is in no store and no ledger: nothing says whether it had a copy", "pair", t.pair, "key", t.key,
				"against_run_id", against, "events", len(t.events), "record", rk.Record, "written", rk.Written)
		} else {
			r.log.Info("re-judged a deleted key", "pair", t.pair, "key", t.key, "verdict", string(rk.Verdict), "against_run_id", against,
				"record", rk.Record, "written", rk.Written)
		}
		ans.Rejudged = append(ans.Rejudged, rk)
		if rk.Written && !skip {
			if counts[t.pair] == nil {
				counts[t.pair] = map[ledger.Verdict]int64{}
				pairs = append(pairs, t.pair)
			}
			counts[t.pair][entry.Verdict]++
		}
	}
	// Only judgements that changed something are counted, so that an event
	// delivered twice does not count twice.
	if r.opts.Metrics != nil {
		for _, p := range pairs {
			if err := r.opts.Metrics.Verdicts(p, counts[p], map[string]string{"source": "rejudge", "against_run_id": against}); err != nil {
				return nil, err
			}
		}
	}
	return ans, nil
}

// matchRemoved maps deleted objects to the (pair, logical key)s they stand
// for: an object in an S3 store's bucket, under its prefix, is that
// store's logical key in every pair the store belongs to. It returns the
// keys in the order first named, and the objects no store holds.
func matchRemoved(cfg *config.Config, removed []RemovedObject) ([]*rejudgeTarget, []RemovedObject) {
	var targets []*rejudgeTarget
	var ignored []RemovedObject
	byKey := map[[2]string]*rejudgeTarget{}
	for _, o := range removed {
		matched := false
		for _, name := range cfg.StoreNames {
			s := cfg.Stores[name]
			if s.Type != config.S3 || s.Bucket != o.Bucket || !strings.HasPrefix(o.Key, s.Prefix) || o.Key == s.Prefix {
				continue
			}
			key := strings.TrimPrefix(o.Key, s.Prefix)
			for _, p := range cfg.Pairs {
				if !slices.Contains(p.Legacy, name) && p.Target != name {
					continue
				}
				matched = true
				k := [2]string{p.Name, key}
				t := byKey[k]
				if t == nil {
					t = &rejudgeTarget{pair: p.Name, key: key}
					byKey[k] = t
					targets = append(targets, t)
				}
				t.events = append(t.events, state.RemovedEvent{Store: name, Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID, Event: o.Event, Time: o.Time})
			}
		}
		if !matched {
			ignored = append(ignored, o)
		}
	}
	return targets, ignored
}

// unknownKeyWarning says why a deleted key got no verdict.
func unknownKeyWarning(against string) string {
	ledgerName := "the ledger of run " + against
	if against == "" {
		ledgerName = "any ledger (no run is complete yet)"
	}
	return "no store of the pair holds the key and it is not in " + ledgerName +
		": it was deleted, but nothing says whether it ever had a copy (created and deleted between runs, or before the first run without a baseline)"
}
