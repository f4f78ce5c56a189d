package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// RunAnswer answers a run request.
type RunAnswer struct {
	RunID string `json:"run_id"`
	// Done is true when the run is complete and its report published;
	// false when the deadline came first (the next run request resumes it).
	Done bool `json:"done"`
	// Report is report.json's location once published.
	Report string `json:"report,omitempty"`
	// Counts are the run's totals once complete.
	Counts *report.Totals `json:"counts,omitempty"`
	// Notified is the SNS message id of the report's announcement.
	Notified string `json:"notified,omitempty"`
}

// run resumes the run in progress, or begins one, verifies every shard
// until the deadline, and once the run is complete publishes its report.
func (inv *invocation) run(ctx context.Context) (*RunAnswer, error) {
	wctx, cancel := inv.h.workContext(ctx)
	defer cancel()
	rec, err := inv.runner.Begin(wctx, false)
	if err != nil {
		return nil, err
	}
	ans := &RunAnswer{RunID: rec.RunID}
	if _, err := inv.runner.Execute(wctx, false); err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			inv.log.Info("the run stopped at the deadline; the next run request resumes it", "run_id", rec.RunID)
			return ans, nil
		}
		return nil, err
	}
	// The report is published with the margin left: the run is complete,
	// and a new run request would begin the next run.
	out, err := inv.runner.Publish(ctx, rec.RunID)
	if err != nil {
		return nil, fmt.Errorf("run %s is complete, but its report is not published (invoke the report function with its run_id): %w", rec.RunID, err)
	}
	if out.NotifyErr != nil {
		return nil, fmt.Errorf("the report of run %s is published at %s, but: %w", rec.RunID, out.Published.ReportURL, out.NotifyErr)
	}
	ans.Done, ans.Report, ans.Notified = true, out.Published.ReportURL, out.Notified
	ans.Counts = &out.Report.Totals
	return ans, nil
}

// PlanAnswer says where a run's shard tasks are, for the Distributed
// Map's ItemReader: a few hundred bytes however many shards there are
// (Step Functions passes at most 256 KiB between states).
type PlanAnswer struct {
	RunID string `json:"run_id"`
	// Complete is true when the run's manifest is written.
	Complete bool `json:"complete"`
	// Count is the number of shard tasks.
	Count    int          `json:"count"`
	Location ListLocation `json:"location"`
}

// ListLocation is where the shard tasks are listed, one JSON object a line
// (state.ShardListName): its URL, and for a state location in S3 its bucket
// and key, as the ItemReader takes them, and the prefix the Distributed
// Map's ResultWriter writes under (state.MapResultsPrefix).
type ListLocation struct {
	URL           string `json:"url"`
	Bucket        string `json:"bucket,omitempty"`
	Key           string `json:"key,omitempty"`
	ResultsPrefix string `json:"results_prefix,omitempty"`
}

// plan lists the shard tasks of the run runID, or with NewRun those of the
// run in progress, or of a new run planned now, at the run's state prefix,
// and answers where.
func (inv *invocation) plan(ctx context.Context, runID string) (*PlanAnswer, error) {
	var rec *state.Record
	var err error
	if runID == NewRun {
		// Every store and location is checked before a run begins or is
		// joined: a problem of the configuration fails the plan with all
		// of them named, and nothing is written.
		if err := inv.runner.Preflight(ctx).Err(); err != nil {
			return nil, err
		}
		rec, err = inv.runner.Begin(ctx, false)
	} else {
		rec, err = inv.runner.State().ReadRecord(ctx, runID)
		if errors.Is(err, storage.ErrNotExist) {
			return nil, fmt.Errorf("no run %s is recorded at %s; plan {\"run_id\":%q} to begin one", runID, inv.env.Config.State, NewRun)
		}
	}
	if err != nil {
		return nil, err
	}
	complete, err := inv.runner.State().Complete(ctx, rec.RunID)
	if err != nil {
		return nil, err
	}
	var jsonl bytes.Buffer
	enc := json.NewEncoder(&jsonl)
	enc.SetEscapeHTML(false)
	ans := &PlanAnswer{RunID: rec.RunID, Complete: complete}
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			if err := enc.Encode(ShardTask{Action: "shard", RunID: rec.RunID, Pair: p.Name, Start: s.Range.Start, End: s.Range.End}); err != nil {
				return nil, fmt.Errorf("listing the shards of run %s: %w", rec.RunID, err)
			}
			ans.Count++
		}
	}
	url, err := inv.runner.State().WriteShardList(ctx, rec.RunID, jsonl.Bytes())
	if err != nil {
		return nil, fmt.Errorf("listing the shards of run %s: %w", rec.RunID, err)
	}
	ans.Location = locationOf(url)
	if ans.Location.Bucket != "" {
		ans.Location.ResultsPrefix = locationOf(inv.runner.State().URL(state.MapResultsPrefix(rec.RunID))).Key
	}
	inv.log.Info("planned", "run_id", rec.RunID, "shards", ans.Count, "complete", complete, "list", url)
	return ans, nil
}

// locationOf splits an s3:// URL into its bucket and key.
func locationOf(url string) ListLocation {
	loc := ListLocation{URL: url}
	if rest, ok := strings.CutPrefix(url, "s3://"); ok {
		loc.Bucket, loc.Key, _ = strings.Cut(rest, "/")
	}
	return loc
}

// ShardAnswer is the outcome of a shard task. The Distributed Map invokes
// the task again with Cursor and Stalled until Done.
type ShardAnswer struct {
	Done   bool         `json:"done"`
	Cursor string       `json:"cursor"`
	Counts ledger.Tally `json:"counts"`
	// Stalled counts the invocations in a row that ended with the cursor
	// where the task said it was: 0 when this one moved it.
	Stalled int `json:"stalled"`
}

// MaxStalled is how many invocations in a row may end with a shard's
// cursor where it was before the shard fails with ShardStalled.
const MaxStalled = 3

// ShardStalled is the error of a shard whose cursor has not moved in
// MaxStalled invocations: each judged less than a checkpoint's worth of
// keys (run.checkpoint_every) before its deadline. Its name is the error
// name the state machine sees (aws-lambda-go names an error by its type),
// and is not retried.
type ShardStalled struct {
	RunID, Pair, Shard, Cursor string
	Invocations                int
}

func (e *ShardStalled) Error() string {
	at := fmt.Sprintf("past %q", e.Cursor)
	if e.Cursor == "" {
		at = "from its start"
	}
	return fmt.Sprintf("shard %s of pair %s (run %s) has not moved %s in %d invocations: each ended before a checkpoint (run.checkpoint_every keys) was written; "+
		"lower run.checkpoint_every, or look at the shard's stores (a listing or a read that hangs)", e.Shard, e.Pair, e.RunID, at, e.Invocations)
}

// shard verifies one shard from its checkpoint until its end or the
// deadline. The checkpoint at the state location, not the task's cursor,
// says where to resume: the cursor is informative, and tells the progress
// guard whether this invocation moved it.
func (inv *invocation) shard(ctx context.Context, t ShardTask) (*ShardAnswer, error) {
	wctx, cancel := inv.h.workContext(ctx)
	defer cancel()
	started := time.Now()
	rec, res, err := inv.runner.RunShard(wctx, t.RunID, t.Pair, inventory.KeyRange{Start: t.Start, End: t.End})
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("no run %s is recorded at %s", t.RunID, inv.env.Config.State)
	}
	if err != nil {
		return nil, err
	}
	if res.Cursor < t.Cursor {
		inv.log.Warn("the shard's checkpoint is behind the task's cursor; it resumed from the checkpoint", "task_cursor", t.Cursor, "checkpoint", res.Cursor)
	}
	ans := &ShardAnswer{Done: res.Done, Cursor: res.Cursor, Counts: res.Tally}
	if !res.Done && res.Cursor == t.Cursor {
		ans.Stalled = t.Stalled + 1
	}
	inv.log.Info("shard invocation ends", "run_id", t.RunID, "pair", t.Pair, "start", t.Start, "end", t.End, "done", res.Done, "cursor", res.Cursor,
		"objects", res.Tally.Objects, "stalled", ans.Stalled, "seconds", time.Since(started).Seconds())
	if ans.Stalled >= MaxStalled {
		id, _ := rec.ShardByRange(t.Pair, inventory.KeyRange{Start: t.Start, End: t.End})
		return nil, &ShardStalled{RunID: t.RunID, Pair: t.Pair, Shard: id, Cursor: res.Cursor, Invocations: ans.Stalled}
	}
	return ans, nil
}
