package parity

import (
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// matchProof compares the target now with the fingerprint proven earlier.
func (e *Engine) matchProof(p *ledger.Proof, t *inventory.Fingerprint) comparison {
	proven := p.Fingerprint()
	c := compareCopies(&proven, t, false)
	if c.asserted {
		// Metadata a migration tool wrote proves nothing about the target
		// itself being unchanged.
		return comparison{result: ledger.ResultIncomparable, evidence: ledger.EvidenceNone, maybe: c.maybe}
	}
	return c
}

// carryProof accepts a legacy copy as proven when it is the very object an
// earlier run proved (same ETag, size and version in the same store) and the
// target still matches the proven fingerprint. It spares a deep read of
// every unchanged object in every run.
func (e *Engine) carryProof(s *keyState, i int, prev *ledger.Entry, recreated bool) (comparison, bool) {
	if prev == nil || prev.ProvenAt == nil || recreated {
		return comparison{}, false
	}
	l := s.legacy[i]
	was, ok := prev.Store(e.pair.Legacy[i].Name)
	if !ok || was.Role != ledger.Legacy || was.ETag == "" || was.ETag != l.ETag || was.Size != l.Size || was.VersionID != l.VersionID {
		return comparison{}, false
	}
	m := e.matchProof(prev.ProvenAt, s.target)
	if m.result != ledger.ResultEqual {
		return comparison{}, false
	}
	return comparison{
		result:   ledger.ResultEqual,
		evidence: prev.ProvenAt.Evidence,
		legacy:   ledger.Value{Kind: ledger.KindETag, Text: l.ETag},
		target:   m.target,
		carried:  true,
	}, true
}

// proof returns the proof for a key whose copies all proved equal: the
// earlier one when the target still matches it, else a new one.
func (e *Engine) proof(s *keyState, prev *ledger.Entry, recreated bool, ev ledger.Evidence) *ledger.Proof {
	if prev != nil && prev.ProvenAt != nil && !recreated {
		if m := e.matchProof(prev.ProvenAt, s.target); m.result == ledger.ResultEqual {
			return prev.ProvenAt
		}
	}
	t := s.target
	sums := make([]inventory.Checksum, 0, len(t.Checksums))
	for _, c := range t.Checksums {
		if c.Source != inventory.FromMetadata {
			sums = append(sums, c)
		}
	}
	return &ledger.Proof{At: e.now, Evidence: ev, Size: t.Size, Checksums: sums, Encryption: t.Encryption, PartSize: t.PartSize}
}

// legacyUnchanged reports whether every compared legacy copy is the object
// the previous entry recorded (same ETag, size and version).
func (e *Engine) legacyUnchanged(s *keyState, prev *ledger.Entry, copies []int) bool {
	if prev.ProvenAt == nil {
		return false
	}
	for _, i := range copies {
		l := s.legacy[i]
		was, ok := prev.Store(e.pair.Legacy[i].Name)
		if !ok || was.ETag == "" || was.ETag != l.ETag || was.Size != l.Size || was.VersionID != l.VersionID {
			return false
		}
	}
	return true
}
