package verify

import (
	"bytes"
	"context"
	"maps"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// partRecord is what a shard records beside each ledger part as it writes
// it, so that nothing later has to read the ledger again: the part's
// exceptions in a file of their own, its entries per kind of evidence, and
// the split points the next run's plan cuts at. Its tally is the part
// writer's. All of it reaches the checkpoint with the part, and the
// manifest from the checkpoint.
type partRecord struct {
	// splitEvery is the run's shard size: a split point every splitEvery
	// entries of the shard.
	splitEvery int64

	exc bytes.Buffer
	// excW is made at the part's first exception: most parts of a
	// healthy migration have none, and each writer holds a compressor of
	// about a megabyte while its part is written.
	excW     *ledger.Writer
	excFile  *ledger.ManifestFile
	evidence map[ledger.Evidence]int64
	splits   []string
}

// start begins the record of the next part.
func (x *partRecord) start() {
	x.exc.Reset()
	x.excW = nil
	x.excFile = nil
	x.evidence = map[ledger.Evidence]int64{}
	x.splits = x.splits[:0]
}

// add records e, the shard's entry number n (counting from 0).
func (x *partRecord) add(e *ledger.Entry, n int64) error {
	x.evidence[e.Evidence]++
	if x.splitEvery > 0 && n > 0 && n%x.splitEvery == 0 {
		x.splits = append(x.splits, e.Key)
	}
	if e.Verdict.IsException() {
		if x.excW == nil {
			x.excW = ledger.NewWriter(&x.exc)
		}
		return x.excW.Write(e)
	}
	return nil
}

// write writes the part's exceptions, if it has any, at
// state.ExceptionPartPath beside its ledger part number n.
func (x *partRecord) write(ctx context.Context, st *state.State, runID, pair, shard string, n int) error {
	if x.excW == nil {
		return nil // no exception
	}
	d, err := x.excW.Close()
	x.excW = nil
	if err != nil {
		return err
	}
	path := state.ExceptionPartPath(pair, shard, n)
	if err := st.WritePart(ctx, runID, path, x.exc.Bytes()); err != nil {
		return err
	}
	x.excFile = &ledger.ManifestFile{Path: path, Digest: d}
	return nil
}

// merge adds the part's record to the checkpoint that names the part.
func (x *partRecord) merge(cp *state.Checkpoint) {
	if x.excFile != nil {
		cp.Exceptions = append(cp.Exceptions, *x.excFile)
	}
	if cp.Evidence == nil {
		cp.Evidence = map[ledger.Evidence]int64{}
	}
	for ev, n := range maps.All(x.evidence) {
		cp.Evidence[ev] += n
	}
	// A shard begun by an earlier version has parts recorded by nothing:
	// its checkpoint never gets a SplitEvery, which tells the manifest to
	// leave its record out (state.Checkpoint.Recorded).
	if len(cp.Parts) == 1 {
		cp.SplitEvery = x.splitEvery
	}
	cp.SplitPoints = append(cp.SplitPoints, x.splits...)
}
