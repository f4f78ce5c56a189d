package parity

import (
	"fmt"
	"strings"
	"time"

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

func (s *keyState) reset(key string) {
	s.key = key
	clear(s.legacy)
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

// readPlan is a content read the engine asks for.
type readPlan struct {
	store    int
	partSize int64
}

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
	var prevHeld []string
	if prev != nil && !recreated {
		prevHeld = prev.HeldBy
	}

	entry := s.newEntry()
	entry.HeldBy = e.heldBy(s, prevHeld)
	entry.Stores = e.storeFingerprints(s)

	// Has deletion begun? A store that holds or held the key has no current
	// object: it stopped listing it, hides it behind a delete marker, or
	// only unfinished uploads hold parts.
	var begun []string
	for i := 0; i < nL; i++ {
		f := s.legacy[i]
		name := e.pair.Legacy[i].Name
		held := contains(prevHeld, name)
		switch {
		case f == nil || !f.Holds():
			if held {
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
	var evidence ledger.Evidence = ledger.EvidenceNone
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
	return decision{entry: entry}
}

// judgeGone judges a key that no legacy store holds in any form.
func (e *Engine) judgeGone(s *keyState, prev *ledger.Entry) decision {
	t := s.target
	targetHere := t != nil && t.Presence == inventory.Current
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
		// a HEAD has shown the object is not SSE-KMS / SSE-C.
		if c.maybe && !hidden && !s.headed[i] && e.pair.Legacy[i].Features.Head {
			heads[i], anyHead = true, true
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
