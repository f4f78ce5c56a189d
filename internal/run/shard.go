package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// RunShard verifies one shard from its checkpoint to its end, writing a
// ledger part and a checkpoint every CheckpointEvery entries. When ctx ends
// first (a Lambda's deadline), it returns Done false and the cursor of the
// last checkpoint: entries judged after it are judged again next time.
// Running a finished shard again is harmless: it returns its result.
func (r *Runner) RunShard(ctx context.Context, rec *Record, pairName, shardID string) (ShardResult, error) {
	shard, err := findShard(rec, pairName, shardID)
	if err != nil {
		return ShardResult{}, err
	}
	pair, err := r.cfg.Pair(pairName)
	if err != nil {
		return ShardResult{}, err
	}
	cpName := checkpointName(rec.RunID, pairName, shardID)
	var cp Checkpoint
	if _, err := getJSON(ctx, r.st, cpName, &cp); err != nil {
		return ShardResult{}, err
	}
	if cp.Done {
		return ShardResult{Done: true, Cursor: cp.Cursor, Tally: cp.Tally}, nil
	}

	res := &resolver{stores: map[string]inventory.Store{}, budget: &r.budget}
	engine, legacy, target, err := r.engineFor(ctx, rec, pair, res)
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
	if rec.PreviousRunID != "" {
		prev, err := r.previousLedger(ctx, rec.PreviousRunID, pairName, rng)
		if err != nil {
			return ShardResult{}, err
		}
		defer prev.Close()
		in.Previous = prev
	}

	w := &partWriter{ctx: ctx, r: r, rec: rec, pair: pairName, shard: shardID, cp: &cp, cpName: cpName, res: res, every: int64(r.cfg.Run.CheckpointEvery)}
	w.start()
	_, verr := engine.Verify(lctx, rng, in, w.add)
	if verr == nil {
		verr = w.flush()
	}
	if verr != nil {
		var oe *parity.OrderError
		var re *parity.RangeError
		if errors.As(verr, &oe) || errors.As(verr, &re) {
			// What was checkpointed may rest on a source that then went
			// backwards: start the shard over.
			if err := putJSON(ctx, r.st, cpName, Checkpoint{}); err != nil {
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
	if err := putJSON(ctx, r.st, cpName, cp); err != nil {
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
	ctx    context.Context
	r      *Runner
	rec    *Record
	pair   string
	shard  string
	cp     *Checkpoint
	cpName string
	res    *resolver
	every  int64

	buf   bytes.Buffer
	w     *ledger.Writer
	tally ledger.Tally
}

func (p *partWriter) start() {
	p.buf.Reset()
	p.w = ledger.NewWriter(&p.buf)
	p.tally = ledger.NewTally()
}

// add is the engine's emit: it encodes the entry at once.
func (p *partWriter) add(e *ledger.Entry) error {
	if err := p.w.Write(e); err != nil {
		return err
	}
	p.tally.Add(e)
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
	path := partPath(p.pair, p.shard, len(p.cp.Parts)+1)
	if err := p.r.st.Put(ctx, runDir(p.rec.RunID)+path, bytes.NewReader(p.buf.Bytes()), storage.PutOptions{ContentType: "application/gzip"}); err != nil {
		return err
	}
	p.cp.Parts = append(p.cp.Parts, ledger.ManifestFile{Path: path, Digest: d})
	p.cp.Cursor = d.Last
	p.cp.Tally.Merge(p.tally)
	p.cp.DeepBytes += p.res.read
	p.res.read = 0
	if err := putJSON(ctx, p.r.st, p.cpName, p.cp); err != nil {
		return err
	}
	if p.r.opts.Progress != nil {
		p.r.opts.Progress.Judged(p.tally.Objects, p.tally.Bytes)
	}
	p.start()
	return nil
}

// ReadLedger streams the entries of one ledger file to fn, checking the
// file's SHA-256 and entry count against its manifest digest.
func ReadLedger(ctx context.Context, st storage.Store, runID string, f ledger.ManifestFile, fn func(*ledger.Entry) error) error {
	rc, err := OpenLedgerFile(ctx, st, runID, f.Path)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := newHashingReader(rc)
	lr, err := ledger.NewReader(h, st.URL(runDir(runID)+f.Path))
	if err != nil {
		return err
	}
	defer lr.Close()
	var n int64
	for {
		e, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
		if err := fn(e); err != nil {
			return err
		}
	}
	return h.check(st.URL(runDir(runID)+f.Path), f, n)
}
