package parity

import (
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
)

// heldBy returns the legacy stores that held the key before or hold it now,
// in the pair's order. The common case, every store, shares one slice.
func (e *Engine) heldBy(s *keyState, prevHeld []string) []string {
	n := 0
	for i, st := range e.pair.Legacy {
		if f := s.legacy[i]; f != nil && f.Holds() || contains(prevHeld, st.Name) {
			n++
		}
	}
	if n == len(e.pair.Legacy) {
		return e.allLegacy
	}
	out := make([]string, 0, n)
	for i, st := range e.pair.Legacy {
		if f := s.legacy[i]; f != nil && f.Holds() || contains(prevHeld, st.Name) {
			out = append(out, st.Name)
		}
	}
	return out
}

// storeFingerprints records what every store listed, legacy stores first.
func (e *Engine) storeFingerprints(s *keyState) []ledger.StoreFingerprint {
	n := 0
	for _, f := range s.legacy {
		if f != nil {
			n++
		}
	}
	if s.target != nil {
		n++
	}
	if n == 0 {
		return nil
	}
	out := s.stores[:0]
	for i, f := range s.legacy {
		if f != nil {
			sf := ledger.StoreFingerprint{Store: e.pair.Legacy[i].Name, Role: ledger.Legacy, Fingerprint: *f}
			sf.Key = ""
			out = append(out, sf)
		}
	}
	if s.target != nil {
		sf := ledger.StoreFingerprint{Store: e.pair.Target.Name, Role: ledger.Target, Fingerprint: *s.target}
		sf.Key = ""
		out = append(out, sf)
	}
	return out
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// stamp formats a time for details.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
