package parity

import (
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// keyState is everything known about one logical key while it is judged:
// what every store listed, the previous ledger entry, and what HEADs and
// content reads have added so far.
type keyState struct {
	key string
	// legacy[i] is legacy store i's fingerprint, nil if it did not list the
	// key; legacyVal holds the values legacy points to.
	legacy    []*inventory.Fingerprint
	legacyVal []inventory.Fingerprint
	target    *inventory.Fingerprint
	targetVal inventory.Fingerprint
	prev      *ledger.Entry
	prevVal   ledger.Entry
	// baseline[j] is baseline j's fingerprint of the key, nil if it does
	// not list it; baselineVal holds the values it points to once owned.
	// bases describes the baselines (their listings unused here), and
	// baseStore[j] is baseline j's legacy store index.
	baseline    []*inventory.Fingerprint
	baselineVal []inventory.Fingerprint
	bases       []Baseline
	baseStore   []int

	// headed[i] and read[i] say whether store i (legacy stores first, the
	// target last) was asked already, so each is asked at most once.
	headed []bool
	read   []bool
	// failure is why the key cannot be judged (a HEAD or read that failed),
	// or "" when nothing failed.
	failure string
	// noRead is why content cannot be read (budget exhausted, archived),
	// or "" when it can.
	noRead string

	// Scratch reused from key to key, so judging a key allocates nothing
	// in the common case: the entry handed to emit lives here.
	entry  ledger.Entry
	stores []ledger.StoreFingerprint
	comps  []ledger.Comparison
	copies []int
	heads  []bool
}

func newKeyState(legacy int) *keyState {
	return &keyState{
		legacy:    make([]*inventory.Fingerprint, legacy),
		legacyVal: make([]inventory.Fingerprint, legacy),
		headed:    make([]bool, legacy+1),
		read:      make([]bool, legacy+1),
		stores:    make([]ledger.StoreFingerprint, 0, legacy+1),
		comps:     make([]ledger.Comparison, 0, legacy+1),
		copies:    make([]int, 0, legacy),
		heads:     make([]bool, legacy+1),
	}
}

// baselines sets the shard's baselines: bs, of the legacy stores stores.
func (s *keyState) baselines(bs []Baseline, stores []int) {
	s.bases, s.baseStore = bs, stores
	s.baseline = make([]*inventory.Fingerprint, len(bs))
	s.baselineVal = make([]inventory.Fingerprint, len(bs))
}

// ownBaselines makes the baselines' fingerprints the state's own copies,
// so that they outlive the pages of the baselines' listings: a key kept
// while the merge goes on (concurrent resolution, issue 11's detach) must
// call it with the listings' own.
func (s *keyState) ownBaselines() {
	for j, f := range s.baseline {
		if f != nil && f != &s.baselineVal[j] {
			s.baselineVal[j] = *f
			s.baseline[j] = &s.baselineVal[j]
		}
	}
}

func (s *keyState) reset(key string) {
	s.key = key
	clear(s.legacy)
	clear(s.baseline)
	s.target, s.prev = nil, nil
	clear(s.headed)
	clear(s.read)
	s.failure, s.noRead = "", ""
}

// newEntry resets the scratch entry for the key being judged.
func (s *keyState) newEntry() *ledger.Entry {
	s.entry = ledger.Entry{Key: s.key}
	return &s.entry
}

// own makes store i's fingerprint the state's own copy before it is
// changed: until then it may point into a listing's page.
func (s *keyState) own(i int) {
	if i == len(s.legacy) {
		if s.target != nil && s.target != &s.targetVal {
			s.targetVal = *s.target
			s.target = &s.targetVal
		}
		return
	}
	if f := s.legacy[i]; f != nil && f != &s.legacyVal[i] {
		s.legacyVal[i] = *f
		s.legacy[i] = &s.legacyVal[i]
	}
}

// fp returns store i's fingerprint (the target is index len(legacy)).
func (s *keyState) fp(i int) *inventory.Fingerprint {
	if i == len(s.legacy) {
		return s.target
	}
	return s.legacy[i]
}

// detach makes every fingerprint and the previous entry the state's own
// copies, so that the state outlives the listings' and the ledger's current
// pages: a key waiting for its turn to be emitted, or being resolved while
// the merge goes on, must not point into pages the sources reuse.
func (s *keyState) detach() {
	for i := range s.legacy {
		s.own(i)
	}
	s.own(len(s.legacy))
	s.ownBaselines()
	if s.prev != nil && s.prev != &s.prevVal {
		s.prevVal = s.prev.Clone()
		s.prev = &s.prevVal
	}
}
