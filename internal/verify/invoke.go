package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// This file serves callers that carry a run from one process to the next —
// the Lambda functions, one invocation per shard — and callers that judge
// single keys outside any run (S3 ObjectRemoved events).

// Resume reads the record of the run runID for an invocation that names
// it (a Distributed Map's shard task), checks that it was begun with this
// configuration, and restores the run's deep verification budget: what the
// checkpoints written so far have not spent. Invocations running at once
// each see the budget left when they began, so together they may overspend
// it by what they read concurrently.
func (r *Verifier) Resume(ctx context.Context, runID string) (*state.Record, error) {
	rec, err := r.st.ReadRecord(ctx, runID)
	if err != nil {
		return nil, err
	}
	if rec.ConfigDigest != r.cfg.Digest {
		return nil, fmt.Errorf("run %s: %w", runID, ErrConfigChanged)
	}
	// What was spent is in every checkpoint of the run: ten thousand reads
	// at a billion objects, made only when there is a budget to spend.
	var spent int64
	if r.cfg.Policy.DeepVerifyBudget > 0 {
		if spent, err = r.st.Spent(ctx, rec); err != nil {
			return nil, fmt.Errorf("run %s: %w", runID, err)
		}
	}
	r.budget.left.Store(r.cfg.Policy.DeepVerifyBudget - spent)
	return rec, nil
}

// JudgeKey judges one logical key of a pair as it stands now, outside any
// run: it lists the key in every store of the pair, takes the key's entry
// from the ledger of the complete run prevRunID ("" for none) as the
// previous entry, and asks the engine, with now as the time of the
// judgement. skip is true when the key deserves no entry (no store holds it
// and the ledger never did). It reads content within the policy's deep
// verification budget, counted afresh for each call.
func (r *Verifier) JudgeKey(ctx context.Context, pairName, key, prevRunID string, now time.Time) (entry ledger.Entry, skip bool, err error) {
	pair, err := r.cfg.Pair(pairName)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	var b budget
	b.left.Store(r.cfg.Policy.DeepVerifyBudget)
	engine, legacy, target, err := r.engineFor(ctx, now, pair, r.newResolver(), newShardBudget(&b), 1)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	var legacyFPs []*inventory.Fingerprint
	for _, s := range legacy {
		fp, err := listKey(ctx, s, key)
		if err != nil {
			return ledger.Entry{}, false, err
		}
		legacyFPs = append(legacyFPs, fp)
	}
	targetFP, err := listKey(ctx, target, key)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	var prev *ledger.Entry
	if prevRunID != "" {
		if prev, err = r.st.LedgerEntry(ctx, prevRunID, pairName, key); err != nil {
			return ledger.Entry{}, false, err
		}
	}
	entry, skip, err = engine.Judge(ctx, key, legacyFPs, targetFP, prev)
	if err != nil {
		return ledger.Entry{}, false, fmt.Errorf("judging %q of pair %s: %w", key, pairName, err)
	}
	return entry, skip, nil
}

// listKey returns the store's listing fingerprint of exactly key, nil when
// the store does not list it.
func listKey(ctx context.Context, s inventory.Store, key string) (*inventory.Fingerprint, error) {
	fps, err := inventory.Collect(s.List(ctx, inventory.KeyRange{Start: key, End: key + "\x00"}))
	if err != nil {
		return nil, fmt.Errorf("listing %q in %s: %w", key, s.Name(), err)
	}
	for i := range fps {
		if fps[i].Key == key {
			return &fps[i], nil
		}
	}
	return nil, nil
}
