package verify

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// budget is a run's deep verification budget, shared by its shards.
type budget struct {
	left atomic.Int64
}

// reserve takes n bytes from the budget, or reports that it cannot.
func (b *budget) reserve(n int64) bool {
	for {
		left := b.left.Load()
		if n > left {
			return false
		}
		if b.left.CompareAndSwap(left, left-n) {
			return true
		}
	}
}

// resolver fulfils the engine's HEADs and content reads for one shard,
// counting the bytes it reads.
type resolver struct {
	stores map[string]inventory.Store
	budget *budget
	read   int64 // bytes read since the last part was written
}

func (r *resolver) store(name string) (inventory.Store, error) {
	s, ok := r.stores[name]
	if !ok {
		return nil, fmt.Errorf("no store named %q", name)
	}
	return s, nil
}

// Head implements parity.Resolver.
func (r *resolver) Head(ctx context.Context, store, key string) (inventory.Fingerprint, error) {
	s, err := r.store(store)
	if err != nil {
		return inventory.Fingerprint{}, err
	}
	return s.Head(ctx, key)
}

// Read implements parity.Resolver: it streams the object through a
// checksum.Digester, never holding it in memory.
func (r *resolver) Read(ctx context.Context, req parity.ReadRequest) ([]inventory.Checksum, error) {
	s, err := r.store(req.Store)
	if err != nil {
		return nil, err
	}
	if !r.budget.reserve(req.Size) {
		return nil, fmt.Errorf("reading %d bytes of %q in %s: %w", req.Size, req.Key, req.Store, parity.ErrBudgetExhausted)
	}
	r.read += req.Size
	rc, err := s.Open(ctx, req.Key, inventory.Whole)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := checksum.NewDigester(req.PartSize)
	n, err := io.Copy(d, rc)
	if err != nil {
		return nil, fmt.Errorf("reading %q in %s: %w", req.Key, req.Store, err)
	}
	if n != req.Size {
		return nil, fmt.Errorf("reading %q in %s: %d bytes, but it was listed with %d (changed during the run)", req.Key, req.Store, n, req.Size)
	}
	return d.Checksums(), nil
}
