package main

import (
	"context"
	"errors"
	"fmt"
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

// PlanAnswer is the shard list of a run, for the Distributed Map.
type PlanAnswer struct {
	RunID string `json:"run_id"`
	// Complete is true when the run's manifest is written.
	Complete bool        `json:"complete"`
	Shards   []ShardTask `json:"shards"`
}

// plan answers the shards of the run runID, or with NewRun those of the
// run in progress, or of a new run planned now.
func (inv *invocation) plan(ctx context.Context, runID string) (*PlanAnswer, error) {
	var rec *state.Record
	var err error
	if runID == NewRun {
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
	ans := &PlanAnswer{RunID: rec.RunID, Complete: complete, Shards: []ShardTask{}}
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			ans.Shards = append(ans.Shards, ShardTask{Action: "shard", RunID: rec.RunID, Pair: p.Name, Start: s.Range.Start, End: s.Range.End})
		}
	}
	inv.log.Info("planned", "run_id", rec.RunID, "shards", len(ans.Shards), "complete", complete)
	return ans, nil
}

// ShardAnswer is the outcome of a shard task. The Distributed Map invokes
// the task again with Cursor until Done.
type ShardAnswer struct {
	Done   bool         `json:"done"`
	Cursor string       `json:"cursor"`
	Counts ledger.Tally `json:"counts"`
}

// shard verifies one shard from its checkpoint until its end or the
// deadline. The checkpoint at the state location, not the task's cursor,
// says where to resume: the cursor is informative.
func (inv *invocation) shard(ctx context.Context, t ShardTask) (*ShardAnswer, error) {
	wctx, cancel := inv.h.workContext(ctx)
	defer cancel()
	started := time.Now()
	_, res, err := inv.runner.RunShard(wctx, t.RunID, t.Pair, inventory.KeyRange{Start: t.Start, End: t.End})
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("no run %s is recorded at %s", t.RunID, inv.env.Config.State)
	}
	if err != nil {
		return nil, err
	}
	if res.Cursor < t.Cursor {
		inv.log.Warn("the shard's checkpoint is behind the task's cursor; it resumed from the checkpoint", "task_cursor", t.Cursor, "checkpoint", res.Cursor)
	}
	inv.log.Info("shard invocation ends", "run_id", t.RunID, "pair", t.Pair, "start", t.Start, "end", t.End, "done", res.Done, "cursor", res.Cursor,
		"objects", res.Tally.Objects, "seconds", time.Since(started).Seconds())
	return &ShardAnswer{Done: res.Done, Cursor: res.Cursor, Counts: res.Tally}, nil
}
