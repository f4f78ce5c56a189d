package verify

import (
	"context"
	"fmt"
	"slices"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
)

// BaselineOpener opens the S3 Inventory a legacy store's baseline names,
// its manifest read and checked, with the reading options o.
type BaselineOpener func(ctx context.Context, s config.Store, o s3inventory.Options) (*s3inventory.Inventory, error)

// baselines says which S3 Inventories the run rec rests on. A pair's first
// run — no earlier run planned the pair — reads the baselines of its
// legacy stores: their manifests are read now, and named with their dates
// in the record, so that every shard (another process, a Lambda
// invocation) reads the same ones. A later run carries what the previous
// run's record says: the keys those inventories settled are in the
// previous ledger, and a baseline added to the configuration after a
// pair's first run is not read.
func (r *Verifier) baselines(ctx context.Context, rec *state.Record) ([]state.Baseline, error) {
	var prev *state.Record
	if rec.PreviousRunID != "" {
		var err error
		if prev, err = r.st.ReadRecord(ctx, rec.PreviousRunID); err != nil {
			return nil, fmt.Errorf("reading the previous run's record for its baselines: %w", err)
		}
	}
	var out []state.Baseline
	for _, pair := range r.cfg.Pairs {
		if prev != nil && slices.ContainsFunc(prev.Pairs, func(p state.PlannedPair) bool { return p.Name == pair.Name }) {
			for _, b := range prev.Baselines {
				if b.Pair == pair.Name {
					out = append(out, b)
				}
			}
			continue
		}
		for _, name := range pair.Legacy {
			s := r.cfg.Stores[name]
			if s.Baseline == nil {
				continue
			}
			if r.opts.OpenBaseline == nil {
				return nil, fmt.Errorf("store %s has a baseline, but this run cannot read S3 Inventories", name)
			}
			inv, err := r.opts.OpenBaseline(ctx, s, s3inventory.Options{Prefix: s.Prefix})
			if err != nil {
				return nil, fmt.Errorf("reading the baseline of store %s: %w", name, err)
			}
			m := inv.Manifest()
			out = append(out, state.Baseline{Pair: pair.Name, Store: name, Inventory: m.Location, Date: m.Created, Format: string(m.Format), ReadBy: rec.RunID})
			r.log.Info("a first run reads a baseline", "pair", pair.Name, "store", name, "inventory", m.Location,
				"date", m.Created, "format", string(m.Format), "files", len(m.Files), "checksum_verified", m.ChecksumVerified)
		}
	}
	return out, nil
}

// openBaselines opens the baselines the run rec reads for pair over the
// shard's range rng, as the engine's inputs. The caller closes each
// listing.
func (r *Verifier) openBaselines(ctx context.Context, rec *state.Record, pair string, rng inventory.KeyRange) ([]parity.Baseline, error) {
	var out []parity.Baseline
	for _, b := range rec.Baselines {
		if b.Pair != pair || b.ReadBy != rec.RunID {
			continue
		}
		s, ok := r.cfg.Stores[b.Store]
		if !ok || s.Baseline == nil || r.opts.OpenBaseline == nil {
			closeAll(out)
			return nil, fmt.Errorf("run %s reads the baseline of store %s, which the configuration no longer names", rec.RunID, b.Store)
		}
		inv, err := r.opts.OpenBaseline(ctx, s, s3inventory.Options{Prefix: s.Prefix, Range: rng, PageSize: r.cfg.Run.PageSize, Logger: r.log})
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("reading the baseline of store %s: %w", b.Store, err)
		}
		m := inv.Manifest()
		if m.Location != b.Inventory || !m.Created.Equal(b.Date) {
			closeAll(out)
			return nil, fmt.Errorf("the baseline of store %s is %s of %s, but run %s began with %s of %s", b.Store, m.Location, m.Created, rec.RunID, b.Inventory, b.Date)
		}
		out = append(out, parity.Baseline{Store: b.Store, Source: m.Location, Date: m.Created, Listing: inv.Records(ctx).Fingerprints()})
	}
	return out, nil
}

func closeAll(bs []parity.Baseline) {
	for _, b := range bs {
		b.Listing.Close()
	}
}
