package parity

import (
	"fmt"
	"strconv"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/ledger"
)

// ladder orders the kinds of checksum evidence: the first equal pair found
// in this order is the evidence a verdict rests on. Full-object checksums
// come first, then the MD5, then composite forms (DESIGN.md, Fingerprints
// and evidence).
var ladder = []struct {
	alg inventory.Algorithm
	typ inventory.ChecksumType
	ev  ledger.Evidence
}{
	{inventory.CRC64NVME, inventory.FullObject, ledger.EvidenceCRC64NVME},
	{inventory.CRC32C, inventory.FullObject, ledger.EvidenceCRC32C},
	{inventory.SHA256, inventory.FullObject, ledger.EvidenceSHA256},
	{inventory.SHA384, inventory.FullObject, ledger.EvidenceSHA384},
	{inventory.SHA1, inventory.FullObject, ledger.EvidenceSHA1},
	{inventory.CRC32, inventory.FullObject, ledger.EvidenceCRC32},
	{inventory.MD5, inventory.FullObject, ledger.EvidenceMD5},
	{inventory.MD5, inventory.Composite, ledger.EvidenceMultipartMD5},
	{inventory.CRC32C, inventory.Composite, ledger.EvidenceMultipartCRC32C},
	{inventory.SHA256, inventory.Composite, ledger.EvidenceMultipartSHA256},
	{inventory.SHA1, inventory.Composite, ledger.EvidenceMultipartSHA1},
	{inventory.CRC32, inventory.Composite, ledger.EvidenceMultipartCRC32},
}

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
	legacy   string
	target   string
	// asserted is set when the only equality rests on metadata checksums.
	asserted bool
	// maybe is set when a difference in an ETag-derived MD5 awaits a HEAD
	// telling the object's encryption.
	maybe bool
	// differAsserted names an asserted checksum that differs, for details.
	differAsserted string
}

// compareCopies compares legacy copy l with target t on the evidence ladder:
// a size difference is always a mismatch; then every pair of checksums of
// the same algorithm and type is compared; one definite difference is a
// mismatch, else the first equal pair on the ladder proves parity.
func compareCopies(l, t *inventory.Fingerprint, acceptAsserted bool) comparison {
	if l.Size != t.Size {
		return comparison{
			result:   ledger.ResultDiffer,
			evidence: ledger.EvidenceSize,
			legacy:   "size:" + strconv.FormatInt(l.Size, 10),
			target:   "size:" + strconv.FormatInt(t.Size, 10),
		}
	}
	var best, assertedEq *comparison
	var maybe bool
	var differAsserted string
	for _, rung := range ladder {
		for _, a := range l.Checksums {
			if a.Algorithm != rung.alg || a.Type != rung.typ {
				continue
			}
			for _, b := range t.Checksums {
				if b.Algorithm != rung.alg || b.Type != rung.typ {
					continue
				}
				r := comparePair(a, l, b, t)
				if r == incomparable {
					continue
				}
				ev := evidenceOf(a, b, rung.ev)
				if ev == ledger.EvidenceAsserted {
					switch r {
					case equal:
						if assertedEq == nil {
							assertedEq = &comparison{result: ledger.ResultEqual, evidence: ev, legacy: a.String(), target: b.String(), asserted: true}
						}
					case differ:
						if acceptAsserted {
							return comparison{result: ledger.ResultDiffer, evidence: ev, legacy: a.String(), target: b.String()}
						}
						differAsserted = fmt.Sprintf("asserted %s differs from %s", a, b)
					}
					continue
				}
				switch r {
				case differ:
					return comparison{result: ledger.ResultDiffer, evidence: ev, legacy: a.String(), target: b.String()}
				case maybeDiffer:
					maybe = true
				case equal:
					if best == nil {
						best = &comparison{result: ledger.ResultEqual, evidence: ev, legacy: a.String(), target: b.String()}
					}
				}
			}
		}
	}
	switch {
	case best != nil:
		best.maybe = maybe
		return *best
	case assertedEq != nil:
		assertedEq.maybe = maybe
		return *assertedEq
	}
	return comparison{result: ledger.ResultIncomparable, evidence: ledger.EvidenceNone, maybe: maybe, differAsserted: differAsserted}
}
