// Package memory is an in-memory [inventory.Store] for tests, benchmarks and
// examples. It reports what it is told to report: fixtures set fingerprints
// directly, or put content and let the store compute them.
package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// DefaultPageSize is the page size of listings unless [WithPageSize] says
// otherwise.
const DefaultPageSize = 1000

// Object is what the store holds under one key.
type Object struct {
	// Listed is the fingerprint listings return. Its Key is the object's key.
	Listed inventory.Fingerprint
	// Head is the fingerprint Head returns; nil means Listed.
	Head *inventory.Fingerprint
	// Content is the object's content, nil if it cannot be read.
	Content []byte
}

// Store is an in-memory store. It is safe for concurrent use.
type Store struct {
	name     string
	features inventory.Features
	pageSize int
	now      func() time.Time

	mu      sync.Mutex
	objects map[string]Object
	sorted  []string // the keys in byte order, nil when they changed since
	samples atomic.Int64
}

// Option configures a Store.
type Option func(*Store)

// WithPageSize sets the number of fingerprints per listing page.
func WithPageSize(n int) Option { return func(s *Store) { s.pageSize = n } }

// WithClock sets the clock that stamps modification times on Put.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithFeatures sets the features the store claims.
func WithFeatures(f inventory.Features) Option { return func(s *Store) { s.features = f } }

// New returns an empty store named name. By default it claims listing
// checksums, Head and Read.
func New(name string, opts ...Option) *Store {
	s := &Store{
		name:     name,
		pageSize: DefaultPageSize,
		now:      time.Now,
		features: inventory.Features{ListingChecksums: true, Head: true, Read: true},
		objects:  make(map[string]Object),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Set stores obj under obj.Listed.Key, replacing what was there.
func (s *Store) Set(obj Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[obj.Listed.Key]; !ok {
		s.sorted = nil
	}
	s.objects[obj.Listed.Key] = obj
}

// Put stores content under key with the fingerprint a store that lists MD5s
// would report: its size and its MD5 as a listing checksum.
func (s *Store) Put(key string, content []byte) {
	d := checksum.NewDigester(0)
	d.Write(content) //nolint:errcheck // a Digester never fails
	md5 := d.Checksums()[0]
	md5.Source = inventory.FromListing
	s.Set(Object{
		Listed: inventory.Fingerprint{
			Key:       key,
			Size:      int64(len(content)),
			Checksums: []inventory.Checksum{md5},
			Modified:  s.now().UTC(),
		},
		Content: bytes.Clone(content),
	})
}

// Delete removes key. It reports whether there was an object.
func (s *Store) Delete(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.objects[key]
	delete(s.objects, key)
	if ok {
		s.sorted = nil
	}
	return ok
}

// Name implements [inventory.Store].
func (s *Store) Name() string { return s.name }

// Features implements [inventory.Store].
func (s *Store) Features() inventory.Features { return s.features }

// List implements [inventory.Store]. The listing is a snapshot taken now.
func (s *Store) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	s.mu.Lock()
	fps := make([]inventory.Fingerprint, 0, len(s.objects))
	for k, o := range s.objects {
		if r.Contains(k) {
			fps = append(fps, o.Listed)
		}
	}
	s.mu.Unlock()
	sort.Slice(fps, func(i, j int) bool { return fps[i].Key < fps[j].Key })
	return NewListing(ctx, fps, s.pageSize)
}

// Head implements [inventory.Store].
func (s *Store) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return inventory.Fingerprint{}, err
	}
	s.mu.Lock()
	o, ok := s.objects[key]
	s.mu.Unlock()
	if !ok || o.Listed.Presence != inventory.Current {
		return inventory.Fingerprint{}, fmt.Errorf("head %q in %s: %w", key, s.name, inventory.ErrNotFound)
	}
	if o.Head != nil {
		return *o.Head, nil
	}
	return o.Listed, nil
}

// Open implements [inventory.Store].
func (s *Store) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	o, ok := s.objects[key]
	s.mu.Unlock()
	switch {
	case !ok || o.Listed.Presence != inventory.Current:
		return nil, fmt.Errorf("open %q in %s: %w", key, s.name, inventory.ErrNotFound)
	case o.Listed.Archived:
		return nil, fmt.Errorf("open %q in %s: %w", key, s.name, inventory.ErrArchived)
	case o.Content == nil:
		return nil, fmt.Errorf("open %q in %s: no content was stored", key, s.name)
	}
	content := o.Content
	if r.Offset > int64(len(content)) || r.Offset < 0 {
		return nil, fmt.Errorf("open %q in %s: offset %d outside %d bytes", key, s.name, r.Offset, len(content))
	}
	content = content[r.Offset:]
	if r.Length >= 0 && r.Length < int64(len(content)) {
		content = content[:r.Length]
	}
	return io.NopCloser(bytes.NewReader(content)), nil
}

// listing pages through a sorted slice.
type listing struct {
	ctx      context.Context
	fps      []inventory.Fingerprint
	pageSize int
	closed   bool
}

// NewListing returns a listing of fps, which must be sorted by key, in
// pages of pageSize. It is how benchmarks feed generated listings to the
// engine without a store.
func NewListing(ctx context.Context, fps []inventory.Fingerprint, pageSize int) inventory.Listing {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	return &listing{ctx: ctx, fps: fps, pageSize: pageSize}
}

func (l *listing) NextPage() ([]inventory.Fingerprint, error) {
	if l.closed {
		return nil, fmt.Errorf("listing is closed")
	}
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	if len(l.fps) == 0 {
		return nil, io.EOF
	}
	n := min(l.pageSize, len(l.fps))
	page := l.fps[:n:n]
	l.fps = l.fps[n:]
	return page, nil
}

func (l *listing) Close() error {
	l.closed = true
	return nil
}

var _ inventory.Store = (*Store)(nil)

// Keys returns the store's keys in byte order, for tests.
func (s *Store) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.objects))
	for k := range s.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Prefixes implements [inventory.PrefixLister].
func (s *Store) Prefixes(ctx context.Context, delimiter string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, k := range s.Keys() {
		if i := strings.Index(k, delimiter); i >= 0 {
			seen[k[:i+len(delimiter)]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

var _ inventory.KeySampler = (*Store)(nil)

// SampleKeys implements [inventory.KeySampler]. Each call counts as one
// listing request in [Store.Samples].
func (s *Store) SampleKeys(ctx context.Context, after string, n int) ([]string, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.samples.Add(1)
	s.mu.Lock()
	if s.sorted == nil {
		s.sorted = make([]string, 0, len(s.objects))
		for k := range s.objects {
			s.sorted = append(s.sorted, k)
		}
		slices.Sort(s.sorted)
	}
	keys := s.sorted
	s.mu.Unlock()
	i := sort.SearchStrings(keys, after)
	if i < len(keys) && keys[i] == after {
		i++
	}
	j := min(len(keys), i+max(1, n))
	return slices.Clone(keys[i:j]), j < len(keys), nil
}

// Samples returns the number of SampleKeys calls so far, for tests that
// bound a planner's listing requests.
func (s *Store) Samples() int64 { return s.samples.Load() }
