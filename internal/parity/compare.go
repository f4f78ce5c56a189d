package parity

import (
	"fmt"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// compareResult is the outcome of comparing every legacy copy with the
// target, or the HEADs and reads still needed.
type compareResult struct {
	decision
	verdict     ledger.Verdict
	evidence    ledger.Evidence
	details     []string
	comparisons []ledger.Comparison
}

// severityRank orders comparison verdicts: the worst one stands for the key.
var severityRank = map[ledger.Verdict]int{
	ledger.Verified: 0, ledger.Unproven: 1, ledger.Error: 2, ledger.Mismatch: 3,
}

// compareAll compares every legacy copy with the present target copy.
func (e *Engine) compareAll(s *keyState, copies []int, prev *ledger.Entry, recreated bool) compareResult {
	nL := len(s.legacy)
	ti := nL
	t := s.target
	var res compareResult
	res.verdict = ledger.Verified
	res.comparisons = s.comps[:0]
	heads := s.heads
	clear(heads)
	anyHead := false
	var reads []readPlan
	worst := -1
	for _, i := range copies {
		l := s.legacy[i]
		name := e.pair.Legacy[i].Name
		hidden := l.Presence != inventory.Current
		c := compareCopies(l, t, e.policy.AcceptAssertedChecksums)
		settled := c.result == ledger.ResultDiffer ||
			c.result == ledger.ResultEqual && !c.maybe && (!c.asserted || e.policy.AcceptAssertedChecksums)
		if !settled {
			// Unchanged since an earlier proof? The legacy copy's ETag,
			// size and version, and the target's proven fingerprint, tell.
			if pc, ok := e.carryProof(s, i, prev, recreated); ok {
				c = pc
			}
		}

		// An ETag that differs from the target's MD5 is a mismatch only once
		// a HEAD has shown the object is not SSE-KMS / SSE-C. When the
		// target's MD5 is an ETag too, its HEAD is asked with the legacy
		// copy's, in the same round.
		if c.maybe && !hidden && !s.headed[i] && e.pair.Legacy[i].Features.Head {
			heads[i], anyHead = true, true
			if !s.headed[ti] && e.pair.Target.Features.Head && etagUnknown(t) {
				heads[ti] = true
			}
			continue
		}
		if c.maybe && !s.headed[ti] && e.pair.Target.Features.Head && etagUnknown(t) {
			heads[ti], anyHead = true, true
			continue
		}
		if c.result == ledger.ResultIncomparable || c.asserted && !e.policy.AcceptAssertedChecksums {
			// Ask the stores for more: a HEAD of each side not asked yet.
			asked := false
			if !hidden && !s.headed[i] && e.pair.Legacy[i].Features.Head {
				heads[i], asked = true, true
			}
			if !s.headed[ti] && e.pair.Target.Features.Head {
				heads[ti], asked = true, true
			}
			if asked {
				anyHead = true
				continue
			}
			// Then read content, within the budget.
			if p := e.planRead(s, i, hidden); p != nil {
				reads = append(reads, p...)
				continue
			}
		}

		cmp := ledger.Comparison{Store: name, Evidence: c.evidence, Result: c.result, Legacy: c.legacy, Target: c.target, Carried: c.carried}
		res.comparisons = append(res.comparisons, cmp)
		var v ledger.Verdict
		switch {
		case c.result == ledger.ResultEqual && (!c.asserted || e.policy.AcceptAssertedChecksums):
			v = ledger.Verified
		case c.result == ledger.ResultDiffer:
			v = ledger.Mismatch
			if c.evidence == ledger.EvidenceSize {
				res.details = append(res.details, fmt.Sprintf("size differs: %s has %d bytes, %s has %d", name, c.legacy.Size, e.pair.Target.Name, c.target.Size))
			} else {
				res.details = append(res.details, fmt.Sprintf("%s differs: %s has %s, %s has %s", c.evidence, name, c.legacy, e.pair.Target.Name, c.target))
			}
		case e.policy.DeepVerify && s.noRead == "" && (t.Archived || l.Archived && !hasReadComparable(l)):
			v = ledger.Error
			res.details = append(res.details, fmt.Sprintf("no checksum of %s can be compared with one of %s, and the content needed is archived: restore it to read it", name, e.pair.Target.Name))
		default:
			v = ledger.Unproven
			res.details = append(res.details, e.unprovenReason(s, i, c))
		}
		if r := severityRank[v]; r > worst {
			worst = r
			res.verdict = v
			res.evidence = c.evidence
		} else if r == worst && v == ledger.Verified && c.evidence != res.evidence && rungIndex(c.evidence) > rungIndex(res.evidence) {
			res.evidence = c.evidence // the weakest evidence among the copies stands for the key
		}
	}
	if anyHead {
		for i := 0; i <= nL; i++ {
			if heads[i] {
				res.heads = append(res.heads, i)
			}
		}
		return res
	}
	if len(reads) > 0 {
		res.reads = dedupReads(reads)
		return res
	}
	if res.verdict != ledger.Verified {
		res.evidence = evidenceOfWorst(res.comparisons, res.evidence)
	}
	return res
}

// evidenceOfWorst keeps the evidence of a failing comparison, or none.
func evidenceOfWorst(cs []ledger.Comparison, ev ledger.Evidence) ledger.Evidence {
	for _, c := range cs {
		if c.Result == ledger.ResultDiffer {
			return c.Evidence
		}
	}
	if ev == "" {
		return ledger.EvidenceNone
	}
	return ev
}

// rungIndex places a kind of evidence on the ladder, for choosing the
// weakest evidence among several copies.
func rungIndex(ev ledger.Evidence) int {
	switch ev {
	case ledger.EvidenceDeep:
		return rungDeep
	case ledger.EvidenceAsserted:
		return rungAsserted
	}
	for _, typ := range []inventory.ChecksumType{inventory.FullObject, inventory.Composite} {
		for _, alg := range []inventory.Algorithm{inventory.CRC64NVME, inventory.CRC32C, inventory.SHA256, inventory.SHA384, inventory.SHA1, inventory.CRC32, inventory.MD5} {
			if r, e := rung(alg, typ); r >= 0 && e == ev {
				return r
			}
		}
	}
	return rungNone
}

func etagUnknown(f *inventory.Fingerprint) bool {
	if f.Encryption != "" {
		return false
	}
	for _, c := range f.Checksums {
		if c.Source == inventory.FromETag {
			return true
		}
	}
	return false
}

// unprovenReason says why copy i could not be proven.
func (e *Engine) unprovenReason(s *keyState, i int, c comparison) string {
	name := e.pair.Legacy[i].Name
	var why []string
	if c.asserted {
		why = append(why, fmt.Sprintf("only an asserted checksum agrees (%s = %s), and policy does not accept asserted checksums", c.legacy, c.target))
	} else {
		why = append(why, "no checksum of "+name+" can be compared with one of "+e.pair.Target.Name)
	}
	if c.differAsserted != "" {
		why = append(why, c.differAsserted)
	}
	switch {
	case s.noRead != "":
		why = append(why, "content not read: "+s.noRead)
	case !e.policy.DeepVerify:
		why = append(why, "content not read: deep verification is off (deep_verify_budget is 0)")
	}
	return strings.Join(why, "; ")
}
