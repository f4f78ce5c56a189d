package parity

import (
	"fmt"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// The evidence ladder: the first equal pair in this order is the evidence a
// verdict rests on. Full-object checksums come first, then the MD5, then
// composite forms (DESIGN.md, Fingerprints and evidence). rung returns a
// checksum kind's place on it and its evidence, or -1 for a kind that is
// not on the ladder.
func rung(alg inventory.Algorithm, typ inventory.ChecksumType) (int, ledger.Evidence) {
	if typ == inventory.FullObject {
		switch alg {
		case inventory.CRC64NVME:
			return 0, ledger.EvidenceCRC64NVME
		case inventory.CRC32C:
			return 1, ledger.EvidenceCRC32C
		case inventory.SHA256:
			return 2, ledger.EvidenceSHA256
		case inventory.SHA384:
			return 3, ledger.EvidenceSHA384
		case inventory.SHA1:
			return 4, ledger.EvidenceSHA1
		case inventory.CRC32:
			return 5, ledger.EvidenceCRC32
		case inventory.MD5:
			return 6, ledger.EvidenceMD5
		}
		return -1, ""
	}
	switch alg {
	case inventory.MD5:
		return 7, ledger.EvidenceMultipartMD5
	case inventory.CRC32C:
		return 8, ledger.EvidenceMultipartCRC32C
	case inventory.SHA256:
		return 9, ledger.EvidenceMultipartSHA256
	case inventory.SHA1:
		return 10, ledger.EvidenceMultipartSHA1
	case inventory.CRC32:
		return 11, ledger.EvidenceMultipartCRC32
	}
	return -1, ""
}

// Rungs past the checksums, for ranking the evidence of several copies.
const (
	rungDeep     = 12
	rungAsserted = 13
	rungNone     = 14
)

// pairResult is how one pair of checksums compares.
type pairResult uint8

const (
	// incomparable: the values cannot settle anything (different part
	// layouts, an ETag that is not an MD5).
	incomparable pairResult = iota
	// equal: the same algorithm, type and value.
	equal
	// differ: a definite difference.
	differ
	// maybeDiffer: the values differ, but one is an ETag whose object's
	// encryption is unknown: a HEAD must tell whether it is an MD5.
	maybeDiffer
)

// etagUsable says what an ETag-derived checksum is worth given the object's
// encryption: an MD5 when the object is known not to be SSE-KMS or SSE-C,
// nothing when it is, and unknown until a HEAD has told.
func etagUsable(fp *inventory.Fingerprint) (usable, known bool) {
	switch fp.Encryption {
	case "":
		return false, false
	case inventory.EncryptionNone, "AES256":
		return true, true
	default: // aws:kms, aws:kms:dsse, SSE-C, and anything else we cannot vouch for
		return false, true
	}
}

// usable reports whether the checksum may take part in a comparison at all,
// and whether it is certain (a difference in it proves a mismatch).
func usable(c inventory.Checksum, fp *inventory.Fingerprint) (ok, certain bool) {
	if c.Source != inventory.FromETag {
		return true, true
	}
	u, known := etagUsable(fp)
	if known {
		return u, u
	}
	return true, false
}

// comparePair compares checksum a (of fingerprint fa) with b (of fb). The
// caller has checked they share algorithm and type.
func comparePair(a inventory.Checksum, fa *inventory.Fingerprint, b inventory.Checksum, fb *inventory.Fingerprint) pairResult {
	okA, certainA := usable(a, fa)
	okB, certainB := usable(b, fb)
	if !okA || !okB {
		return incomparable
	}
	if a.Type == inventory.Composite && a.Parts != b.Parts {
		return incomparable
	}
	if a.Value == b.Value {
		return equal
	}
	if a.Type == inventory.Composite {
		// Composite values agree only under the same part layout, and no
		// store tells the whole layout (S3 gives the first part's size):
		// a difference proves nothing.
		return incomparable
	}
	if !certainA || !certainB {
		return maybeDiffer
	}
	return differ
}

func partSize(c inventory.Checksum, fp *inventory.Fingerprint) int64 {
	if c.PartSize > 0 {
		return c.PartSize
	}
	return fp.PartSize
}

// evidenceOf names the evidence an equal pair provides.
func evidenceOf(a, b inventory.Checksum, rung ledger.Evidence) ledger.Evidence {
	switch {
	case a.Source == inventory.FromMetadata || b.Source == inventory.FromMetadata:
		return ledger.EvidenceAsserted
	case a.Source == inventory.FromContent || b.Source == inventory.FromContent:
		return ledger.EvidenceDeep
	}
	return rung
}

// comparison is the outcome of comparing one legacy copy with the target.
type comparison struct {
	result   string // ledger.ResultEqual / ResultDiffer / ResultIncomparable
	evidence ledger.Evidence
	legacy   ledger.Value
	target   ledger.Value
	carried  bool
	// asserted is set when the only equality rests on metadata checksums.
	asserted bool
	// maybe is set when a difference in an ETag-derived MD5 awaits a HEAD
	// telling the object's encryption.
	maybe bool
	// differAsserted names an asserted checksum that differs, for details.
	differAsserted string
}

// provesEqual reports whether c proves the copies equal on checksums the
// stores computed: equal, not on metadata alone, not awaiting a HEAD.
func (c comparison) provesEqual() bool {
	return c.result == ledger.ResultEqual && !c.asserted && !c.maybe
}

// compareCopies compares legacy copy l with target t on the evidence ladder:
// a size difference is always a mismatch; then every pair of checksums of
// the same algorithm and type is compared; one definite difference is a
// mismatch, else the equal pair highest on the ladder proves parity.
func compareCopies(l, t *inventory.Fingerprint, acceptAsserted bool) comparison {
	if l.Size != t.Size {
		return comparison{
			result:   ledger.ResultDiffer,
			evidence: ledger.EvidenceSize,
			legacy:   ledger.SizeValue(l.Size),
			target:   ledger.SizeValue(t.Size),
		}
	}
	var best, assertedEq comparison
	bestRung, assertedRung := rungNone, rungNone
	var maybe bool
	var differAsserted string
	for _, a := range l.Checksums {
		r, ev := rung(a.Algorithm, a.Type)
		if r < 0 {
			continue
		}
		for _, b := range t.Checksums {
			if b.Algorithm != a.Algorithm || b.Type != a.Type {
				continue
			}
			res := comparePair(a, l, b, t)
			if res == incomparable {
				continue
			}
			ev := evidenceOf(a, b, ev)
			if ev == ledger.EvidenceAsserted {
				switch res {
				case equal:
					if r < assertedRung {
						assertedRung = r
						assertedEq = comparison{result: ledger.ResultEqual, evidence: ev, legacy: ledger.ChecksumValue(a), target: ledger.ChecksumValue(b), asserted: true}
					}
				case differ:
					if acceptAsserted {
						return comparison{result: ledger.ResultDiffer, evidence: ev, legacy: ledger.ChecksumValue(a), target: ledger.ChecksumValue(b)}
					}
					differAsserted = fmt.Sprintf("asserted %s differs from %s", a, b)
				}
				continue
			}
			switch res {
			case differ:
				return comparison{result: ledger.ResultDiffer, evidence: ev, legacy: ledger.ChecksumValue(a), target: ledger.ChecksumValue(b)}
			case maybeDiffer:
				maybe = true
			case equal:
				if r < bestRung {
					bestRung = r
					best = comparison{result: ledger.ResultEqual, evidence: ev, legacy: ledger.ChecksumValue(a), target: ledger.ChecksumValue(b)}
				}
			}
		}
	}
	haveBest, haveAsserted := bestRung != rungNone, assertedRung != rungNone
	switch {
	case haveBest:
		best.maybe = maybe
		return best
	case haveAsserted:
		assertedEq.maybe = maybe
		return assertedEq
	}
	return comparison{result: ledger.ResultIncomparable, evidence: ledger.EvidenceNone, maybe: maybe, differAsserted: differAsserted}
}
