package parity

import (
	"fmt"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// decision is the engine's answer for a key: a final entry, or the HEADs or
// content reads it needs before it can give one.
type decision struct {
	entry *ledger.Entry
	// skip: no store holds anything and the previous ledger knew nothing
	// worth keeping; the key gets no entry.
	skip  bool
	heads []int
	reads []readPlan
}

func (d *decision) needs() bool { return len(d.heads) > 0 || len(d.reads) > 0 }

// judge applies DESIGN.md's verdict rules to one key. It is pure: all it
// knows is in s, e's configuration and the clock e was given.
func (e *Engine) judge(s *keyState) decision {
	nL := len(s.legacy)
	holdsAny := false
	for _, f := range s.legacy {
		if f != nil && f.Holds() {
			holdsAny = true
			break
		}
	}
	prev := s.prev
	if prev != nil && prev.Verdict == ledger.Extra && !holdsAny {
		prev = nil // a key only the target ever held stays extra or leaves
	}
	if !holdsAny {
		return e.judgeGone(s, prev)
	}

	recreated := prev != nil && prev.DeletedAt != nil
	var prevHeld, baseHeld []string
	if prev != nil && !recreated {
		prevHeld = prev.HeldBy
	}
	if prev == nil {
		// No run saw the key: the baselines tell which stores held it.
		baseHeld = e.baselineHeld(s)
		prevHeld = baseHeld
	}

	entry := s.newEntry()
	entry.HeldBy = e.heldBy(s, prevHeld)
	entry.Stores = e.storeFingerprints(s)

	// Has deletion begun? A store that holds or held the key has no current
	// object: it stopped listing it, hides it behind a delete marker, or
	// only unfinished uploads hold parts.
	// The baselines that said a store held the key: this run's, for a key
	// no run saw; the previous entry's, while the store stays without it.
	var refs []ledger.BaselineRef
	switch {
	case prev == nil:
		refs = s.baselineRefsOf(baseHeld)
	case !recreated:
		refs = prev.Baseline
	}
	var begun []string
	var kept []ledger.BaselineRef
	var goneByInventory []int // legacy stores whose copy only an inventory describes
	for i := 0; i < nL; i++ {
		f := s.legacy[i]
		name := e.pair.Legacy[i].Name
		held := contains(prevHeld, name)
		switch {
		case f == nil || !f.Holds():
			if !held {
				break
			}
			if r, ok := refOf(refs, name); ok {
				begun = append(begun, fmt.Sprintf("%s no longer holds it (its S3 Inventory of %s listed it)", name, stamp(r.Date)))
				kept = append(kept, r)
				goneByInventory = append(goneByInventory, i)
			} else {
				begun = append(begun, name+" no longer holds it")
			}
		case f.Presence == inventory.DeleteMarker:
			begun = append(begun, fmt.Sprintf("%s hides it behind a delete marker over %s", name, plural(f.NoncurrentVersions, "noncurrent version")))
		case f.Presence == inventory.NoObject && f.NoncurrentVersions > 0:
			begun = append(begun, fmt.Sprintf("%s keeps %s", name, plural(f.NoncurrentVersions, "noncurrent version")))
		case f.Presence == inventory.NoObject:
			begun = append(begun, fmt.Sprintf("%s holds parts of %s", name, plural(f.UnfinishedUploads, "unfinished multipart upload")))
		}
	}

	// The copies to compare: current objects, and versions hidden by a
	// delete marker (their fingerprints describe the newest hidden one).
	copies := s.copies[:0]
	for i, f := range s.legacy {
		if f != nil && (f.Presence == inventory.Current || f.Presence == inventory.DeleteMarker && f.NoncurrentVersions > 0) {
			copies = append(copies, i)
		}
	}

	t := s.target
	targetHere := t != nil && t.Presence == inventory.Current
	var verdict ledger.Verdict
	evidence := ledger.EvidenceNone
	var details []string
	allEqual := false

	switch {
	case len(copies) == 0:
		// Only unfinished uploads or versions we cannot describe remain.
		verdict = ledger.DeletionIncomplete
	case !targetHere:
		verdict = ledger.Missing
		details = append(details, "no copy in "+e.pair.Target.Name)
	default:
		res := e.compareAll(s, copies, prev, recreated)
		if res.needs() {
			return res.decision
		}
		entry.Comparisons = res.comparisons
		verdict, evidence, details, allEqual = res.verdict, res.evidence, res.details, res.verdict == ledger.Verified
	}

	if len(begun) > 0 {
		if verdict == ledger.Verified || len(copies) == 0 {
			verdict = ledger.DeletionIncomplete
		}
		details = append(details, "deletion has begun but a copy remains: "+strings.Join(begun, "; "))
	}
	if s.failure != "" && verdict == ledger.Unproven {
		verdict = ledger.Error
		details = append(details, s.failure)
	}

	// A copy a store no longer holds, known from its inventory only, is
	// part of the proof only when it was proven equal to the target: by
	// that inventory's fingerprint, in the run that read it, or by an
	// earlier proof the target still matches. Otherwise the copy left
	// before parity was proven, and no later run can prove it.
	if allEqual {
		for _, i := range goneByInventory {
			if why, ok := e.inventoryCopyProven(s, i, prev, recreated); !ok {
				allEqual = false
				details = append(details, why)
			}
		}
	}

	// Carry or renew the proof.
	switch {
	case recreated:
		details = append([]string{fmt.Sprintf("re-created after its deletion was confirmed at %s; judged afresh", stamp(*prev.DeletedAt))}, details...)
	case prev != nil && prev.ProvenAt != nil && (verdict == ledger.Missing || verdict == ledger.Mismatch):
		details = append([]string{fmt.Sprintf("regression: parity was proven at %s (%s)", stamp(prev.ProvenAt.At), prev.ProvenAt.Evidence)}, details...)
	}
	switch {
	case allEqual:
		entry.ProvenAt = e.proof(s, prev, recreated, evidence)
	case len(copies) == 0 && !recreated && prev != nil:
		entry.ProvenAt = prev.ProvenAt // nothing new to prove: only uploads remain
	case verdict == ledger.Error && !recreated && prev != nil && e.legacyUnchanged(s, prev, copies):
		entry.ProvenAt = prev.ProvenAt
	}

	entry.Verdict, entry.Evidence = verdict, evidence
	entry.Detail = strings.Join(details, "; ")
	if len(kept) > 0 {
		entry.Baseline = kept
	}
	return decision{entry: entry}
}

// judgeGone judges a key that no legacy store holds in any form.
func (e *Engine) judgeGone(s *keyState, prev *ledger.Entry) decision {
	t := s.target
	targetHere := t != nil && t.Presence == inventory.Current
	if prev == nil && e.baselineHeld(s) != nil {
		return e.judgeFromBaseline(s)
	}
	entry := s.newEntry()
	entry.Stores = e.storeFingerprints(s)
	if prev == nil {
		if !targetHere {
			return decision{skip: true}
		}
		entry.Verdict, entry.Evidence = ledger.Extra, ledger.EvidenceNone
		entry.Detail = "only " + e.pair.Target.Name + " holds it; no legacy store or earlier ledger ever did"
		return decision{entry: entry}
	}
	entry.HeldBy = prev.HeldBy
	entry.Baseline = prev.Baseline // the deletion was judged from them
	entry.DeletedAt = prev.DeletedAt
	if entry.DeletedAt == nil {
		entry.DeletedAt = e.nowPtr
	}
	if prev.ProvenAt == nil {
		entry.Verdict, entry.Evidence = ledger.DeletedUnverified, ledger.EvidenceNone
		entry.Detail = fmt.Sprintf("every legacy copy is gone but parity was never proven (previous verdict: %s)", prev.Verdict)
		return decision{entry: entry}
	}
	entry.ProvenAt = prev.ProvenAt
	entry.Evidence = prev.ProvenAt.Evidence
	if !targetHere {
		entry.Verdict = ledger.CopyLost
		entry.Detail = fmt.Sprintf("every legacy copy is gone and the copy in %s, proven at %s, is gone too", e.pair.Target.Name, stamp(prev.ProvenAt.At))
		return decision{entry: entry}
	}
	c := e.matchProof(prev.ProvenAt, t)
	switch c.result {
	case ledger.ResultEqual:
		entry.Verdict = ledger.Deleted
		entry.Comparisons = append(s.comps[:0], ledger.Comparison{Store: e.pair.Target.Name, Evidence: c.evidence, Result: c.result, Legacy: c.legacy, Target: c.target})
		return decision{entry: entry}
	case ledger.ResultDiffer:
		entry.Verdict = ledger.CopyLost
		entry.Comparisons = append(s.comps[:0], ledger.Comparison{Store: e.pair.Target.Name, Evidence: c.evidence, Result: c.result, Legacy: c.legacy, Target: c.target})
		entry.Detail = fmt.Sprintf("every legacy copy is gone and the copy in %s changed since parity was proven at %s: %s was proven, %s is there now", e.pair.Target.Name, stamp(prev.ProvenAt.At), c.legacy, c.target)
		return decision{entry: entry}
	}
	// Nothing in the listing can be compared with the proof: ask for more.
	if ti := len(s.legacy); !s.headed[ti] && e.pair.Target.Features.Head {
		return decision{heads: []int{ti}}
	}
	if p := e.readTarget(s, 0); p != nil {
		return decision{reads: []readPlan{*p}}
	}
	entry.Verdict = ledger.Error
	reason := "no checksum of the target copy can be compared with the one proven"
	if s.noRead != "" {
		reason += " and its content cannot be read: " + s.noRead
	}
	if s.failure != "" {
		reason += "; " + s.failure
	}
	entry.Detail = fmt.Sprintf("every legacy copy is gone, but whether %s still matches what was proven at %s cannot be confirmed: %s", e.pair.Target.Name, stamp(prev.ProvenAt.At), reason)
	return decision{entry: entry}
}
