package verify

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"

	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// budget is a run's deep verification budget, shared by its shards.
type budget struct {
	left atomic.Int64
}

// reserve takes n bytes from the budget if at least n+keep are left, and
// reports whether it did.
func (b *budget) reserve(n, keep int64) bool {
	for {
		left := b.left.Load()
		if keep > left || n > left-keep {
			return false
		}
		if b.left.CompareAndSwap(left, left-n) {
			return true
		}
	}
}

// shardBudget is the run's budget as one shard's engine reserves it
// ([parity.Budget]): it remembers what each key took until the key's entry
// is written, so that a checkpoint counts exactly the bytes spent on the
// keys it covers.
type shardBudget struct {
	run   *budget
	mu    sync.Mutex
	taken map[string]int64 // keys reserved for and not yet written
}

func newShardBudget(run *budget) *shardBudget {
	return &shardBudget{run: run, taken: map[string]int64{}}
}

// Reserve implements parity.Budget.
func (b *shardBudget) Reserve(key string, n, keep int64) bool {
	if !b.run.reserve(n, keep) {
		return false
	}
	b.mu.Lock()
	b.taken[key] += n
	b.mu.Unlock()
	return true
}

// spentOn returns the bytes reserved for key, and forgets them.
func (b *shardBudget) spentOn(key string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.taken[key]
	if ok {
		delete(b.taken, key)
	}
	return n
}

// resolver fulfils the engine's HEADs and content reads for one shard. The
// engine has reserved a read's bytes from the budget before it asks.
type resolver struct {
	stores map[string]inventory.Store
	// reading bounds the bytes of content in flight, across the process's
	// shards; limit is its size.
	reading *semaphore.Weighted
	limit   int64
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
// checksum.Digester, never holding it in memory, once its bytes fit in
// what may be in flight (a read larger than that waits for every other).
func (r *resolver) Read(ctx context.Context, req parity.ReadRequest) ([]inventory.Checksum, error) {
	s, err := r.store(req.Store)
	if err != nil {
		return nil, err
	}
	if w := min(req.Size, r.limit); r.reading != nil && w > 0 {
		if err := r.reading.Acquire(ctx, w); err != nil {
			return nil, fmt.Errorf("reading %q in %s: %w", req.Key, req.Store, err)
		}
		defer r.reading.Release(w)
	}
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
