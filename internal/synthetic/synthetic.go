// Package synthetic generates stores of any number of objects for scale
// benchmarks (bench/lambda-scale): their listings are made page by page
// from the objects' numbers, so that a store holds nothing per object, and
// planted faults make exceptions at a chosen rate. Nothing here is used by
// a run outside benchmarks.
package synthetic

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Spec describes the objects of a pair's stores.
type Spec struct {
	// Objects is the number of objects of every legacy store.
	Objects int `json:"objects"`
	// Prefixes is the number of top-level prefixes the keys are under
	// (the first run's shards); 10 when 0.
	Prefixes int `json:"prefixes,omitempty"`
	// MissingEvery and MismatchEvery plant faults in the target: object i
	// is missing when i%MissingEvery == 1, and has another MD5 when
	// i%MismatchEvery == 2 (0: never).
	MissingEvery  int `json:"missing_every,omitempty"`
	MismatchEvery int `json:"mismatch_every,omitempty"`
	// PageLatency delays every listing page, as a store's LIST round trip
	// would.
	PageLatency time.Duration `json:"page_latency,omitempty"`
}

// Store is a store of the objects of a Spec.
type Store struct {
	name   string
	spec   Spec
	target bool
	per    int // objects under each prefix
}

// New returns the store name, the pair's target when target is true.
func New(name string, spec Spec, target bool) *Store {
	if spec.Prefixes <= 0 {
		spec.Prefixes = 10
	}
	return &Store{name: name, spec: spec, target: target, per: spec.Objects / spec.Prefixes}
}

// Key returns the key of object i: under prefix i%Prefixes, in the order
// of i there.
func (s *Store) Key(i int) string {
	return fmt.Sprintf("%03d/users/%010d/backup-%010d.tar", i%s.spec.Prefixes, i/s.spec.Prefixes, i)
}

// at returns the object at index j of the listing: keys sort by prefix,
// then by i.
func (s *Store) at(j int) int { return (j%s.per)*s.spec.Prefixes + j/s.per }

func (s *Store) total() int { return s.per * s.spec.Prefixes }

// Name implements inventory.Store.
func (s *Store) Name() string { return s.name }

// Features implements inventory.Store.
func (s *Store) Features() inventory.Features {
	return inventory.Features{ListingChecksums: true, Head: true, Read: true}
}

// List implements inventory.Store. As the S3 and OCI backends do, it
// lists a page ahead of its caller (inventory.Prefetch), so that the
// latency of a store's pages overlaps with the other stores' and the
// caller's work.
func (s *Store) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	first := sort.Search(s.total(), func(j int) bool { return s.Key(s.at(j)) >= r.Start })
	return inventory.Prefetch(ctx, "", func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
		l := &listing{ctx: ctx, s: s, j: first, end: r.End}
		for {
			page, err := l.NextPage()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if !emit(page) {
				return ctx.Err()
			}
		}
	})
}

// Head implements inventory.Store: nothing is ever asked of it, every key
// being settled by its listing.
func (s *Store) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	return inventory.Fingerprint{}, fmt.Errorf("head %q: %w", key, inventory.ErrNotFound)
}

// Open implements inventory.Store.
func (s *Store) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %q: %w", key, inventory.ErrNotFound)
}

// Prefixes implements inventory.PrefixLister.
func (s *Store) Prefixes(ctx context.Context, delimiter string) ([]string, error) {
	var out []string
	for i := range s.spec.Prefixes {
		out = append(out, fmt.Sprintf("%03d/", i))
	}
	return out, nil
}

type listing struct {
	ctx  context.Context
	s    *Store
	j    int
	end  string
	page []inventory.Fingerprint
}

var modified = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// NextPage returns the next page, io.EOF after the last.
func (l *listing) NextPage() ([]inventory.Fingerprint, error) {
	if d := l.s.spec.PageLatency; d > 0 {
		select {
		case <-time.After(d):
		case <-l.ctx.Done():
		}
	}
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	spec := l.s.spec
	l.page = make([]inventory.Fingerprint, 0, 1000) // the caller holds the last one
	for ; l.j < l.s.total() && len(l.page) < cap(l.page); l.j++ {
		i := l.s.at(l.j)
		key := l.s.Key(i)
		if l.end != "" && key >= l.end {
			l.j = l.s.total()
			break
		}
		if l.s.target && spec.MissingEvery > 0 && i%spec.MissingEvery == 1 {
			continue
		}
		sum := md5.Sum([]byte(key))
		if l.s.target && spec.MismatchEvery > 0 && i%spec.MismatchEvery == 2 {
			sum = md5.Sum([]byte(key + " changed"))
		}
		value := hex.EncodeToString(sum[:])
		src, etag := inventory.FromETag, value
		if l.s.target {
			src, etag = inventory.FromListing, "oci-"+value[:8]
		}
		l.page = append(l.page, inventory.Fingerprint{
			Key: key, Size: int64(1<<20 + i%4096), ETag: etag, Modified: modified, StorageTier: "STANDARD",
			Checksums: []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: value, Source: src}},
		})
	}
	if len(l.page) == 0 && l.j >= l.s.total() {
		return nil, io.EOF
	}
	return l.page, nil
}
