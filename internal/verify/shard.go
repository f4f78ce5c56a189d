package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/internal/state"
)

// RunShard verifies one shard from its checkpoint to its end, writing a
// ledger part and a checkpoint every CheckpointEvery entries. When ctx ends
// first (a Lambda's deadline), it returns Done false and the cursor of the
// last checkpoint: entries judged after it are judged again next time.
// Running a finished shard again is harmless: it returns its result.
func (r *Verifier) RunShard(ctx context.Context, rec *state.Record, pairName, shardID string) (ShardResult, error) {
	shard, err := rec.Shard(pairName, shardID)
	if err != nil {
		return ShardResult{}, err
	}
	pair, err := r.cfg.Pair(pairName)
	if err != nil {
		return ShardResult{}, err
	}
	guard := func() error { return nil }
	if r.opts.ShardLease != nil {
		hold, err := r.opts.ShardLease(ctx, rec.RunID, pairName, shardID)
		if err != nil {
			return ShardResult{}, fmt.Errorf("shard %s of pair %s: %w", shardID, pairName, err)
		}
		defer hold.Release()
		ctx, guard = hold.Ctx, hold.Err
	}
	cp, err := r.st.ReadCheckpoint(ctx, rec.RunID, pairName, shardID)
	if err != nil {
		return ShardResult{}, err
	}
	if cp.Done {
		return ShardResult{Done: true, Cursor: cp.Cursor, Tally: cp.Tally}, nil
	}

	res := r.newResolver()
	spent := newShardBudget(&r.budget)
	engine, legacy, target, err := r.engineFor(ctx, rec.StartedAt, pair, res, spent, r.cfg.Run.HeadConcurrency)
	if err != nil {
		return ShardResult{}, err
	}
	rng := shard.Range
	if cp.Cursor != "" {
		rng = rng.After(cp.Cursor)
	}

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := parity.Inputs{Target: target.List(lctx, rng)}
	defer in.Target.Close()
	for _, s := range legacy {
		l := s.List(lctx, rng)
		defer l.Close()
		in.Legacy = append(in.Legacy, l)
	}
	if in.Baselines, err = r.openBaselines(lctx, rec, pairName, rng); err != nil {
		return ShardResult{}, err
	}
	defer closeAll(in.Baselines)
	if rec.PreviousRunID != "" {
		prev, err := r.st.OpenLedger(ctx, rec.PreviousRunID, pairName, rng)
		if err != nil {
			return ShardResult{}, fmt.Errorf("reading the previous run's ledger: %w", err)
		}
		defer prev.Close()
		in.Previous = previousLedger{prev}
	}

	w := &partWriter{ctx: ctx, r: r, rec: rec, pair: pairName, shard: shardID, cp: &cp, spent: spent, every: int64(r.cfg.Run.CheckpointEvery),
		record: partRecord{splitEvery: int64(r.cfg.Run.ShardSize)}, guard: guard}
	w.start()
	_, verr := engine.Verify(lctx, rng, in, w.add)
	if verr == nil {
		verr = w.flush()
	}
	if verr != nil {
		var oe *parity.OrderError
		var re *parity.RangeError
		if lerr := guard(); lerr != nil {
			// The lease was lost: another writer may have the shard now.
			return ShardResult{}, fmt.Errorf("shard %s of pair %s: %w", shardID, pairName, lerr)
		}
		if errors.As(verr, &oe) || errors.As(verr, &re) {
			// What was checkpointed may rest on a source that then went
			// backwards: start the shard over.
			if err := r.st.WriteCheckpoint(ctx, rec.RunID, pairName, shardID, state.Checkpoint{}); err != nil {
				return ShardResult{}, errors.Join(verr, err)
			}
			return ShardResult{}, fmt.Errorf("shard %s of pair %s: %w", shardID, pairName, verr)
		}
		if ctx.Err() != nil {
			// A deadline or cancellation: the checkpoint stands.
			return ShardResult{Done: false, Cursor: cp.Cursor, Tally: cp.Tally}, nil
		}
		return ShardResult{}, fmt.Errorf("shard %s of pair %s: %w", shardID, pairName, verr)
	}
	cp.Done = true
	if err := guard(); err != nil {
		return ShardResult{}, fmt.Errorf("shard %s of pair %s: %w", shardID, pairName, err)
	}
	if err := r.st.WriteCheckpoint(ctx, rec.RunID, pairName, shardID, cp); err != nil {
		return ShardResult{}, err
	}
	if r.opts.Progress != nil {
		r.opts.Progress.ShardDone(pairName, shardID)
	}
	return ShardResult{Done: true, Cursor: cp.Cursor, Tally: cp.Tally}, nil
}

// partWriter writes a shard's entries into ledger parts of a fixed number
// of entries, each followed by a checkpoint.
type partWriter struct {
	ctx   context.Context
	r     *Verifier
	rec   *state.Record
	pair  string
	shard string
	cp    *state.Checkpoint
	spent *shardBudget
	every int64
	// guard returns nil while the shard's lease is held.
	guard func() error

	buf   bytes.Buffer
	w     *ledger.Writer
	tally ledger.Tally
	deep  int64 // bytes of the budget spent on the part's keys
	// record is what is recorded beside each part (part.go).
	record partRecord
}

func (p *partWriter) start() {
	p.buf.Reset()
	p.w = ledger.NewWriter(&p.buf)
	p.tally = ledger.NewTally()
	p.record.start()
}

// add is the engine's emit: it encodes the entry at once.
func (p *partWriter) add(e *ledger.Entry) error {
	if err := p.w.Write(e); err != nil {
		return err
	}
	if err := p.record.add(e, p.cp.Tally.Objects+p.tally.Objects); err != nil {
		return err
	}
	p.tally.Add(e)
	p.deep += p.spent.spentOn(e.Key)
	if p.tally.Objects == p.every {
		return p.flush()
	}
	return nil
}

// flush writes the current part and the checkpoint after it. The part is
// written before the checkpoint names it, so a checkpoint never names a
// part that is not whole.
func (p *partWriter) flush() error {
	ctx := p.ctx
	if p.tally.Objects == 0 {
		return nil
	}
	d, err := p.w.Close()
	if err != nil {
		return err
	}
	path := state.PartPath(p.pair, p.shard, len(p.cp.Parts)+1)
	if err := p.guard(); err != nil {
		return err
	}
	if err := p.record.write(ctx, p.r.st, p.rec.RunID, p.pair, p.shard, len(p.cp.Parts)+1); err != nil {
		return err
	}
	if err := p.r.st.WritePart(ctx, p.rec.RunID, path, p.buf.Bytes()); err != nil {
		return err
	}
	p.cp.Parts = append(p.cp.Parts, ledger.ManifestFile{Path: path, Digest: d})
	p.cp.Cursor = d.Last
	p.cp.Tally.Merge(p.tally)
	p.cp.DeepBytes += p.deep
	p.deep = 0
	p.record.merge(p.cp)
	if err := p.guard(); err != nil {
		return err
	}
	if err := p.r.st.WriteCheckpoint(ctx, p.rec.RunID, p.pair, p.shard, *p.cp); err != nil {
		return err
	}
	if p.r.opts.Progress != nil {
		p.r.opts.Progress.Judged(p.tally.Objects, p.tally.Bytes)
	}
	p.start()
	return nil
}

// previousLedger names the previous run's ledger in what its stream
// reports.
type previousLedger struct{ *state.LedgerStream }

func (p previousLedger) NextPage() ([]ledger.Entry, error) {
	page, err := p.LedgerStream.NextPage()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("previous %w", err)
	}
	return page, err
}
