package parity

import (
	"fmt"
	"io"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// OrderError reports a source whose keys went backwards or repeated. The
// engine stops rather than risk a false missing or deleted verdict.
type OrderError struct {
	Source string // the store, or "previous ledger"
	Prev   string
	Key    string
}

func (e *OrderError) Error() string {
	if e.Prev == e.Key {
		return fmt.Sprintf("%s listed key %q twice: a listing must give each key once, in byte order", e.Source, e.Key)
	}
	return fmt.Sprintf("%s listed key %q after %q: a listing must be sorted in byte order", e.Source, e.Key, e.Prev)
}

// RangeError reports a listing that returned a key outside the shard's range.
type RangeError struct {
	Source string
	Key    string
	Range  inventory.KeyRange
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("%s listed key %q outside the shard %s", e.Source, e.Key, e.Range)
}

// fpCursor walks one listing, checking its order and range.
type fpCursor struct {
	name    string
	l       inventory.Listing
	r       inventory.KeyRange
	page    []inventory.Fingerprint
	i       int
	last    string
	started bool
	done    bool
}

// head returns the current fingerprint, or nil when the listing is done.
func (c *fpCursor) head() (*inventory.Fingerprint, error) {
	for !c.done && c.i >= len(c.page) {
		page, err := c.l.NextPage()
		if err == io.EOF {
			c.done = true
			break
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s over %s after %q: %w", c.name, c.r, c.last, err)
		}
		c.page, c.i = page, 0
		if err := c.check(); err != nil {
			return nil, err
		}
	}
	if c.done {
		return nil, nil
	}
	return &c.page[c.i], nil
}

// check verifies the order and range of a fresh page, in one pass.
func (c *fpCursor) check() error {
	for j := range c.page {
		k := c.page[j].Key
		if c.started && k <= c.last {
			return &OrderError{Source: c.name, Prev: c.last, Key: k}
		}
		if !c.r.Contains(k) {
			return &RangeError{Source: c.name, Key: k, Range: c.r}
		}
		c.last, c.started = k, true
	}
	return nil
}

// entryCursor walks a ledger stream, checking its order and skipping
// entries outside the range (a previous run may have sharded differently).
type entryCursor struct {
	name    string
	s       EntryStream
	r       inventory.KeyRange
	page    []ledger.Entry
	i       int
	last    string
	started bool
	done    bool
}

func (c *entryCursor) head() (*ledger.Entry, error) {
	if c.s == nil {
		return nil, nil
	}
	for !c.done {
		for c.i < len(c.page) {
			e := &c.page[c.i]
			if e.Key < c.r.Start {
				c.i++
				continue
			}
			if c.r.End != "" && e.Key >= c.r.End {
				c.done = true
				return nil, nil
			}
			return e, nil
		}
		page, err := c.s.NextPage()
		if err == io.EOF {
			c.done = true
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s after %q: %w", c.name, c.last, err)
		}
		for j := range page {
			k := page[j].Key
			if c.started && k <= c.last {
				return nil, &OrderError{Source: c.name, Prev: c.last, Key: k}
			}
			c.last, c.started = k, true
		}
		c.page, c.i = page, 0
	}
	return nil, nil
}

// merger is the k-way merge of a shard's sources. It holds one page per
// source, whatever the number of keys.
type merger struct {
	legacy    []fpCursor
	target    fpCursor
	previous  entryCursor
	baselines []fpCursor
	// bases are the baselines, bases[j]'s legacy store index baseStore[j]
	// (Verify refuses baselines of stores the pair does not have).
	bases     []Baseline
	baseStore []int
}

func newMerger(p Pair, r inventory.KeyRange, in Inputs) *merger {
	m := &merger{
		legacy:    make([]fpCursor, len(in.Legacy)),
		target:    fpCursor{name: p.Target.Name, l: in.Target, r: r},
		previous:  entryCursor{name: "previous ledger", s: in.Previous, r: r},
		baselines: make([]fpCursor, len(in.Baselines)),
		bases:     in.Baselines,
		baseStore: make([]int, len(in.Baselines)),
	}
	for i, l := range in.Legacy {
		m.legacy[i] = fpCursor{name: p.Legacy[i].Name, l: l, r: r}
	}
	for j, b := range in.Baselines {
		m.baselines[j] = fpCursor{name: "the baseline of " + b.Store + " (" + b.Source + ")", l: b.Listing, r: r}
		for i, l := range p.Legacy {
			if l.Name == b.Store {
				m.baseStore[j] = i
			}
		}
	}
	return m
}

// next loads the next key's fingerprints and previous entry into st. It
// returns false when every source is done. st points into the sources'
// current pages, which stay valid until the following call to next: pages
// are only fetched at its start.
func (m *merger) next(st *keyState) (bool, error) {
	var key string
	found := false
	consider := func(k string) {
		if !found || k < key {
			key, found = k, true
		}
	}
	for i := range m.legacy {
		f, err := m.legacy[i].head()
		if err != nil {
			return false, err
		}
		if f != nil {
			consider(f.Key)
		}
	}
	t, err := m.target.head()
	if err != nil {
		return false, err
	}
	if t != nil {
		consider(t.Key)
	}
	p, err := m.previous.head()
	if err != nil {
		return false, err
	}
	if p != nil {
		consider(p.Key)
	}
	for j := range m.baselines {
		b, err := m.baselines[j].head()
		if err != nil {
			return false, err
		}
		if b != nil {
			consider(b.Key)
		}
	}
	if !found {
		return false, nil
	}

	if len(st.baseline) != len(m.baselines) {
		st.baselines(m.bases, m.baseStore)
	}
	st.reset(key)
	for i := range m.legacy {
		c := &m.legacy[i]
		if c.i < len(c.page) && c.page[c.i].Key == key {
			st.legacy[i] = &c.page[c.i]
			c.i++
		}
	}
	if t != nil && t.Key == key {
		st.target = t
		m.target.i++
	}
	if p != nil && p.Key == key {
		st.prev = p
		m.previous.i++
	}
	for j := range m.baselines {
		c := &m.baselines[j]
		if c.i < len(c.page) && c.page[c.i].Key == key {
			st.baseline[j] = &c.page[c.i]
			c.i++
		}
	}
	return true, nil
}
