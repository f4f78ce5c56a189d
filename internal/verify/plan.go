package verify

import (
	"context"
	"fmt"
	"slices"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// maxPrefixShards bounds the shards a first run cuts from common prefixes.
const maxPrefixShards = 64

// plan cuts every pair into shards: along the previous run's shards when
// there is one (splitting those that grew past twice the shard size at the
// split points its manifest recorded), else by sampling the pair's keys
// (planFirstRun, sampleplan.go).
func (r *Verifier) plan(ctx context.Context, prevRunID string) ([]state.PlannedPair, error) {
	var prev map[string][]prevShard
	if prevRunID != "" {
		var err error
		if prev, err = r.previousShards(ctx, prevRunID); err != nil {
			return nil, fmt.Errorf("planning from the previous run: %w", err)
		}
	}
	var out []state.PlannedPair
	for _, pair := range r.cfg.Pairs {
		var ranges []inventory.KeyRange
		var err error
		if shards, ok := prev[pair.Name]; ok {
			ranges = r.planFromLedger(shards)
		} else {
			ranges, err = r.planFirstRun(ctx, pair)
		}
		if err != nil {
			return nil, fmt.Errorf("planning pair %s: %w", pair.Name, err)
		}
		pp := state.PlannedPair{Name: pair.Name}
		for i, rg := range ranges {
			pp.Shards = append(pp.Shards, state.PlannedShard{ID: fmt.Sprintf("%04d", i+1), Range: rg})
		}
		out = append(out, pp)
	}
	return out, nil
}

// prevShard is what planning keeps of a shard of the previous run's
// manifest: its range, its size, and where it may be cut.
type prevShard struct {
	rng     inventory.KeyRange
	entries int64
	// cuts are keys the shard may be cut at, each with the number of the
	// shard's entries before it, in key order.
	cuts []cut
}

type cut struct {
	key    string
	before int64
}

// previousShards reads the previous run's manifest a shard at a time and
// keeps, for each shard, its range, its number of entries and its cut
// points: the split points the shard recorded, or, in a manifest written
// before they were recorded, the first keys of its ledger parts. The
// ledger itself is never read.
func (r *Verifier) previousShards(ctx context.Context, runID string) (map[string][]prevShard, error) {
	out := map[string][]prevShard{}
	_, err := r.st.WalkManifest(ctx, state.ManifestName(runID), func(pair string, s *ledger.ManifestShard) error {
		ps := prevShard{rng: s.Range, entries: s.Entries()}
		switch {
		case s.SplitEvery > 0:
			for i, k := range s.SplitPoints {
				ps.cuts = append(ps.cuts, cut{key: k, before: int64(i+1) * s.SplitEvery})
			}
		default:
			var n int64
			for _, f := range s.Files {
				if n > 0 && f.Entries > 0 {
					ps.cuts = append(ps.cuts, cut{key: f.First, before: n})
				}
				n += f.Entries
			}
		}
		out[pair] = append(out[pair], ps)
		return nil
	})
	return out, err
}

// planFromLedger keeps the previous shards, cutting those with more than
// twice the shard size into shards of about the shard size, at the cut
// points they recorded.
func (r *Verifier) planFromLedger(shards []prevShard) []inventory.KeyRange {
	size := int64(r.cfg.Run.ShardSize)
	var out []inventory.KeyRange
	for _, s := range shards {
		if s.entries <= 2*size {
			out = append(out, s.rng)
			continue
		}
		start, from := s.rng.Start, int64(0)
		for _, c := range s.cuts {
			// Cut once a piece holds a shard's worth, and never leave a
			// last piece of less than half of one.
			if c.before-from >= size && s.entries-c.before >= size/2 && c.key > start && (s.rng.End == "" || c.key < s.rng.End) {
				out = append(out, inventory.KeyRange{Start: start, End: c.key})
				start, from = c.key, c.before
			}
		}
		out = append(out, inventory.KeyRange{Start: start, End: s.rng.End})
	}
	return out
}

// planFromPrefixes cuts the key space at the stores' top-level common
// prefixes, at most maxPrefixShards shards, or keeps one shard when the
// stores cannot list prefixes.
func (r *Verifier) planFromPrefixes(ctx context.Context, stores []string) ([]inventory.KeyRange, error) {
	seen := map[string]bool{}
	for _, name := range stores {
		s, err := r.openStore(ctx, name)
		if err != nil {
			return nil, err
		}
		pl, ok := s.(inventory.PrefixLister)
		if !ok {
			return []inventory.KeyRange{{}}, nil
		}
		ps, err := pl.Prefixes(ctx, "/")
		if err != nil {
			return nil, fmt.Errorf("listing the prefixes of %s: %w", name, err)
		}
		for _, p := range ps {
			seen[p] = true
		}
	}
	prefixes := make([]string, 0, len(seen))
	for p := range seen {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	// Cut before every step-th prefix; the first shard starts at "" and the
	// last ends nowhere, so every key belongs to exactly one shard.
	step := max(1, (len(prefixes)+maxPrefixShards-1)/maxPrefixShards)
	var cuts []string
	for i := step; i < len(prefixes); i += step {
		cuts = append(cuts, prefixes[i])
	}
	var out []inventory.KeyRange
	start := ""
	for _, c := range cuts {
		out = append(out, inventory.KeyRange{Start: start, End: c})
		start = c
	}
	return append(out, inventory.KeyRange{Start: start}), nil
}
