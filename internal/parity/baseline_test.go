package parity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// The date of the fixtures' S3 Inventories.
var invDate = time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)

func invSource(store string) string {
	return "s3://inventory/" + store + "/baseline/2024-01-02T03-04Z/manifest.json"
}

// baselineCase is one key judged in a first run with baselines.
type baselineCase struct {
	name   string
	us, sg *inventory.Fingerprint // listed now; nil when not listed
	target *inventory.Fingerprint
	prev   *ledger.Entry
	invUS  *inventory.Fingerprint // what legacy-us's inventory lists
	invSG  *inventory.Fingerprint // what legacy-sg's inventory lists
	heads  map[string]inventory.Fingerprint
	reads  map[string][]inventory.Checksum
	deep   bool
	want   baselineJudged
	skip   bool
	// comps, when set, are the comparisons the entry must record.
	comps []ledger.Comparison
}

// baselineJudged is what the baseline tables check of an entry.
type baselineJudged struct {
	Verdict   ledger.Verdict
	Evidence  ledger.Evidence
	Detail    string
	HeldBy    []string
	ProvenAt  *ledger.Proof
	DeletedAt *time.Time
	Baseline  []ledger.BaselineRef
	Calls     []string
}

const baseKey = "users/00042/backup-1.bin"

func list(f *inventory.Fingerprint) []inventory.Fingerprint {
	if f == nil {
		return nil
	}
	c := *f
	c.Key = baseKey
	return []inventory.Fingerprint{c}
}

func runBaseline(t *testing.T, tc baselineCase) {
	t.Helper()
	r := &fakeResolver{heads: tc.heads, reads: tc.reads, budget: -1}
	e, err := New(Config{Pair: testPair(), Policy: Policy{DeepVerify: tc.deep}, Now: now, Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := Inputs{
		Legacy: []inventory.Listing{memory.NewListing(ctx, list(tc.us), 1), memory.NewListing(ctx, list(tc.sg), 1)},
		Target: memory.NewListing(ctx, list(tc.target), 1),
	}
	if tc.prev != nil {
		p := *tc.prev
		p.Key = baseKey
		in.Previous = &sliceStream{entries: []ledger.Entry{p}}
	}
	for store, f := range map[string]*inventory.Fingerprint{"legacy-us": tc.invUS, "legacy-sg": tc.invSG} {
		if f != nil {
			in.Baselines = append(in.Baselines, Baseline{Store: store, Source: invSource(store), Date: invDate, Listing: memory.NewListing(ctx, list(f), 1)})
		}
	}
	// Baselines in a fixed order, legacy-sg's first: the engine orders
	// what it records by the pair, not by its inputs.
	if len(in.Baselines) == 2 && in.Baselines[0].Store == "legacy-us" {
		in.Baselines[0], in.Baselines[1] = in.Baselines[1], in.Baselines[0]
	}
	var got []ledger.Entry
	if _, err := e.Verify(ctx, inventory.KeyRange{}, in, func(en *ledger.Entry) error {
		got = append(got, en.Clone())
		return nil
	}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if tc.skip {
		if len(got) != 0 {
			t.Fatalf("want no entry, got %+v", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("%d entries, want 1: %+v", len(got), got)
	}
	en := got[0]
	g := baselineJudged{en.Verdict, en.Evidence, en.Detail, en.HeldBy, en.ProvenAt, en.DeletedAt, en.Baseline, r.calls}
	if diff := cmp.Diff(tc.want, g); diff != "" {
		t.Errorf("judgement (-want +got):\n%s", diff)
	}
	if tc.comps != nil {
		if diff := cmp.Diff(tc.comps, en.Comparisons); diff != "" {
			t.Errorf("comparisons (-want +got):\n%s", diff)
		}
	}
}

// ref is the ledger's record of what store's inventory listed.
func ref(store string, f *inventory.Fingerprint) ledger.BaselineRef {
	return ledger.BaselineRef{Store: store, Inventory: invSource(store), Date: invDate, Fingerprint: *f}
}

// inv is an inventory row's fingerprint of content s: its size and ETag,
// with the encryption the inventory's EncryptionStatus gives ("" when the
// inventory has no such column).
func inv(s, encryption string) *inventory.Fingerprint {
	f := fp("", int64(len(s)), etag(s))
	f.Encryption = encryption
	return f
}

func TestBaselineVerdicts(t *testing.T) {
	target := fp("", size, ociMD5(content))
	plain := inv(content, inventory.EncryptionNone)
	unknownEnc := inv(content, "")
	kmsRow := with(inv(content, "aws:kms"), func(f *inventory.Fingerprint) { f.Checksums = []inventory.Checksum{kms()}; f.ETag = kmsETag1 })
	multipart := with(plain, func(f *inventory.Fingerprint) {
		f.Checksums = []inventory.Checksum{mpETag(content, 3)}
		f.ETag = etagOf(f.Checksums)
	})
	proven := proofOf(now, ledger.EvidenceMD5, target)
	del := timePtr(now)
	key := baseKey
	gone := "every legacy copy was deleted before any run saw it, and parity was never proven: "
	usInv := "legacy-us's S3 Inventory of 2024-01-02T03:04:00Z"
	sgInv := "legacy-sg's S3 Inventory of 2024-01-02T03:04:00Z"
	other := "THE object's content"                    // as long as content
	targetMPOnly := fp("", size, ociMPMD5(content, 3)) // a target copy uploaded in parts: no whole-object MD5

	for _, tc := range []baselineCase{
		{
			name:   "deleted before the first run, the inventory's MD5 matches the target",
			target: target, invUS: plain,
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"}, ProvenAt: proven, DeletedAt: del,
				Detail:   "deleted before any run saw it; parity proven now from " + usInv + " (md5), which the copy in oci-us matches",
				Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}},
			comps: []ledger.Comparison{{Store: "legacy-us", Evidence: ledger.EvidenceMD5, Result: ledger.ResultEqual,
				Legacy: ledger.ChecksumValue(etag(content)), Target: ledger.ChecksumValue(ociMD5(content))}},
		},
		{
			name:   "both inventories list it, both match",
			target: target, invUS: plain, invSG: unknownEnc,
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proven, DeletedAt: del,
				Detail:   "deleted before any run saw it; parity proven now from " + usInv + " (md5) and " + sgInv + " (md5), which the copy in oci-us matches",
				Baseline: []ledger.BaselineRef{ref("legacy-us", plain), ref("legacy-sg", unknownEnc)}},
		},
		{
			name:   "one inventory's copy differs: never proven",
			target: target, invUS: plain, invSG: inv(other, inventory.EncryptionNone),
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceMD5, HeldBy: both, DeletedAt: del,
				Detail:   gone + "md5 differs: " + sgInv + " lists md5:" + md5hex(other) + ", oci-us has md5:" + md5hex(content),
				Baseline: []ledger.BaselineRef{ref("legacy-us", plain), ref("legacy-sg", inv(other, inventory.EncryptionNone))}},
			comps: []ledger.Comparison{
				{Store: "legacy-us", Evidence: ledger.EvidenceMD5, Result: ledger.ResultEqual, Legacy: ledger.ChecksumValue(etag(content)), Target: ledger.ChecksumValue(ociMD5(content))},
				{Store: "legacy-sg", Evidence: ledger.EvidenceMD5, Result: ledger.ResultDiffer, Legacy: ledger.ChecksumValue(etag(other)), Target: ledger.ChecksumValue(ociMD5(content))},
			},
		},
		{
			name:   "the size differs",
			target: fp("", size+1, ociMD5(content+"!")), invUS: plain,
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceSize, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail: gone + "size differs: " + usInv + " lists 20 bytes, oci-us has 21", Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}},
		},
		{
			name:  "the target holds no copy",
			invUS: plain,
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail: gone + usInv + " listed it (20 bytes); oci-us holds no copy", Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}},
		},
		{
			name:   "SSE-KMS: the inventory's ETag is no MD5, whatever the target says",
			target: target, invUS: kmsRow,
			heads: map[string]inventory.Fingerprint{"oci-us/" + key: *with(target, func(f *inventory.Fingerprint) { f.Checksums = append(f.Checksums, headSHA256(content)) })},
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail:   gone + usInv + " lists it encrypted with aws:kms: its ETag is not an MD5, and S3 Inventory gives no other checksum",
				Baseline: []ledger.BaselineRef{ref("legacy-us", kmsRow)}, Calls: []string{"head oci-us/" + key}},
		},
		{
			name:   "an inventory without EncryptionStatus: an equal ETag proves it",
			target: target, invUS: unknownEnc,
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"}, ProvenAt: proven, DeletedAt: del,
				Detail:   "deleted before any run saw it; parity proven now from " + usInv + " (md5), which the copy in oci-us matches",
				Baseline: []ledger.BaselineRef{ref("legacy-us", unknownEnc)}},
		},
		{
			name:   "an inventory without EncryptionStatus: a different ETag proves nothing either way",
			target: target, invUS: inv(other, ""),
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail: gone + usInv + " lists the ETag " + md5hex(other) + ", which differs from oci-us's md5:" + md5hex(content) +
					", and does not say whether the object was encrypted with SSE-KMS or SSE-C (an inventory with EncryptionStatus would)",
				Baseline: []ledger.BaselineRef{ref("legacy-us", inv(other, ""))}},
		},
		{
			name:   "a multipart ETag against a whole-object MD5: no part layout to read with",
			target: target, invUS: multipart, deep: true,
			heads: map[string]inventory.Fingerprint{"oci-us/" + key: *target},
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail:   gone + "no checksum " + usInv + " lists (ETag " + multipart.ETag + ") can be compared with one of oci-us (a multipart ETag needs the part layout, which an inventory does not give)",
				Baseline: []ledger.BaselineRef{ref("legacy-us", multipart)}, Calls: []string{"head oci-us/" + key}},
		},
		{
			name:   "a target without a whole-object MD5 is read to meet the inventory's",
			target: targetMPOnly, invUS: plain, deep: true,
			heads: map[string]inventory.Fingerprint{"oci-us/" + key: *targetMPOnly},
			reads: map[string][]inventory.Checksum{"oci-us/" + key: deepSums(content)},
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceDeep, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				ProvenAt: &ledger.Proof{At: now, Evidence: ledger.EvidenceDeep, Size: size, Checksums: append([]inventory.Checksum{ociMPMD5(content, 3)}, deepSums(content)...)},
				Detail:   "deleted before any run saw it; parity proven now from " + usInv + " (deep), which the copy in oci-us matches",
				Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}, Calls: []string{"head oci-us/" + key, "read oci-us/" + key}},
		},
		{
			name:   "the same without deep verification",
			target: targetMPOnly, invUS: plain,
			heads: map[string]inventory.Fingerprint{"oci-us/" + key: *targetMPOnly},
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail:   gone + "no checksum " + usInv + " lists (ETag " + plain.ETag + ") can be compared with one of oci-us; content not read: deep verification is off (deep_verify_budget is 0)",
				Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}, Calls: []string{"head oci-us/" + key}},
		},
		{
			name:   "a version hidden by a delete marker when the inventory was taken",
			target: target, invSG: with(inv(content, inventory.EncryptionNone), func(f *inventory.Fingerprint) {
				f.Presence = inventory.DeleteMarker
				f.NoncurrentVersions = 2
				f.VersionID = "v1"
			}),
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-sg"}, ProvenAt: proven, DeletedAt: del,
				Detail: "deleted before any run saw it; parity proven now from " + sgInv + " (md5), which the copy in oci-us matches",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", with(inv(content, inventory.EncryptionNone), func(f *inventory.Fingerprint) {
					f.Presence = inventory.DeleteMarker
					f.NoncurrentVersions = 2
					f.VersionID = "v1"
				}))}},
		},
		{
			name:   "a lone delete marker in the inventory held nothing: the target's copy is extra",
			target: target, invSG: &inventory.Fingerprint{Presence: inventory.DeleteMarker},
			want: baselineJudged{Verdict: ledger.Extra, Evidence: ledger.EvidenceNone, Detail: "only oci-us holds it; no legacy store or earlier ledger ever did"},
		},
		{
			name:  "a lone delete marker and nothing anywhere: no entry",
			invSG: &inventory.Fingerprint{Presence: inventory.DeleteMarker},
			skip:  true,
		},
		{
			name: "one store still holds it, the other's inventory listed it: deletion has begun",
			us:   with(fp("", size, etag(content)), func(f *inventory.Fingerprint) {}), target: target, invSG: plain,
			want: baselineJudged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proven,
				Detail:   "deletion has begun but a copy remains: legacy-sg no longer holds it (its S3 Inventory of 2024-01-02T03:04:00Z listed it)",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", plain)}},
		},
		{
			name: "one store still holds it, the other's inventory listed other content: that copy left unproven",
			us:   fp("", size, etag(content)), target: target, invSG: inv(other, inventory.EncryptionNone),
			want: baselineJudged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail: "deletion has begun but a copy remains: legacy-sg no longer holds it (its S3 Inventory of 2024-01-02T03:04:00Z listed it); " +
					sgInv + " lists md5:" + md5hex(other) + ", oci-us has md5:" + md5hex(content) + ": legacy-sg's copy was deleted before parity was proven",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", inv(other, inventory.EncryptionNone))}},
		},
		{
			name: "one store still holds it, the other's inventory cannot be compared: that copy left unproven",
			us:   fp("", size, etag(content)), target: target, invSG: kmsRow,
			want: baselineJudged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail: "deletion has begun but a copy remains: legacy-sg no longer holds it (its S3 Inventory of 2024-01-02T03:04:00Z listed it); " +
					sgInv + " lists nothing that proves its copy equal to oci-us's: legacy-sg's copy was deleted before parity was proven",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", kmsRow)}},
		},
		{
			name: "a later run does not prove a copy an earlier run left unproven",
			us:   fp("", size, etag(content)), target: target,
			prev: &ledger.Entry{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Stores:   []ledger.StoreFingerprint{{Store: "legacy-us", Role: ledger.Legacy, Fingerprint: *fp("", size, etag(content))}},
				Baseline: []ledger.BaselineRef{ref("legacy-sg", inv(other, inventory.EncryptionNone))}},
			want: baselineJudged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   "deletion has begun but a copy remains: legacy-sg no longer holds it (its S3 Inventory of 2024-01-02T03:04:00Z listed it); parity of the copy legacy-sg no longer holds was never proven",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", inv(other, inventory.EncryptionNone))}},
		},
		{
			name: "a later run keeps the baseline while the store stays without the key",
			us:   fp("", size, etag(content)), target: target,
			prev: &ledger.Entry{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target),
				Stores:   []ledger.StoreFingerprint{{Store: "legacy-us", Role: ledger.Legacy, Fingerprint: *fp("", size, etag(content))}},
				Baseline: []ledger.BaselineRef{ref("legacy-sg", plain)}},
			want: baselineJudged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target),
				Detail:   "deletion has begun but a copy remains: legacy-sg no longer holds it (its S3 Inventory of 2024-01-02T03:04:00Z listed it)",
				Baseline: []ledger.BaselineRef{ref("legacy-sg", plain)}},
		},
		{
			name: "a re-created key forgets the baseline",
			us:   fp("", size, etag(content)), sg: fp("", size, etag(content)), target: target,
			prev: &ledger.Entry{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target),
				DeletedAt: timePtr(earlier), Baseline: []ledger.BaselineRef{ref("legacy-sg", plain)}},
			want: baselineJudged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proven,
				Detail: "re-created after its deletion was confirmed at 2026-11-01T08:00:00Z; judged afresh"},
		},
		{
			name: "every store still holds it: the inventory changes nothing",
			us:   fp("", size, etag(content)), sg: fp("", size, etag(content)), target: target, invUS: plain, invSG: plain,
			want: baselineJudged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proven},
		},
		{
			name:   "the previous ledger wins over the inventory",
			target: target, invUS: plain,
			prev: &ledger.Entry{Verdict: ledger.Missing, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}},
			want: baselineJudged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"}, DeletedAt: del,
				Detail: "every legacy copy is gone but parity was never proven (previous verdict: missing)"},
		},
		{
			name:   "a later run keeps the baseline its deletion was judged from",
			target: target,
			prev: &ledger.Entry{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"}, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target),
				DeletedAt: timePtr(earlier), Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}},
			want: baselineJudged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"}, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target),
				DeletedAt: timePtr(earlier), Baseline: []ledger.BaselineRef{ref("legacy-us", plain)}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runBaseline(t, tc) })
	}
}

// A baseline out of order stops the shard like a listing would, naming
// it; a baseline of a store the pair lacks, or two of one store, are
// refused before anything is judged.
func TestBaselineInputs(t *testing.T) {
	ctx := context.Background()
	e, err := New(Config{Pair: testPair(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	none := func() inventory.Listing { return memory.NewListing(ctx, nil, 1) }
	base := func(store string, keys ...string) Baseline {
		var fps []inventory.Fingerprint
		for _, k := range keys {
			fps = append(fps, *fp(k, 1, etag("x")))
		}
		return Baseline{Store: store, Source: invSource(store), Date: invDate, Listing: memory.NewListing(ctx, fps, 1)}
	}
	emit := func(*ledger.Entry) error { return nil }
	for _, tc := range []struct {
		name      string
		baselines []Baseline
		rng       inventory.KeyRange
		want      string
	}{
		{"out of order", []Baseline{base("legacy-us", "b", "a")}, inventory.KeyRange{},
			`the baseline of legacy-us (` + invSource("legacy-us") + `) listed key "a" after "b": a listing must be sorted in byte order`},
		{"outside the shard", []Baseline{base("legacy-sg", "z")}, inventory.KeyRange{End: "m"},
			`the baseline of legacy-sg (` + invSource("legacy-sg") + `) listed key "z" outside the shard ["", "m")`},
		{"a store of no pair", []Baseline{base("legacy-eu", "a")}, inventory.KeyRange{},
			`pair "us-users": a baseline of "legacy-eu", which is not one of its legacy stores`},
		{"two of one store", []Baseline{base("legacy-us", "a"), base("legacy-us", "b")}, inventory.KeyRange{},
			`pair "us-users": two baselines of "legacy-us"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Verify(ctx, tc.rng, Inputs{Legacy: []inventory.Listing{none(), none()}, Target: none(), Baselines: tc.baselines}, emit)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			var oe *OrderError
			if tc.name == "out of order" && !errors.As(err, &oe) {
				t.Errorf("%v is not an *OrderError", err)
			}
		})
	}
}

// A key kept past the merge's next page owns its baselines' fingerprints.
func TestOwnBaselines(t *testing.T) {
	st := newKeyState(2)
	st.baselines([]Baseline{{Store: "legacy-us"}}, []int{0})
	page := []inventory.Fingerprint{*fp(baseKey, size, etag(content))}
	st.baseline[0] = &page[0]
	st.ownBaselines()
	page[0] = inventory.Fingerprint{Key: "reused"}
	if st.baseline[0] == &page[0] || st.baseline[0].Key != baseKey {
		t.Errorf("the baseline still points into the page: %+v", st.baseline[0])
	}
}
