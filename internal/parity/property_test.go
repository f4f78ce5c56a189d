package parity

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// The property test generates random histories of several runs over two
// legacy stores (legacy-us unversioned, legacy-sg versioned) and a target:
// uploads single-part and multipart, SSE-KMS or not, migrations, target
// corruptions and deletions, legacy deletions, delete markers, purged
// versions, unfinished uploads and re-creations. After each run it checks
// the engine against a map-based oracle that knows the ground truth (the
// content, not only the checksums), and checks the safety properties.

// object is one version of an object in the simulated world.
type object struct {
	id        int    // unique per upload: ETags of SSE-KMS objects and version ids derive from it
	content   string // ground truth
	multipart bool   // uploaded in 3 parts of 8 bytes
	kms       bool   // SSE-KMS: the ETag is not an MD5
	sha       bool   // uploaded with a SHA-256 additional checksum
	meta      string // asserted md5chksum metadata (targets), "" for none
	marker    bool   // a delete marker (versioned store only)
}

// world is the ground truth of every store.
type world struct {
	nextID  int
	us      map[string]object   // unversioned: the current object
	sg      map[string][]object // versioned: versions, oldest first
	target  map[string]object
	uploads map[string]int // "store/key" → unfinished uploads
	keys    []string       // every key the world may hold, in byte order
}

func newWorld() *world { return newWorldOf(propKeys) }

// newWorldOf returns an empty world whose keys are keys, in byte order.
func newWorldOf(keys []string) *world {
	return &world{us: map[string]object{}, sg: map[string][]object{}, target: map[string]object{}, uploads: map[string]int{}, keys: keys}
}

var (
	propKeys     = []string{"k0", "k1", "k2", "k3", "k4/z", "k4/é"} // byte order
	propContents = []string{"alpha", "alphb", "bravo", "charlie", "delta-delta"}
)

// op is one change to the world between runs.
type op struct {
	kind      string
	store     string
	key       string
	content   string
	multipart bool
	kms       bool
	sha       bool
}

func (o op) String() string {
	return fmt.Sprintf("%s %s/%s %q mp=%v kms=%v sha=%v", o.kind, o.store, o.key, o.content, o.multipart, o.kms, o.sha)
}

func genOp() *rapid.Generator[op] { return genOpOn(propKeys) }

// genOpOn generates changes to the given keys.
func genOpOn(keys []string) *rapid.Generator[op] {
	return rapid.Custom(func(t *rapid.T) op {
		return op{
			kind:      rapid.SampledFrom([]string{"put", "put", "migrate", "migrate", "delete", "delete", "purge", "upload", "abort", "corrupt", "droptarget"}).Draw(t, "kind"),
			store:     rapid.SampledFrom([]string{"legacy-us", "legacy-sg"}).Draw(t, "store"),
			key:       rapid.SampledFrom(keys).Draw(t, "key"),
			content:   rapid.SampledFrom(propContents).Draw(t, "content"),
			multipart: rapid.Bool().Draw(t, "multipart"),
			kms:       rapid.Bool().Draw(t, "kms"),
			sha:       rapid.Bool().Draw(t, "sha"),
		}
	})
}

func (w *world) apply(o op) {
	w.nextID++
	obj := object{id: w.nextID, content: o.content, multipart: o.multipart, kms: o.kms, sha: o.sha}
	switch o.kind {
	case "put":
		if o.store == "legacy-us" {
			w.us[o.key] = obj
		} else {
			w.sg[o.key] = append(w.sg[o.key], obj)
		}
	case "migrate": // copy a current legacy object to the target, as a migration tool would
		src, ok := w.current(o.store, o.key)
		if !ok {
			return
		}
		w.target[o.key] = object{id: w.nextID, content: src.content, sha: o.sha, meta: src.content}
	case "corrupt":
		w.target[o.key] = object{id: w.nextID, content: o.content, sha: o.sha}
	case "droptarget":
		delete(w.target, o.key)
	case "delete":
		if o.store == "legacy-us" {
			delete(w.us, o.key)
		} else if len(w.sg[o.key]) > 0 {
			w.sg[o.key] = append(w.sg[o.key], object{id: w.nextID, marker: true})
		}
	case "purge":
		if o.store == "legacy-us" {
			delete(w.us, o.key)
		} else {
			delete(w.sg, o.key)
		}
	case "upload":
		w.uploads[o.store+"/"+o.key]++
	case "abort":
		delete(w.uploads, o.store+"/"+o.key)
	}
}

func (w *world) current(store, key string) (object, bool) {
	if store == "legacy-us" {
		o, ok := w.us[key]
		return o, ok
	}
	vs := w.sg[key]
	if len(vs) == 0 || vs[len(vs)-1].marker {
		return object{}, false
	}
	return vs[len(vs)-1], true
}

// hidden returns the newest data version under a delete marker, and the
// number of data versions that are not current.
func (w *world) versions(key string) (hidden object, hasHidden bool, noncurrent int) {
	vs := w.sg[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].marker {
			continue
		}
		if i == len(vs)-1 {
			continue // current
		}
		if !hasHidden && vs[len(vs)-1].marker {
			hidden, hasHidden = vs[i], true
		}
		noncurrent++
	}
	return hidden, hasHidden, noncurrent
}

// legacyFingerprint is what an S3 listing tells of o.
func legacyFingerprint(key string, o object, versioned bool) inventory.Fingerprint {
	f := inventory.Fingerprint{Key: key, Size: int64(len(o.content))}
	var c inventory.Checksum
	switch {
	case o.kms:
		c = inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: md5hex(fmt.Sprintf("kms-%d", o.id)), Source: inventory.FromETag}
	case o.multipart:
		c = mpETag(o.content, 3)
	default:
		c = etag(o.content)
	}
	f.Checksums = []inventory.Checksum{c}
	f.ETag = etagOf(f.Checksums)
	if versioned {
		f.VersionID = fmt.Sprintf("v%d", o.id)
	}
	return f
}

func legacyHead(key string, o object, versioned bool) inventory.Fingerprint {
	f := legacyFingerprint(key, o, versioned)
	f.Encryption = inventory.EncryptionNone
	if o.kms {
		f.Encryption = "aws:kms"
	}
	if o.multipart {
		f.PartCount, f.PartSize = 3, 8
	}
	if o.sha {
		f.Checksums = append(f.Checksums, headSHA256(o.content))
	}
	return f
}

func targetFingerprint(key string, o object) inventory.Fingerprint {
	return inventory.Fingerprint{Key: key, Size: int64(len(o.content)), ETag: fmt.Sprintf("oci-%d", o.id), Checksums: []inventory.Checksum{ociMD5(o.content)}}
}

func targetHead(key string, o object) inventory.Fingerprint {
	f := targetFingerprint(key, o)
	if o.sha {
		f.Checksums = append(f.Checksums, headSHA256(o.content))
	}
	if o.meta != "" {
		f.Checksums = append(f.Checksums, assertedMD5(o.meta))
	}
	return f
}

// listings builds the three stores' listings of the world, sorted.
func (w *world) listings() (us, sg, target []inventory.Fingerprint) {
	for _, k := range w.keys {
		if o, ok := w.us[k]; ok {
			f := legacyFingerprint(k, o, false)
			f.UnfinishedUploads = w.uploads["legacy-us/"+k]
			us = append(us, f)
		} else if n := w.uploads["legacy-us/"+k]; n > 0 {
			us = append(us, inventory.Fingerprint{Key: k, Presence: inventory.NoObject, UnfinishedUploads: n})
		}
		vs := w.sg[k]
		n := w.uploads["legacy-sg/"+k]
		switch {
		case len(vs) == 0 && n > 0:
			sg = append(sg, inventory.Fingerprint{Key: k, Presence: inventory.NoObject, UnfinishedUploads: n})
		case len(vs) > 0:
			hidden, hasHidden, noncurrent := w.versions(k)
			var f inventory.Fingerprint
			if cur, ok := w.current("legacy-sg", k); ok {
				f = legacyFingerprint(k, cur, true)
			} else {
				f = inventory.Fingerprint{Key: k, Presence: inventory.DeleteMarker}
				if hasHidden {
					f = legacyFingerprint(k, hidden, true)
					f.Presence = inventory.DeleteMarker
				}
			}
			f.NoncurrentVersions, f.UnfinishedUploads = noncurrent, n
			sg = append(sg, f)
		}
		if o, ok := w.target[k]; ok {
			target = append(target, targetFingerprint(k, o))
		}
	}
	return us, sg, target
}

// worldResolver answers HEADs and reads from the world's ground truth.
type worldResolver struct{ w *world }

func (r worldResolver) Head(ctx context.Context, store, key string) (inventory.Fingerprint, error) {
	switch store {
	case "oci-us":
		if o, ok := r.w.target[key]; ok {
			return targetHead(key, o), nil
		}
	default:
		if o, ok := r.w.current(store, key); ok {
			return legacyHead(key, o, store == "legacy-sg"), nil
		}
	}
	return inventory.Fingerprint{}, fmt.Errorf("head %s/%s: %w", store, key, inventory.ErrNotFound)
}

func (r worldResolver) Read(ctx context.Context, req ReadRequest) ([]inventory.Checksum, error) {
	var o object
	var ok bool
	if req.Store == "oci-us" {
		o, ok = r.w.target[req.Key]
	} else {
		o, ok = r.w.current(req.Store, req.Key)
	}
	if !ok {
		return nil, fmt.Errorf("read %s/%s: %w", req.Store, req.Key, inventory.ErrNotFound)
	}
	sums := deepSums(o.content)
	if req.PartSize > 0 {
		sums = append(sums, inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: md5hex("parts:" + o.content), Parts: 3, PartSize: req.PartSize, Source: inventory.FromContent})
	}
	return sums, nil
}

// oracleEntry is the oracle's memory of a key.
type oracleEntry struct {
	verdict  ledger.Verdict
	proven   bool
	provenT  string            // the target content proven
	provenL  map[string]string // identities (what ETag, size and version tell) of the legacy copies proven, per store
	heldBy   map[string]bool
	deleted  bool
	provenAt int // run index of the proof
	// invGone are the stores whose copy only the inventory describes: it
	// listed the key, and they have not held it since.
	invGone map[string]bool
}

// oracle judges a key from the ground truth by DESIGN.md's rules, written
// as plainly as possible.
func oracle(w *world, key string, prev *oracleEntry, deep bool, run int, base *inventorySnapshot) (oracleEntry, bool) {
	type copyOf struct {
		store  string
		obj    object
		hidden bool
	}
	holds := map[string]bool{}
	current := map[string]bool{}
	var copies []copyOf
	if o, ok := w.us[key]; ok {
		holds["legacy-us"], current["legacy-us"] = true, true
		copies = append(copies, copyOf{"legacy-us", o, false})
	}
	if w.uploads["legacy-us/"+key] > 0 {
		holds["legacy-us"] = true
	}
	if o, ok := w.current("legacy-sg", key); ok {
		holds["legacy-sg"], current["legacy-sg"] = true, true
		copies = append(copies, copyOf{"legacy-sg", o, false})
	} else if hidden, has, _ := w.versions(key); has {
		holds["legacy-sg"] = true
		copies = append(copies, copyOf{"legacy-sg", hidden, true})
	}
	if w.uploads["legacy-sg/"+key] > 0 {
		holds["legacy-sg"] = true
	}
	t, tHere := w.target[key]

	if prev != nil && prev.verdict == ledger.Extra && len(holds) == 0 {
		prev = nil
	}
	// The stores whose inventory, taken before the first run, lists
	// content under the key: they stand in for a previous entry.
	var inventoried []string
	if prev == nil && base != nil {
		for _, st := range []string{"legacy-us", "legacy-sg"} {
			if _, ok := base.content[st][key]; ok {
				inventoried = append(inventoried, st)
			}
		}
	}
	if len(holds) == 0 && len(inventoried) > 0 {
		// Deleted before the run: deleted only when every inventoried copy
		// has an ETag that is its MD5 (single part, not SSE-KMS) and the
		// target holds that very content.
		e := oracleEntry{verdict: ledger.DeletedUnverified, heldBy: map[string]bool{}, deleted: true}
		ok := tHere
		for _, st := range inventoried {
			e.heldBy[st] = true
			o := base.content[st][key]
			if o.multipart || o.kms || !tHere || o.content != t.content {
				ok = false
			}
		}
		if ok {
			e.verdict, e.proven, e.provenT, e.provenAt, e.provenL = ledger.Deleted, true, t.content, run, map[string]string{}
		}
		return e, true
	}
	if len(holds) == 0 {
		switch {
		case prev == nil && tHere:
			return oracleEntry{verdict: ledger.Extra}, true
		case prev == nil:
			return oracleEntry{}, false
		case prev.proven:
			e := *prev
			e.deleted = true
			e.verdict = ledger.CopyLost
			if tHere && t.content == prev.provenT {
				e.verdict = ledger.Deleted
			}
			return e, true
		default:
			return oracleEntry{verdict: ledger.DeletedUnverified, heldBy: prev.heldBy, deleted: true}, true
		}
	}

	recreated := prev != nil && prev.deleted
	heldBy := map[string]bool{}
	if prev != nil && !recreated {
		for s := range prev.heldBy {
			heldBy[s] = true
		}
	}
	for _, st := range inventoried {
		heldBy[st] = true // it held the key when the inventory was taken
	}
	invGone := map[string]bool{}
	for _, st := range inventoried {
		if !holds[st] {
			invGone[st] = true
		}
	}
	if prev != nil && !recreated {
		for st := range prev.invGone {
			if !holds[st] {
				invGone[st] = true
			}
		}
	}
	begun := false
	for _, s := range []string{"legacy-us", "legacy-sg"} {
		if (heldBy[s] || holds[s]) && !current[s] {
			begun = true
		}
		if holds[s] {
			heldBy[s] = true
		}
	}
	e := oracleEntry{heldBy: heldBy, invGone: invGone}
	switch {
	case len(copies) == 0:
		e.verdict = ledger.DeletionIncomplete
		if !recreated && prev != nil {
			e.proven, e.provenT, e.provenL, e.provenAt = prev.proven, prev.provenT, prev.provenL, prev.provenAt
		}
		return e, true
	case !tHere:
		e.verdict = ledger.Missing
		return e, true
	}
	worst := ledger.Verified
	rank := map[ledger.Verdict]int{ledger.Verified: 0, ledger.Unproven: 1, ledger.Mismatch: 2}
	comparableListing := func(l object) bool { return !l.kms && !l.multipart } // plain single-part ETag against the target's md5
	comparableHead := func(c copyOf) bool { return !c.hidden && c.obj.sha && t.sha }
	unchanged := func(c copyOf) bool {
		return prev != nil && prev.proven && !recreated && prev.provenL[c.store] == identity(c.store, c.obj) && t.content == prev.provenT
	}
	// The first current copy that needs a content read has the target read,
	// under its part layout when it is multipart: the composite MD5 of the
	// content then also settles a hidden multipart version.
	targetReadInParts := false
	for _, c := range copies {
		if deep && !c.hidden && len(c.obj.content) == len(t.content) && !comparableListing(c.obj) && !comparableHead(c) && !unchanged(c) {
			targetReadInParts = c.obj.multipart
			break
		}
	}
	for _, c := range copies {
		l := c.obj
		var v ledger.Verdict
		comparableListing, comparableHead, unchanged := comparableListing(l), comparableHead(c), unchanged(c)
		switch {
		case len(l.content) != len(t.content):
			v = ledger.Mismatch
		case comparableListing && c.hidden && l.content != t.content:
			// A hidden version cannot be HEADed: its ETag differing from
			// the target's MD5 may be SSE-KMS, so it proves nothing.
			v = ledger.Unproven
			if unchanged {
				v = ledger.Verified
			}
		case comparableListing || comparableHead:
			v = map[bool]ledger.Verdict{true: ledger.Verified, false: ledger.Mismatch}[l.content == t.content]
		case unchanged:
			v = ledger.Verified
		case deep && !c.hidden:
			v = map[bool]ledger.Verdict{true: ledger.Verified, false: ledger.Mismatch}[l.content == t.content]
		case c.hidden && targetReadInParts && l.multipart && !l.kms && l.content == t.content:
			v = ledger.Verified
		default:
			v = ledger.Unproven
		}
		if rank[v] > rank[worst] {
			worst = v
		}
	}
	e.verdict = worst
	if begun && worst == ledger.Verified {
		e.verdict = ledger.DeletionIncomplete
	}
	// A copy gone since the inventory is proven in the first run by the
	// inventory's ETag — a plain one, or a multipart one when the target
	// was read in parts for a current copy — or later by a proof of a
	// target unchanged since.
	invProven := true
	for st := range invGone {
		if prev == nil {
			o := base.content[st][key]
			if o.multipart && !targetReadInParts || o.kms || o.content != t.content {
				invProven = false
			}
		} else if !prev.proven || prev.provenT != t.content {
			invProven = false
		}
	}
	if worst == ledger.Verified && invProven {
		e.proven, e.provenT, e.provenAt = true, t.content, run
		e.provenL = map[string]string{}
		if prev != nil && prev.proven && !recreated && prev.provenT == t.content {
			e.provenAt, e.provenL = prev.provenAt, prev.provenL
		}
		for _, c := range copies {
			e.provenL[c.store] = identity(c.store, c.obj)
		}
	}
	return e, true
}

// identity is what tells one legacy object from another in listings: its
// ETag (the content's MD5 unless SSE-KMS), size and version id.
func identity(store string, o object) string {
	id := fmt.Sprintf("%s/%d/mp=%v", o.content, len(o.content), o.multipart)
	if o.kms {
		id = fmt.Sprintf("kms-%d", o.id)
	}
	if store == "legacy-sg" {
		id += fmt.Sprintf("/v%d", o.id)
	}
	return id
}

// inventorySnapshot is an S3 Inventory of the legacy stores taken before
// the first run: what each listed, and the ground truth behind it.
type inventorySnapshot struct {
	// content[store][key] is the content-bearing object the inventory
	// listed: the current one, or the newest version under a delete
	// marker.
	content map[string]map[string]object
	// rows[store] is the inventory's fingerprints, sorted.
	rows map[string][]inventory.Fingerprint
}

// takeInventory lists the legacy stores as S3 Inventory would: ETags,
// sizes, versions, and the encryption when the inventory has
// EncryptionStatus (encryption).
func (w *world) takeInventory(encryption bool) *inventorySnapshot {
	inv := &inventorySnapshot{content: map[string]map[string]object{"legacy-us": {}, "legacy-sg": {}}, rows: map[string][]inventory.Fingerprint{}}
	enc := func(f *inventory.Fingerprint, o object) {
		switch {
		case !encryption:
		case o.kms:
			f.Encryption = "aws:kms"
		default:
			f.Encryption = inventory.EncryptionNone
		}
	}
	for _, k := range w.keys {
		if o, ok := w.us[k]; ok {
			f := legacyFingerprint(k, o, false)
			enc(&f, o)
			inv.rows["legacy-us"] = append(inv.rows["legacy-us"], f)
			inv.content["legacy-us"][k] = o
		}
		if len(w.sg[k]) == 0 {
			continue
		}
		hidden, hasHidden, noncurrent := w.versions(k)
		var f inventory.Fingerprint
		if cur, ok := w.current("legacy-sg", k); ok {
			f = legacyFingerprint(k, cur, true)
			enc(&f, cur)
			inv.content["legacy-sg"][k] = cur
		} else {
			f = inventory.Fingerprint{Key: k, Presence: inventory.DeleteMarker}
			if hasHidden {
				f = legacyFingerprint(k, hidden, true)
				enc(&f, hidden)
				f.Presence = inventory.DeleteMarker
				inv.content["legacy-sg"][k] = hidden
			}
		}
		f.NoncurrentVersions = noncurrent
		inv.rows["legacy-sg"] = append(inv.rows["legacy-sg"], f)
	}
	return inv
}

// sliceEntries streams a ledger held in memory.
type sliceEntries struct{ es []ledger.Entry }

func (s *sliceEntries) NextPage() ([]ledger.Entry, error) {
	if len(s.es) == 0 {
		return nil, io.EOF
	}
	n := min(3, len(s.es))
	p := s.es[:n]
	s.es = s.es[n:]
	return p, nil
}

func TestPropertyEngineAgreesWithOracle(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorld()
		runs := rapid.IntRange(3, 6).Draw(rt, "runs")
		var prevLedger []ledger.Entry
		oracleState := map[string]*oracleEntry{}
		// truth[run][key] is the target content at each run, for the safety check.
		targetAt := make([]map[string]string, 0, runs)
		legacyAt := make([]map[string][]string, 0, runs)
		// Sometimes S3 Inventories of the legacy stores, taken before
		// the first run and given to it as baselines.
		var base *inventorySnapshot
		if rapid.Bool().Draw(rt, "baselines") {
			for _, o := range rapid.SliceOfN(genOp(), 0, 8).Draw(rt, "ops before the inventory") {
				w.apply(o)
			}
			base = w.takeInventory(rapid.Bool().Draw(rt, "inventory with EncryptionStatus"))
		}
		for run := range runs {
			for _, o := range rapid.SliceOfN(genOp(), 0, 8).Draw(rt, fmt.Sprintf("ops before run %d", run)) {
				w.apply(o)
			}
			deep := rapid.Bool().Draw(rt, fmt.Sprintf("deep verify in run %d", run))
			runTime := now.Add(time.Duration(run) * 24 * time.Hour)

			tsnap, lsnap := map[string]string{}, map[string][]string{}
			for k, o := range w.target {
				tsnap[k] = o.content
			}
			for _, k := range propKeys {
				for _, s := range []string{"legacy-us", "legacy-sg"} {
					if o, ok := w.current(s, k); ok {
						lsnap[k] = append(lsnap[k], o.content)
					}
				}
				if h, has, _ := w.versions(k); has {
					if _, ok := w.current("legacy-sg", k); !ok {
						lsnap[k] = append(lsnap[k], h.content)
					}
				}
			}
			targetAt, legacyAt = append(targetAt, tsnap), append(legacyAt, lsnap)

			e, err := New(Config{Pair: testPair(), Policy: Policy{DeepVerify: deep}, Now: runTime, Resolver: worldResolver{w}})
			if err != nil {
				rt.Fatal(err)
			}
			us, sg, tg := w.listings()
			ctx := context.Background()
			in := Inputs{
				Legacy:   []inventory.Listing{memory.NewListing(ctx, us, 2), memory.NewListing(ctx, sg, 3)},
				Target:   memory.NewListing(ctx, tg, 1),
				Previous: &sliceEntries{es: prevLedger},
			}
			runBase := base
			if run > 0 {
				runBase = nil // a first run reads the baselines
			}
			if runBase != nil {
				for _, st := range []string{"legacy-sg", "legacy-us"} {
					in.Baselines = append(in.Baselines, Baseline{Store: st, Source: "inventory of " + st, Date: earlier, Listing: memory.NewListing(ctx, runBase.rows[st], 2)})
				}
			}
			var got []ledger.Entry
			if _, err := e.Verify(ctx, inventory.KeyRange{}, in, func(en *ledger.Entry) error {
				got = append(got, en.Clone())
				return nil
			}); err != nil {
				rt.Fatalf("run %d: %v", run, err)
			}

			// The oracle's verdicts.
			want := map[string]ledger.Verdict{}
			next := map[string]*oracleEntry{}
			for _, k := range propKeys {
				oe, ok := oracle(w, k, oracleState[k], deep, run, runBase)
				if ok {
					want[k] = oe.verdict
					next[k] = &oe
				}
			}
			oracleState = next
			gotVerdicts := map[string]ledger.Verdict{}
			for _, en := range got {
				gotVerdicts[en.Key] = en.Verdict
			}
			if !mapsEqual(want, gotVerdicts) {
				rt.Fatalf("run %d (deep=%v): engine and oracle disagree\n%s", run, deep, verdictDiff(want, gotVerdicts, got))
			}

			// Safety: deleted only where an earlier run proved parity with
			// strong evidence, on legacy content equal to the target then,
			// and the target now matches what was proven.
			for _, en := range got {
				switch en.Verdict {
				case ledger.Deleted:
					p := en.ProvenAt
					if p == nil || !p.Evidence.Strong() {
						rt.Fatalf("run %d: %q deleted without a strong proof: %+v", run, en.Key, p)
					}
					pr := int(p.At.Sub(now) / (24 * time.Hour))
					if pr == 0 && len(en.Baseline) > 0 {
						// Proven in the first run from the inventories:
						// each listed content the target held then and
						// holds now.
						for _, b := range en.Baseline {
							o, ok := base.content[b.Store][en.Key]
							if !ok || o.content != targetAt[0][en.Key] || o.content != tsnap[en.Key] {
								rt.Fatalf("run %d: %q deleted on %s's inventory, which listed %q, while the target held %q then and %q now",
									run, en.Key, b.Store, o.content, targetAt[0][en.Key], tsnap[en.Key])
							}
						}
						continue
					}
					if pr >= run {
						rt.Fatalf("run %d: %q deleted on a proof from run %d, not an earlier one", run, en.Key, pr)
					}
					if targetAt[pr][en.Key] != tsnap[en.Key] {
						rt.Fatalf("run %d: %q deleted, but the target holds %q and %q was proven in run %d", run, en.Key, tsnap[en.Key], targetAt[pr][en.Key], pr)
					}
					for _, l := range legacyAt[pr][en.Key] {
						if l != targetAt[pr][en.Key] {
							rt.Fatalf("run %d: %q deleted on a proof from run %d when a legacy copy held %q and the target %q", run, en.Key, pr, l, targetAt[pr][en.Key])
						}
					}
				case ledger.Verified:
					for _, l := range lsnap[en.Key] {
						if l != tsnap[en.Key] {
							rt.Fatalf("run %d: %q verified while a legacy copy holds %q and the target %q", run, en.Key, l, tsnap[en.Key])
						}
					}
				}
			}

			// The next run reads this run's ledger through the real codec.
			prevLedger = roundTrip(rt, got)
		}
	})
}

func mapsEqual(a, b map[string]ledger.Verdict) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func verdictDiff(want, got map[string]ledger.Verdict, entries []ledger.Entry) string {
	var b strings.Builder
	keys := slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for k := range want {
			seen[k] = true
		}
		for k := range got {
			seen[k] = true
		}
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		mark := " "
		if want[k] != got[k] {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %-6s oracle=%-20s engine=%-20s", mark, k, want[k], got[k])
		for _, e := range entries {
			if e.Key == k {
				fmt.Fprintf(&b, " evidence=%s detail=%q", e.Evidence, e.Detail)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
