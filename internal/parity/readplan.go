package parity

import (
	"github.com/parityproof/parityproof/pkg/inventory"
)

// readPlan is a content read the engine asks for.
type readPlan struct {
	store    int
	partSize int64
}

// planRead returns the content reads that could settle legacy copy i, or
// nil when none may be made. It reads the target alone first when the legacy
// copy has a checksum the content's digests can be compared with, so S3
// egress is avoided; it reads the legacy copy too only when that cannot
// settle the key.
func (e *Engine) planRead(s *keyState, i int, hidden bool) []readPlan {
	l := s.legacy[i]
	target := e.readTarget(s, l.PartSize)
	if target != nil && hasReadComparable(l) {
		return []readPlan{*target}
	}
	if hidden || s.read[i] || !e.canRead(s, i) {
		return nil
	}
	if target == nil && !s.read[len(s.legacy)] {
		return nil // the target cannot be read: reading the legacy copy alone settles nothing
	}
	plans := []readPlan{{store: i}}
	if target != nil {
		plans = append(plans, *target)
	}
	return plans
}

// readTarget plans a read of the target, or returns nil if it was read
// already or may not be.
func (e *Engine) readTarget(s *keyState, partSize int64) *readPlan {
	ti := len(s.legacy)
	if s.read[ti] || !e.canRead(s, ti) {
		return nil
	}
	return &readPlan{store: ti, partSize: partSize}
}

func (e *Engine) canRead(s *keyState, i int) bool {
	if !e.policy.DeepVerify || s.noRead != "" {
		return false
	}
	info := e.pair.Target
	if i < len(s.legacy) {
		info = e.pair.Legacy[i]
	}
	f := s.fp(i)
	return info.Features.Read && f != nil && f.Presence == inventory.Current && !f.Archived
}

// hasReadComparable reports whether f carries a checksum that a digest of
// the other copy's content can be compared with.
func hasReadComparable(f *inventory.Fingerprint) bool {
	for _, c := range f.Checksums {
		if c.Source == inventory.FromMetadata {
			continue
		}
		if ok, certain := usable(c, f); !ok || !certain {
			continue
		}
		switch {
		case c.Type == inventory.FullObject && (c.Algorithm == inventory.MD5 || c.Algorithm == inventory.CRC32C || c.Algorithm == inventory.CRC64NVME || c.Algorithm == inventory.SHA256):
			return true
		case c.Type == inventory.Composite && (c.Algorithm == inventory.MD5 || c.Algorithm == inventory.CRC32C) && partSize(c, f) > 0:
			return true
		}
	}
	return false
}

func dedupReads(rs []readPlan) []readPlan {
	out := rs[:0]
	seen := make(map[int]bool, len(rs))
	for _, r := range rs {
		if !seen[r.store] {
			seen[r.store] = true
			out = append(out, r)
		}
	}
	return out
}
