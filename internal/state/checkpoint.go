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
}

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

// WritePart writes a ledger part at path (PartPath) of the run.
func (s *State) WritePart(ctx context.Context, runID, path string, body []byte) error {
	return s.st.Put(ctx, RunDir(runID)+path, bytes.NewReader(body), storage.PutOptions{ContentType: "application/gzip"})
}

// Spent sums the deep verification bytes the run's checkpoints recorded.
func (s *State) Spent(ctx context.Context, rec *Record) (int64, error) {
	var n int64
	for _, p := range rec.Pairs {
		for _, sh := range p.Shards {
			cp, err := s.ReadCheckpoint(ctx, rec.RunID, p.Name, sh.ID)
			if err != nil {
				return 0, err
			}
			n += cp.DeepBytes
		}
	}
	return n, nil
}
