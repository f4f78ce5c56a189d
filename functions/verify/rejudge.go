package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/storage"
)

// Re-judged keys are recorded at the state location, one file per key,
// complete run whose ledger they were judged against, and set of events:
//
//	rejudged/<run_id>/<pair>/<sha256 of the logical key>/<judged_at>-<digest of the events>.json
//
// (rejudged/none/… before any run is complete). A file holds a Rejudged:
// the key, the events behind the judgement and the ledger entry the engine
// gave. The judgement is stamped with the newest event's time, not the
// clock, so the same events judged again give the same file, which is then
// left as it is: the same event twice changes nothing, and other events of
// the same key add files beside it rather than replace it. The next
// complete run judges every key afresh and supersedes these files; they
// stay as the evidence of what was seen between runs.

// RejudgedSchema names the format of re-judged key files.
const RejudgedSchema = "parityproof.rejudged/v1"

// Rejudged is one key re-judged after S3 ObjectRemoved events.
type Rejudged struct {
	Schema string `json:"schema"`
	Pair   string `json:"pair"`
	Key    string `json:"key"`
	// AgainstRunID is the complete run whose ledger entry of the key was
	// taken as the previous entry; "" when no run was complete.
	AgainstRunID string `json:"against_run_id"`
	// JudgedAt is the newest event's time.
	JudgedAt time.Time `json:"judged_at"`
	// Events are the deletions that asked for the judgement, oldest first.
	Events []RemovedEvent `json:"events"`
	// Entry is the key's entry as the engine judged it; nil when it
	// deserves none (no store holds it and no ledger kept it).
	Entry *ledger.Entry `json:"entry"`
}

// RemovedEvent is one deletion as a Rejudged file records it.
type RemovedEvent struct {
	Store     string    `json:"store"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"object_key"`
	VersionID string    `json:"version_id,omitempty"`
	Event     string    `json:"event"`
	Time      time.Time `json:"time"`
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

// target is a (pair, logical key) to re-judge with the events naming it.
type target struct {
	pair, key string
	events    []RemovedEvent
}

// rejudge re-judges the keys the deletions name, in every pair whose
// stores hold them, against the latest complete run's ledger.
func (inv *invocation) rejudge(ctx context.Context, removed []RemovedObject) (*RejudgeAnswer, error) {
	cfg := inv.env.Config
	ans := &RejudgeAnswer{Rejudged: []RejudgedKey{}, Ignored: []IgnoredObject{}}
	var targets []*target
	byKey := map[[2]string]*target{}
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
					t = &target{pair: p.Name, key: key}
					byKey[k] = t
					targets = append(targets, t)
				}
				t.events = append(t.events, RemovedEvent{Store: name, Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID, Event: o.Event, Time: o.Time})
			}
		}
		if !matched {
			ans.Ignored = append(ans.Ignored, IgnoredObject{Bucket: o.Bucket, Key: o.Key, Reason: "no store of a pair holds it"})
			inv.log.Warn("a deleted object outside every pair's stores", "bucket", o.Bucket, "key", o.Key)
		}
	}
	if len(targets) == 0 {
		return ans, nil
	}
	against, err := run.LatestRunID(ctx, inv.state)
	if err != nil {
		return nil, fmt.Errorf("finding the latest complete run: %w", err)
	}
	counts := map[string]map[ledger.Verdict]int64{}
	var pairs []string
	for _, t := range targets {
		slices.SortStableFunc(t.events, func(a, b RemovedEvent) int { return a.Time.Compare(b.Time) })
		rec := Rejudged{Schema: RejudgedSchema, Pair: t.pair, Key: t.key, AgainstRunID: against, JudgedAt: t.events[len(t.events)-1].Time, Events: t.events}
		entry, skip, err := inv.runner.JudgeKey(ctx, t.pair, t.key, against, rec.JudgedAt)
		if err != nil {
			return nil, err
		}
		rk := RejudgedKey{Pair: t.pair, Key: t.key}
		if !skip {
			rec.Entry = &entry
			rk.Verdict, rk.Detail = entry.Verdict, entry.Detail
		}
		name, err := rejudgedName(against, t.pair, t.key, t.events)
		if err != nil {
			return nil, err
		}
		rk.Record = inv.state.URL(name)
		if rk.Written, err = putIfChanged(ctx, inv.state, name, rec); err != nil {
			return nil, err
		}
		inv.log.Info("re-judged a deleted key", "pair", t.pair, "key", t.key, "verdict", string(rk.Verdict), "against_run_id", against,
			"record", rk.Record, "written", rk.Written)
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
	for _, p := range pairs {
		if err := inv.h.metrics.Verdicts(p, counts[p], map[string]string{"source": "rejudge", "against_run_id": against}); err != nil {
			return nil, err
		}
	}
	return ans, nil
}

// rejudgedName is where a key's re-judgement after events (sorted oldest
// first) against a run is recorded.
func rejudgedName(runID, pair, key string, events []RemovedEvent) (string, error) {
	if runID == "" {
		runID = "none"
	}
	b, err := json.Marshal(events)
	if err != nil {
		return "", fmt.Errorf("encoding the events of %q: %w", key, err)
	}
	k, e := sha256.Sum256([]byte(key)), sha256.Sum256(b)
	at := events[len(events)-1].Time.UTC().Format("20060102T150405.000Z")
	return fmt.Sprintf("rejudged/%s/%s/%s/%s-%s.json", runID, pair, hex.EncodeToString(k[:]), at, hex.EncodeToString(e[:8])), nil
}

// putIfChanged writes v at name unless name already holds exactly its
// encoding, and reports whether it wrote.
func putIfChanged(ctx context.Context, st storage.Store, name string, v any) (bool, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return false, fmt.Errorf("encoding %s: %w", name, err)
	}
	b = append(b, '\n')
	rc, err := st.Get(ctx, name)
	switch {
	case err == nil:
		old, rerr := io.ReadAll(rc)
		rc.Close()
		if rerr != nil {
			return false, fmt.Errorf("reading %s: %w", st.URL(name), rerr)
		}
		if bytes.Equal(old, b) {
			return false, nil
		}
	case !errors.Is(err, storage.ErrNotExist):
		return false, fmt.Errorf("reading %s: %w", st.URL(name), err)
	}
	if err := st.Put(ctx, name, bytes.NewReader(b), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return false, fmt.Errorf("recording %s: %w", st.URL(name), err)
	}
	return true, nil
}
