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
// there is one (splitting those that grew past twice the shard size at
// keys its ledger gives), else by sampling the pair's keys
// (planFirstRun, sampleplan.go).
func (r *Verifier) plan(ctx context.Context, prevRunID string) ([]state.PlannedPair, error) {
	var prev *ledger.Manifest
	if prevRunID != "" {
		m, _, err := r.st.ReadManifest(ctx, prevRunID)
		if err != nil {
			return nil, fmt.Errorf("planning from the previous run: %w", err)
		}
		prev = m
	}
	var out []state.PlannedPair
	for _, pair := range r.cfg.Pairs {
		var ranges []inventory.KeyRange
		var err error
		if mp := state.FindPair(prev, pair.Name); mp != nil {
			ranges, err = r.planFromLedger(ctx, prevRunID, mp)
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

// planFromLedger keeps the previous shards, splitting those with more than
// twice the shard size into shards of the shard size.
func (r *Verifier) planFromLedger(ctx context.Context, runID string, mp *ledger.ManifestPair) ([]inventory.KeyRange, error) {
	size := int64(r.cfg.Run.ShardSize)
	var out []inventory.KeyRange
	for _, s := range mp.Shards {
		var entries int64
		for _, f := range s.Files {
			entries += f.Entries
		}
		if entries <= 2*size {
			out = append(out, s.Range)
			continue
		}
		var cuts []string
		var n int64
		for _, f := range s.Files {
			err := r.st.ReadLedger(ctx, runID, f, func(e *ledger.Entry) error {
				if n > 0 && n%size == 0 {
					cuts = append(cuts, e.Key)
				}
				n++
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		start := s.Range.Start
		for _, c := range cuts {
			out = append(out, inventory.KeyRange{Start: start, End: c})
			start = c
		}
		out = append(out, inventory.KeyRange{Start: start, End: s.Range.End})
	}
	return out, nil
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
