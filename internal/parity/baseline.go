package parity

import (
	"fmt"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Judging from a baseline (DESIGN.md, Verdicts: "or absent, but an imported
// baseline says the key existed"). A baseline — a legacy store's S3
// Inventory — stands in for the previous entry of a key no run has seen:
//
//   - The key is gone from every legacy store: it was deleted before the
//     run. It is `deleted` when the target holds a copy that matches what
//     every baseline listing it says — the size, and a checksum the engine
//     can compare (an ETag that is an MD5: not of an object the inventory
//     says was encrypted with SSE-KMS or SSE-C) — and `deleted_unverified`
//     otherwise. The proof is made now, from the baselines, which the
//     entry names; later runs carry both.
//   - A legacy store still holds it and another, whose baseline lists it,
//     no longer does: deletion has begun, as when a store that a previous
//     run saw holding the key stops listing it.
//
// Nothing is ever `deleted` on a baseline without a strong comparison of
// the target now with what the inventory listed.

// checkBaselines refuses a baseline of a store the pair does not have, a
// second one of the same store, or one without a listing.
func (e *Engine) checkBaselines(bs []Baseline) error {
	seen := map[string]bool{}
	for _, b := range bs {
		known := false
		for _, l := range e.pair.Legacy {
			known = known || l.Name == b.Store
		}
		switch {
		case !known:
			return fmt.Errorf("pair %q: a baseline of %q, which is not one of its legacy stores", e.pair.Name, b.Store)
		case seen[b.Store]:
			return fmt.Errorf("pair %q: two baselines of %q", e.pair.Name, b.Store)
		case b.Listing == nil:
			return fmt.Errorf("pair %q: the baseline of %q has no listing", e.pair.Name, b.Store)
		}
		seen[b.Store] = true
	}
	return nil
}

// baselineHolds reports whether a baseline's fingerprint describes content
// the store held: a current object, or versions under a delete marker.
func baselineHolds(f *inventory.Fingerprint) bool {
	return f != nil && (f.Presence == inventory.Current || f.NoncurrentVersions > 0)
}

// baselineHeld returns the legacy stores (in the pair's order) whose
// baseline lists content under the key, or nil.
func (e *Engine) baselineHeld(s *keyState) []string {
	var held []string
	for i, l := range e.pair.Legacy {
		for j, f := range s.baseline {
			if s.baseStore[j] == i && baselineHolds(f) {
				held = append(held, l.Name)
			}
		}
	}
	return held
}

// refOf returns the ref of store among refs.
func refOf(refs []ledger.BaselineRef, store string) (ledger.BaselineRef, bool) {
	for _, r := range refs {
		if r.Store == store {
			return r, true
		}
	}
	return ledger.BaselineRef{}, false
}

// baselineOf returns the index of the baseline of legacy store i, or -1.
func (s *keyState) baselineOf(i int) int {
	for j, k := range s.baseStore {
		if k == i {
			return j
		}
	}
	return -1
}

// baselineRef is the ledger's record of baseline j's fingerprint.
func (s *keyState) baselineRef(j int) ledger.BaselineRef {
	b := s.bases[j]
	r := ledger.BaselineRef{Store: b.Store, Inventory: b.Source, Date: b.Date.UTC(), Fingerprint: *s.baseline[j]}
	r.Key = ""
	return r
}

// baselineRefsOf returns the refs of the baselines of the named stores that
// list content under the key, in the baselines' order.
func (s *keyState) baselineRefsOf(stores []string) []ledger.BaselineRef {
	var refs []ledger.BaselineRef
	for _, j := range s.baselineOrder() {
		if baselineHolds(s.baseline[j]) && contains(stores, s.bases[j].Store) {
			refs = append(refs, s.baselineRef(j))
		}
	}
	return refs
}

// baselineOrder returns the baselines' indexes in the order of their
// stores in the pair, so that what the engine records does not depend on
// the order it was given them in.
func (s *keyState) baselineOrder() []int {
	order := make([]int, 0, len(s.baseline))
	for i := range s.legacy {
		if j := s.baselineOf(i); j >= 0 {
			order = append(order, j)
		}
	}
	return order
}

// inventoryName names baseline j in details: "legacy-us's S3 Inventory of
// 2024-01-02T03:04:00Z".
func (s *keyState) inventoryName(j int) string {
	return fmt.Sprintf("%s's S3 Inventory of %s", s.bases[j].Store, stamp(s.bases[j].Date))
}

// judgeFromBaseline judges a key that no legacy store holds and no earlier
// ledger knows, but that baselines list.
func (e *Engine) judgeFromBaseline(s *keyState) decision {
	ti := len(s.legacy)
	t := s.target
	targetHere := t != nil && t.Presence == inventory.Current
	entry := s.newEntry()
	entry.Stores = e.storeFingerprints(s)
	held := e.baselineHeld(s)
	entry.HeldBy = held
	entry.Baseline = s.baselineRefsOf(held)
	entry.DeletedAt = e.nowPtr
	const gone = "every legacy copy was deleted before any run saw it"
	unverified := func(why []string) decision {
		entry.Verdict = ledger.DeletedUnverified
		if entry.Evidence == "" {
			entry.Evidence = ledger.EvidenceNone
		}
		entry.Detail = gone + ", and parity was never proven: " + strings.Join(why, "; ")
		return decision{entry: entry}
	}
	if !targetHere {
		var why []string
		for _, j := range s.baselineOrder() {
			if f := s.baseline[j]; baselineHolds(f) {
				why = append(why, fmt.Sprintf("%s listed it (%s)", s.inventoryName(j), plural64(f.Size, "byte")))
			}
		}
		why = append(why, e.pair.Target.Name+" holds no copy")
		return unverified(why)
	}

	var why, proven []string
	evidence, worst := ledger.EvidenceNone, -1
	comps := s.comps[:0]
	needs := false
	for _, j := range s.baselineOrder() {
		f := s.baseline[j]
		if !baselineHolds(f) {
			continue
		}
		name := s.bases[j].Store
		inv := s.inventoryName(j)
		c := compareCopies(f, t, false)
		settled := false
		switch {
		case c.result == ledger.ResultDiffer && c.evidence == ledger.EvidenceSize:
			why = append(why, fmt.Sprintf("size differs: %s lists %d bytes, %s has %d", inv, c.legacy.Size, e.pair.Target.Name, c.target.Size))
			settled = true
		case c.result == ledger.ResultDiffer:
			why = append(why, fmt.Sprintf("%s differs: %s lists %s, %s has %s", c.evidence, inv, c.legacy, e.pair.Target.Name, c.target))
			settled = true
		case c.provesEqual():
			proven = append(proven, fmt.Sprintf("%s (%s)", inv, c.evidence))
			if r := rungIndex(c.evidence); r > worst {
				worst, evidence = r, c.evidence
			}
			settled = true
		case c.maybe:
			why = append(why, fmt.Sprintf("%s lists the ETag %s, which differs from %s's %s, and does not say whether the object was encrypted with SSE-KMS or SSE-C (an inventory with EncryptionStatus would)",
				inv, f.ETag, e.pair.Target.Name, md5Of(t)))
			settled = true
		}
		if !settled {
			// Nothing comparable in the listing: the target's HEAD, then
			// its content, may give a checksum the inventory's can meet.
			switch {
			case !s.headed[ti] && e.pair.Target.Features.Head:
				needs = true
				continue
			case baselineReadable(f):
				if p := e.readTarget(s, 0); p != nil {
					needs = true
					continue
				}
			}
			why = append(why, e.baselineIncomparable(s, j, f))
		}
		comps = append(comps, ledger.Comparison{Store: name, Evidence: c.evidence, Result: c.result, Legacy: c.legacy, Target: c.target})
	}
	if needs {
		if !s.headed[ti] && e.pair.Target.Features.Head {
			return decision{heads: []int{ti}}
		}
		return decision{reads: []readPlan{*e.readTarget(s, 0)}}
	}
	entry.Comparisons = comps
	if len(why) > 0 {
		entry.Evidence = evidenceOfWorst(comps, ledger.EvidenceNone)
		if s.failure != "" {
			why = append(why, s.failure)
		}
		return unverified(why)
	}
	entry.Verdict, entry.Evidence = ledger.Deleted, evidence
	entry.ProvenAt = e.proof(s, nil, false, evidence)
	entry.Detail = fmt.Sprintf("deleted before any run saw it; parity proven now from %s, which the copy in %s matches", strings.Join(proven, " and "), e.pair.Target.Name)
	return decision{entry: entry}
}

// baselineIncomparable says why nothing of baseline j's fingerprint f can
// be compared with the target.
func (e *Engine) baselineIncomparable(s *keyState, j int, f *inventory.Fingerprint) string {
	inv := s.inventoryName(j)
	if u, known := etagUsable(f); known && !u {
		return fmt.Sprintf("%s lists it encrypted with %s: its ETag is not an MD5, and S3 Inventory gives no other checksum", inv, f.Encryption)
	}
	why := fmt.Sprintf("no checksum %s lists (ETag %s) can be compared with one of %s", inv, f.ETag, e.pair.Target.Name)
	switch {
	case !baselineReadable(f):
		why += " (a multipart ETag needs the part layout, which an inventory does not give)"
	case s.noRead != "":
		why += "; content not read: " + s.noRead
	case !e.policy.DeepVerify:
		why += "; content not read: deep verification is off (deep_verify_budget is 0)"
	}
	return why
}

// baselineReadable reports whether reading the target's content could be
// compared with what the baseline lists: a whole-object MD5 ETag of an
// object not known to be encrypted with SSE-KMS or SSE-C.
func baselineReadable(f *inventory.Fingerprint) bool {
	for _, c := range f.Checksums {
		if c.Algorithm == inventory.MD5 && c.Type == inventory.FullObject && c.Source == inventory.FromETag {
			if ok, _ := usable(c, f); ok {
				return true
			}
		}
	}
	return false
}

// md5Of names the target's MD5 in details, or says it has none.
func md5Of(t *inventory.Fingerprint) string {
	for _, c := range t.Checksums {
		if c.Algorithm == inventory.MD5 && c.Type == inventory.FullObject {
			return ledger.ChecksumValue(c).String()
		}
	}
	return "checksums"
}

func plural64(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// inventoryCopyProven reports whether the copy legacy store i no longer
// holds, which its inventory listed, is proven equal to the target: by the
// inventory's fingerprint when this run read it, else by prev's proof if
// the target still matches it. If not, it says why.
func (e *Engine) inventoryCopyProven(s *keyState, i int, prev *ledger.Entry, recreated bool) (string, bool) {
	name := e.pair.Legacy[i].Name
	if j := s.baselineOf(i); j >= 0 && baselineHolds(s.baseline[j]) {
		c := compareCopies(s.baseline[j], s.target, false)
		if c.provesEqual() {
			return "", true
		}
		if c.result == ledger.ResultDiffer && !c.maybe {
			return fmt.Sprintf("%s lists %s, %s has %s: %s's copy was deleted before parity was proven",
				s.inventoryName(j), c.legacy, e.pair.Target.Name, c.target, name), false
		}
		return fmt.Sprintf("%s lists nothing that proves its copy equal to %s's: %s's copy was deleted before parity was proven",
			s.inventoryName(j), e.pair.Target.Name, name), false
	}
	if prev != nil && prev.ProvenAt != nil && !recreated && e.matchProof(prev.ProvenAt, s.target).result == ledger.ResultEqual {
		return "", true
	}
	return fmt.Sprintf("parity of the copy %s no longer holds was never proven", name), false
}
