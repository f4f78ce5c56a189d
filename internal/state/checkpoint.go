package state

import (
	"bytes"
	"context"
	"fmt"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// Checkpoint is a shard's progress: the ledger parts written so far, each
// ending at a multiple of the checkpoint interval, so that where a run was
// interrupted never shows in what it writes.
type Checkpoint struct {
	// Cursor is the last key of the last part; "" before the first.
	Cursor string `json:"cursor"`
	// Parts are the ledger parts written, in order.
	Parts []ledger.ManifestFile `json:"parts"`
	// Tally counts the verdicts in Parts.
	Tally ledger.Tally `json:"tally"`
	// DeepBytes counts the bytes read for the keys in Parts, against the
	// run's deep verification budget.
	DeepBytes int64 `json:"deep_bytes"`
	// Done is set when the shard's whole range is judged.
	Done bool `json:"done"`
	// Evidence counts the entries of Parts per kind of evidence.
	Evidence map[ledger.Evidence]int64 `json:"evidence,omitempty"`
	// Exceptions are the exception files written beside Parts
	// (ExceptionPartPath): the entries of each part whose verdicts are
	// exceptions or critical, for parts that have any.
	Exceptions []ledger.ManifestFile `json:"exceptions,omitempty"`
	// SplitPoints are the keys at which the count of entries in Parts
	// reached a multiple of SplitEvery (ledger.ManifestShard).
	SplitEvery  int64    `json:"split_every,omitempty"`
	SplitPoints []string `json:"split_points,omitempty"`
}

// Recorded reports whether the checkpoint recorded, from its first part,
// the tally, evidence, exception files and split points of its parts — as
// every checkpoint does but those of a shard begun by an earlier version.
func (cp *Checkpoint) Recorded() bool { return len(cp.Parts) == 0 || cp.SplitEvery > 0 }

// ReadCheckpoint reads a shard's checkpoint; a shard not yet begun has the
// zero Checkpoint.
func (s *State) ReadCheckpoint(ctx context.Context, runID, pair, shard string) (Checkpoint, error) {
	var cp Checkpoint
	_, err := s.getJSON(ctx, CheckpointName(runID, pair, shard), &cp)
	return cp, err
}

// WriteCheckpoint writes a shard's checkpoint. Callers write the parts it
// names first, so a checkpoint never names a part that is not whole.
func (s *State) WriteCheckpoint(ctx context.Context, runID, pair, shard string, cp Checkpoint) error {
	return s.putRewritten(ctx, CheckpointName(runID, pair, shard), cp)
}

// PartPath is the path of a shard's n-th ledger part, relative to the
// run's folder, as the manifest names it.
func PartPath(pair, shard string, n int) string {
	return fmt.Sprintf("ledger/%s/%s/part-%06d%s", pair, shard, n, ledger.FileExt)
}

// ExceptionPartPath is the path of the exceptions of a shard's n-th
// ledger part, relative to the run's folder, as the manifest names it.
func ExceptionPartPath(pair, shard string, n int) string {
	return fmt.Sprintf("exceptions/%s/%s/part-%06d%s", pair, shard, n, ledger.FileExt)
}

// WritePart writes a ledger part (or an exception file) at path (PartPath,
// ExceptionPartPath) of the run.
func (s *State) WritePart(ctx context.Context, runID, path string, body []byte) error {
	return s.st.Put(ctx, RunDir(runID)+path, bytes.NewReader(body), storage.PutOptions{ContentType: "application/gzip"})
}

// Spent sums the deep verification bytes the run's checkpoints recorded.
func (s *State) Spent(ctx context.Context, rec *Record) (int64, error) {
	var n int64
	err := s.Checkpoints(ctx, rec, func(_ string, _ PlannedShard, cp Checkpoint) error {
		n += cp.DeepBytes
		return nil
	})
	return n, err
}

// checkpointReads is how many checkpoints Checkpoints reads at once: a run
// of a billion objects has ten thousand of them.
const checkpointReads = 16

// Checkpoints reads the checkpoints of every shard of the run rec and
// calls fn with each, in the plan's order, reading up to checkpointReads
// of them ahead. It stops at fn's first error.
func (s *State) Checkpoints(ctx context.Context, rec *Record, fn func(pair string, sh PlannedShard, cp Checkpoint) error) error {
	type read struct {
		pair string
		sh   PlannedShard
		done chan struct{}
		cp   Checkpoint
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *read, checkpointReads)
	go func() {
		defer close(queue)
		sem := make(chan struct{}, checkpointReads)
		for _, p := range rec.Pairs {
			for _, sh := range p.Shards {
				rd := &read{pair: p.Name, sh: sh, done: make(chan struct{})}
				select {
				case queue <- rd:
				case <-ctx.Done():
					return
				}
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; close(rd.done) }()
					rd.cp, rd.err = s.ReadCheckpoint(ctx, rec.RunID, rd.pair, rd.sh.ID)
				}()
			}
		}
	}()
	for rd := range queue {
		<-rd.done
		if rd.err != nil {
			return rd.err
		}
		if err := fn(rd.pair, rd.sh, rd.cp); err != nil {
			return err
		}
	}
	return ctx.Err()
}
