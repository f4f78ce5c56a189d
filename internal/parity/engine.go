// Package parity is the verdict engine: it walks the sorted listings of a
// pair's legacy stores, its target and the previous ledger together (a
// k-way merge holding one page per source, whatever the number of objects),
// and judges every logical key by the rules of DESIGN.md.
//
// The engine does no I/O of its own and reads no clock: listings come in as
// [inventory.Listing] streams, the time as [Config.Now], and what a key
// needs beyond the listings (a HEAD, a content read) is asked of a
// [Resolver] the run layer fulfils.
package parity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// StoreInfo names a store of the pair and says what it can do.
type StoreInfo struct {
	Name     string
	Features inventory.Features
}

// Pair is the pair a shard belongs to.
type Pair struct {
	Name   string
	Legacy []StoreInfo
	Target StoreInfo
}

// Policy holds the choices DESIGN.md leaves to the configuration.
type Policy struct {
	// AcceptAssertedChecksums lets checksums a migration tool wrote into
	// user metadata prove parity.
	AcceptAssertedChecksums bool
	// DeepVerify allows content reads (the run's deep_verify_budget is not
	// zero). The budget itself is the Resolver's to keep.
	DeepVerify bool
}

// ReadRequest asks for a store's copy of a key to be read and hashed.
type ReadRequest struct {
	Store string
	Key   string
	// Size is the size the listing gave, for budgeting.
	Size int64
	// PartSize, when not zero, asks for composite checksums under that part
	// layout as well (the legacy S3 object's multipart ETag).
	PartSize int64
}

// ErrBudgetExhausted is returned (wrapped) by [Resolver.Read] when the run's
// deep verification budget does not cover the read. A Resolver needs it
// only when the engine keeps no [Budget].
var ErrBudgetExhausted = errors.New("deep verify budget exhausted")

// Budget is the deep verification budget that content reads are taken
// from. The engine reserves a read's bytes before it asks the [Resolver]
// for the read, and reserves them in key order: when several keys are
// resolved at once, a key's reservation is decided either exactly as it
// would be if every earlier key were settled first, or only once they are
// (see [Config.Concurrency]). So the same bytes are spent on the same keys
// as when keys are resolved one at a time.
type Budget interface {
	// Reserve takes n bytes for reading a copy of key if at least n+keep
	// bytes are left, and reports whether it did. Bytes taken stay spent,
	// even if the read then fails.
	Reserve(key string, n, keep int64) bool
}

// Resolver fulfils what the listings cannot tell.
type Resolver interface {
	// Head returns the store's fullest fingerprint of the current object
	// under key (an error wrapping inventory.ErrNotFound if there is none).
	Head(ctx context.Context, store, key string) (inventory.Fingerprint, error)
	// Read streams the copy and returns the checksums of its content
	// (source inventory.FromContent), as checksum.Digester computes them.
	Read(ctx context.Context, req ReadRequest) ([]inventory.Checksum, error)
}

// Config configures an [Engine].
type Config struct {
	Pair   Pair
	Policy Policy
	// Now stamps proofs and deletions.
	Now time.Time
	// Resolver answers HEADs and content reads; nil means none can be made
	// and keys that need them end unproven.
	Resolver Resolver
	// Budget is the deep verification budget reads are taken from; nil
	// means the engine keeps none (the Resolver may still refuse reads
	// with ErrBudgetExhausted, in the order it is asked).
	Budget Budget
	// Concurrency is how many HEADs and content reads one Verify keeps in
	// flight. With more than one, keys that need them are resolved while
	// the merge goes on, and their entries are still emitted in key order,
	// identical to those of keys resolved one at a time. 0 or 1 resolves
	// one key at a time, each request after the other.
	Concurrency int
}

// Engine judges the keys of one pair.
type Engine struct {
	pair        Pair
	policy      Policy
	now         time.Time
	resolver    Resolver
	budget      Budget
	concurrency int
	window      int // keys the concurrent path holds at once; 0 for its default (tests set it)
	allLegacy   []string
	nowPtr      *time.Time // shared by every entry deleted in this run
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if len(cfg.Pair.Legacy) == 0 {
		return nil, fmt.Errorf("pair %q has no legacy store", cfg.Pair.Name)
	}
	if cfg.Pair.Target.Name == "" {
		return nil, fmt.Errorf("pair %q has no target store", cfg.Pair.Name)
	}
	seen := map[string]bool{cfg.Pair.Target.Name: true}
	e := &Engine{pair: cfg.Pair, policy: cfg.Policy, now: cfg.Now.UTC(), resolver: cfg.Resolver, budget: cfg.Budget, concurrency: cfg.Concurrency}
	e.nowPtr = &e.now
	for _, l := range cfg.Pair.Legacy {
		if seen[l.Name] {
			return nil, fmt.Errorf("pair %q names store %q twice", cfg.Pair.Name, l.Name)
		}
		seen[l.Name] = true
		e.allLegacy = append(e.allLegacy, l.Name)
	}
	return e, nil
}

// EntryStream is a pull stream of ledger entries sorted by key, as
// [ledger.Reader] provides.
type EntryStream interface {
	// NextPage returns the next entries, or nil, io.EOF after the last. The
	// slice is valid until the next call.
	NextPage() ([]ledger.Entry, error)
}

// Inputs are the sources of one shard.
type Inputs struct {
	// Legacy holds one listing per legacy store, in the pair's order.
	Legacy []inventory.Listing
	Target inventory.Listing
	// Previous is the previous run's ledger over (at least) the shard's
	// range; nil for a first run. Entries outside the range are skipped.
	Previous EntryStream
	// Baselines are records of legacy stores taken before the first run
	// (S3 Inventories), at most one per legacy store. For a key the
	// previous ledger does not hold, they stand in for what no run saw:
	// which stores held it, and what each held.
	Baselines []Baseline
}

// Baseline is one legacy store's record of its keys taken before any run
// saw them: an S3 Inventory. A key it lists that no store holds any more
// was deleted before the run: `deleted` when the target's copy matches
// what the record lists (a comparable checksum and the size), else
// `deleted_unverified`, with the record named in the entry.
type Baseline struct {
	// Store is the legacy store the record lists, one of the pair's.
	Store string
	// Source names the record in the ledger: the inventory's manifest.
	Source string
	// Date is when the record was taken.
	Date time.Time
	// Listing streams the record's fingerprints sorted by logical key, as
	// a store's listing does (Presence telling a current object, a delete
	// marker over noncurrent versions, or noncurrent versions alone); keys
	// outside the shard's range are an error, like a listing's.
	Listing inventory.Listing
}

// Verify judges every key in r and passes each entry, in key order, to
// emit. Like bufio.Scanner's buffer, the entry and its slices are reused
// for the next key: emit encodes it or keeps a [ledger.Entry.Clone]. Verify
// returns the tally of what it emitted.
//
// A source out of order (or a listing outside r) stops it with an
// *OrderError or *RangeError naming the source and the keys. Disorder can
// only show when it happens, so entries emitted before any error are not a
// ledger: a shard's entries are whole only when Verify returns nil, and the
// caller discards a failed shard's output.
func (e *Engine) Verify(ctx context.Context, r inventory.KeyRange, in Inputs, emit func(*ledger.Entry) error) (ledger.Tally, error) {
	tally := ledger.NewTally()
	if len(in.Legacy) != len(e.pair.Legacy) {
		return tally, fmt.Errorf("pair %q: %d legacy listings for %d legacy stores", e.pair.Name, len(in.Legacy), len(e.pair.Legacy))
	}
	if err := e.checkBaselines(in.Baselines); err != nil {
		return tally, err
	}
	if e.concurrency > 1 && e.resolver != nil {
		return e.verifyConcurrent(ctx, r, in, emit)
	}
	m := newMerger(e.pair, r, in)
	st := newKeyState(len(e.pair.Legacy))
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return tally, err
			}
		}
		ok, err := m.next(st)
		if err != nil {
			return tally, err
		}
		if !ok {
			return tally, nil
		}
		d, err := e.settle(ctx, st)
		if err != nil {
			return tally, err
		}
		if d.skip {
			continue
		}
		if err := emit(d.entry); err != nil {
			return tally, fmt.Errorf("emitting entry %q: %w", st.key, err)
		}
		tally.Add(d.entry)
	}
}

// Judge judges one key from what is known of it: the fingerprints each
// store gives (nil for a store that does not list it) and the previous
// entry (nil for none). It asks the resolver for what it needs. skip is
// true when the key deserves no entry (no store holds it and no earlier
// ledger kept it). It is how event-driven re-judging of single keys works.
func (e *Engine) Judge(ctx context.Context, key string, legacy []*inventory.Fingerprint, target *inventory.Fingerprint, prev *ledger.Entry) (entry ledger.Entry, skip bool, err error) {
	if len(legacy) != len(e.pair.Legacy) {
		return ledger.Entry{}, false, fmt.Errorf("pair %q: %d legacy fingerprints for %d legacy stores", e.pair.Name, len(legacy), len(e.pair.Legacy))
	}
	st := newKeyState(len(legacy))
	st.reset(key)
	for i, f := range legacy {
		if f != nil {
			st.legacyVal[i] = *f
			st.legacy[i] = &st.legacyVal[i]
		}
	}
	if target != nil {
		st.targetVal = *target
		st.target = &st.targetVal
	}
	if prev != nil {
		st.prevVal = *prev
		st.prev = &st.prevVal
	}
	d, err := e.settle(ctx, st)
	if err != nil || d.skip {
		return ledger.Entry{}, d.skip, err
	}
	return d.entry.Clone(), false, nil
}

// settle judges the key in st, fulfilling HEADs and reads through the
// resolver, one request after the other, until the judgement is final.
// Each store is asked for each at most once, so it ends after a few rounds.
func (e *Engine) settle(ctx context.Context, st *keyState) (decision, error) {
	for {
		d := e.judge(st)
		if !d.needs() {
			return d, nil
		}
		if e.resolver == nil {
			for _, i := range d.heads {
				st.headed[i] = true
			}
			for _, p := range d.reads {
				st.read[p.store] = true
			}
			st.noRead = "no content reader is configured"
			continue
		}
		for _, i := range d.heads {
			st.headed[i] = true
			name := e.storeName(st, i)
			got, err := e.resolver.Head(ctx, name, st.key)
			if err := e.applyHead(ctx, st, i, got, err); err != nil {
				return decision{}, err
			}
		}
		for _, p := range d.reads {
			st.read[p.store] = true
			if st.noRead != "" {
				continue // the budget is spent: do not read the other side
			}
			if !e.reserve(st, p, 0) {
				st.noRead = budgetSpent
				continue
			}
			sums, err := e.resolver.Read(ctx, e.readRequest(st, p))
			if err := e.applyRead(ctx, st, p, sums, err); err != nil {
				return decision{}, err
			}
		}
	}
}

// budgetSpent is why content is not read once the budget is spent.
const budgetSpent = "the run's deep_verify_budget is spent"

// reserve takes the bytes of read p of the key in st from the budget, if
// that leaves keep bytes; with no budget it always can.
func (e *Engine) reserve(st *keyState, p readPlan, keep int64) bool {
	if e.budget == nil {
		return true
	}
	return e.budget.Reserve(st.key, st.fp(p.store).Size, keep)
}

func (e *Engine) storeName(st *keyState, i int) string {
	if i == len(st.legacy) {
		return e.pair.Target.Name
	}
	return e.pair.Legacy[i].Name
}

// applyHead merges the answer to a HEAD of store i into its fingerprint.
// Failures other than the context's are recorded on the key, not returned.
func (e *Engine) applyHead(ctx context.Context, st *keyState, i int, got inventory.Fingerprint, err error) error {
	name := e.storeName(st, i)
	switch {
	case err == nil:
		st.own(i)
		mergeHead(st.fp(i), &got)
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("head %q in %s: %w", st.key, name, ctx.Err())
	case errors.Is(err, inventory.ErrNotFound):
		st.failure = fmt.Sprintf("%s listed it but a HEAD found nothing (changed during the run; the next run settles it)", name)
	default:
		st.failure = fmt.Sprintf("HEAD in %s failed: %v", name, err)
	}
	return nil
}

// mergeHead adds what a HEAD told to a listed fingerprint. The HEAD's
// values win; listing checksums the HEAD did not repeat are kept; what only
// listings know (versions, uploads) stays.
func mergeHead(f, h *inventory.Fingerprint) {
	sums := append([]inventory.Checksum(nil), h.Checksums...)
	for _, c := range f.Checksums {
		dup := false
		for _, d := range h.Checksums {
			if c.Algorithm == d.Algorithm && c.Type == d.Type && c.Value == d.Value {
				dup = true
				break
			}
		}
		if !dup {
			sums = append(sums, c)
		}
	}
	f.Checksums = sums
	f.Size = h.Size
	if h.ETag != "" {
		f.ETag = h.ETag
	}
	f.Encryption = h.Encryption
	if h.PartCount != 0 {
		f.PartCount = h.PartCount
	}
	if h.PartSize != 0 {
		f.PartSize = h.PartSize
	}
	if h.StorageTier != "" {
		f.StorageTier = h.StorageTier
	}
	if h.ArchivalState != "" {
		f.ArchivalState = h.ArchivalState
	}
	f.Archived = f.Archived || h.Archived
	if h.VersionID != "" {
		f.VersionID = h.VersionID
	}
}

// readRequest is the request for read p of the key in st.
func (e *Engine) readRequest(st *keyState, p readPlan) ReadRequest {
	return ReadRequest{Store: e.storeName(st, p.store), Key: st.key, Size: st.fp(p.store).Size, PartSize: p.partSize}
}

// applyRead adds the checksums a content read of store p.store returned to
// its fingerprint. Failures other than the context's are recorded on the
// key, not returned.
func (e *Engine) applyRead(ctx context.Context, st *keyState, p readPlan, sums []inventory.Checksum, err error) error {
	name := e.storeName(st, p.store)
	switch {
	case err == nil:
		st.own(p.store)
		f := st.fp(p.store)
		f.Checksums = append(append([]inventory.Checksum(nil), f.Checksums...), sums...)
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("reading %q in %s: %w", st.key, name, ctx.Err())
	case errors.Is(err, ErrBudgetExhausted):
		st.noRead = budgetSpent
	case errors.Is(err, inventory.ErrArchived):
		st.failure = fmt.Sprintf("the copy in %s is archived and must be restored before it can be read", name)
	case errors.Is(err, inventory.ErrNotFound):
		st.failure = fmt.Sprintf("%s listed it but a read found nothing (changed during the run; the next run settles it)", name)
	default:
		st.failure = fmt.Sprintf("reading the copy in %s failed: %v", name, err)
	}
	return nil
}
