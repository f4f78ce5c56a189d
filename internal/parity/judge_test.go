package parity

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// judged is the part of an entry the verdict tables check.
type judged struct {
	Verdict   ledger.Verdict
	Evidence  ledger.Evidence
	Detail    string
	HeldBy    []string
	ProvenAt  *ledger.Proof
	DeletedAt *time.Time
	Calls     []string // HEADs and reads asked of the resolver, in order
}

type judgeCase struct {
	name   string
	us, sg *inventory.Fingerprint // legacy-us and legacy-sg, nil when not listed
	target *inventory.Fingerprint
	prev   *ledger.Entry
	heads  map[string]inventory.Fingerprint
	reads  map[string][]inventory.Checksum
	errs   map[string]error
	policy Policy
	budget int64 // deep verify budget in bytes, when policy.DeepVerify
	want   judged
	skip   bool
}

func runJudge(t *testing.T, tc judgeCase) {
	t.Helper()
	r := &fakeResolver{heads: tc.heads, reads: tc.reads, errs: tc.errs, budget: -1}
	if tc.policy.DeepVerify && tc.budget > 0 {
		r.budget = tc.budget
	}
	e, err := New(Config{Pair: testPair(), Policy: tc.policy, Now: now, Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	key := "users/00042/backup-1.bin"
	for _, f := range []*inventory.Fingerprint{tc.us, tc.sg, tc.target} {
		if f != nil {
			f.Key = key
		}
	}
	if tc.prev != nil {
		tc.prev.Key = key
	}
	entry, skip, err := e.Judge(context.Background(), key, []*inventory.Fingerprint{tc.us, tc.sg}, tc.target, tc.prev)
	if err != nil {
		t.Fatalf("Judge: %v", err)
	}
	if skip != tc.skip {
		t.Fatalf("skip = %v, want %v (entry %+v)", skip, tc.skip, entry)
	}
	if skip {
		return
	}
	got := judged{entry.Verdict, entry.Evidence, entry.Detail, entry.HeldBy, entry.ProvenAt, entry.DeletedAt, r.calls}
	if diff := cmp.Diff(tc.want, got); diff != "" {
		t.Errorf("judgement (-want +got):\n%s", diff)
	}
	if entry.Key != key {
		t.Errorf("entry key = %q, want %q", entry.Key, key)
	}
}

var both = []string{"legacy-us", "legacy-sg"}

const (
	content  = "the object's content"
	changed  = "the object's content, changed"
	size     = int64(len(content))
	kmsETag1 = "0f0e0d0c0b0a09080706050403020100"
)

// kms is a listing ETag of an SSE-KMS object: not the content's MD5.
func kms() inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: kmsETag1, Source: inventory.FromETag}
}

func prevVerified(ev ledger.Evidence, target *inventory.Fingerprint, legacy ...*inventory.Fingerprint) *ledger.Entry {
	e := &ledger.Entry{Verdict: ledger.Verified, Evidence: ev, HeldBy: both, ProvenAt: proofOf(earlier, ev, target)}
	names := []string{"legacy-us", "legacy-sg"}
	for i, l := range legacy {
		if l != nil {
			e.Stores = append(e.Stores, ledger.StoreFingerprint{Store: names[i], Role: ledger.Legacy, Fingerprint: *l})
		}
	}
	e.Stores = append(e.Stores, ledger.StoreFingerprint{Store: "oci-us", Role: ledger.Target, Fingerprint: *target})
	return e
}

func editEntry(e *ledger.Entry, edit func(*ledger.Entry)) *ledger.Entry {
	edit(e)
	return e
}

func TestVerdicts(t *testing.T) {
	target := fp("", size, ociMD5(content))
	legacy := fp("", size, etag(content))
	proven := proofOf(now, ledger.EvidenceMD5, target)

	cases := []judgeCase{
		{
			name: "verified by md5 from both listings, no extra request",
			us:   legacy, sg: legacy, target: target,
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: proven},
		},
		{
			name: "verified by multipart md5 when both sides used the same part layout",
			us:   fp("", size, mpETag(content, 3)), sg: fp("", size, mpETag(content, 3)), target: fp("", size, ociMPMD5(content, 3)),
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMultipartMD5, HeldBy: both,
				ProvenAt: proofOf(now, ledger.EvidenceMultipartMD5, fp("", size, ociMPMD5(content, 3)))},
		},
		{
			name: "verified by crc32c from HEADs when the ETag is SSE-KMS",
			us:   fp("", size, kms()), target: target,
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "aws:kms", Checksums: []inventory.Checksum{kms(), headCRC32C(content)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{headCRC32C(content)}},
			},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceCRC32C, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(now, ledger.EvidenceCRC32C, fp("", size, headCRC32C(content), ociMD5(content))),
				Calls:    []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "verified by sha256 from HEADs of a multipart object with different part layouts",
			us:   fp("", size, mpETag(content, 3)), target: fp("", size, ociMPMD5(content, 2)),
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{mpETag(content, 3), headSHA256(content)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMPMD5(content, 2), headSHA256(content)}},
			},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceSHA256, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(now, ledger.EvidenceSHA256, fp("", size, ociMPMD5(content, 2), headSHA256(content))),
				Calls:    []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "unproven when sizes agree and nothing comparable exists, deep verification off",
			us:   fp("", size, mpETag(content, 3)), target: fp("", size, ociMPMD5(content, 2)),
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{mpETag(content, 3)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMPMD5(content, 2)}},
			},
			want: judged{Verdict: ledger.Unproven, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"},
				Detail: "no checksum of legacy-us can be compared with one of oci-us; content not read: deep verification is off (deep_verify_budget is 0)",
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "mismatch by size, with no request: a size difference is always a mismatch",
			us:   fp("", size+1, etag(changed)), sg: legacy, target: target,
			want: judged{Verdict: ledger.Mismatch, Evidence: ledger.EvidenceSize, HeldBy: both,
				Detail: "size differs: legacy-us has 21 bytes, oci-us has 20"},
		},
		{
			name: "mismatch by checksum once a HEAD shows the ETag is a plain MD5",
			us:   fp("", size, etag(changed)), target: target,
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: inventory.EncryptionNone, Checksums: []inventory.Checksum{etag(changed)}},
			},
			want: judged{Verdict: ledger.Mismatch, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"},
				Detail: fmt.Sprintf("md5 differs: legacy-us has md5:%s, oci-us has md5:%s", md5hex(changed), md5hex(content)),
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin"}},
		},
		{
			name: "mismatch by checksum against an S3 target: both HEADs are asked in the same round",
			us:   fp("", size, etag(changed)), target: fp("", size, etag(content)),
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: inventory.EncryptionNone, Checksums: []inventory.Checksum{etag(changed)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{etag(content)}},
			},
			want: judged{Verdict: ledger.Mismatch, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"},
				Detail: fmt.Sprintf("md5 differs: legacy-us has md5:%s, oci-us has md5:%s", md5hex(changed), md5hex(content)),
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "SSE-KMS ETag falls through: a differing ETag is not a mismatch, and ends unproven",
			us:   fp("", size, kms()), target: target,
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "aws:kms", Checksums: []inventory.Checksum{kms()}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMD5(content)}},
			},
			want: judged{Verdict: ledger.Unproven, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"},
				Detail: "no checksum of legacy-us can be compared with one of oci-us; content not read: deep verification is off (deep_verify_budget is 0)",
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "SSE-KMS ETag falls through to a deep read of both copies",
			us:   fp("", size, kms()), target: target, policy: Policy{DeepVerify: true},
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "aws:kms", Checksums: []inventory.Checksum{kms()}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMD5(content)}},
			},
			reads: map[string][]inventory.Checksum{
				"legacy-us/users/00042/backup-1.bin": deepSums(content),
				"oci-us/users/00042/backup-1.bin":    deepSums(content),
			},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceDeep, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(now, ledger.EvidenceDeep, fp("", size, append([]inventory.Checksum{ociMD5(content)}, deepSums(content)...)...)),
				Calls: []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin",
					"read legacy-us/users/00042/backup-1.bin", "read oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "deep read of the target alone, under the legacy part layout",
			us:   fp("", size, mpETag(content, 3)), target: fp("", size, ociMPMD5(content, 2)), policy: Policy{DeepVerify: true},
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", PartCount: 3, PartSize: 8, Checksums: []inventory.Checksum{mpETag(content, 3)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMPMD5(content, 2)}},
			},
			reads: map[string][]inventory.Checksum{
				"oci-us/users/00042/backup-1.bin": append(deepSums(content),
					inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: md5hex("parts:" + content), Parts: 3, PartSize: 8, Source: inventory.FromContent}),
			},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceDeep, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(now, ledger.EvidenceDeep, fp("", size, append(append([]inventory.Checksum{ociMPMD5(content, 2)}, deepSums(content)...),
					inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: md5hex("parts:" + content), Parts: 3, PartSize: 8, Source: inventory.FromContent})...)),
				Calls: []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin",
					"read oci-us/users/00042/backup-1.bin parts of 8"}},
		},
		{
			name: "a deep read the budget does not cover leaves the key unproven, saying so",
			us:   fp("", size, kms()), target: target, policy: Policy{DeepVerify: true}, budget: 5,
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "aws:kms", Checksums: []inventory.Checksum{kms()}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMD5(content)}},
			},
			want: judged{Verdict: ledger.Unproven, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"},
				Detail: "no checksum of legacy-us can be compared with one of oci-us; content not read: the run's deep_verify_budget is spent",
				Calls: []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin",
					"read legacy-us/users/00042/backup-1.bin"}},
		},
		{
			name: "asserted checksum without policy: shown, not enough",
			us:   legacy, target: fp("", size, ociMPMD5(content, 2), assertedMD5(content)),
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{etag(content)}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, Checksums: []inventory.Checksum{ociMPMD5(content, 2), assertedMD5(content)}},
			},
			want: judged{Verdict: ledger.Unproven, Evidence: ledger.EvidenceAsserted, HeldBy: []string{"legacy-us"},
				Detail: fmt.Sprintf("only an asserted checksum agrees (md5:%s = md5:%s), and policy does not accept asserted checksums; content not read: deep verification is off (deep_verify_budget is 0)", md5hex(content), md5hex(content)),
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "asserted checksum with policy: verified on it",
			us:   legacy, target: fp("", size, ociMPMD5(content, 2), assertedMD5(content)), policy: Policy{AcceptAssertedChecksums: true},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceAsserted, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(now, ledger.EvidenceAsserted, fp("", size, ociMPMD5(content, 2)))},
		},
		{
			name: "missing: a legacy copy exists, the target has none",
			us:   legacy, sg: legacy,
			want: judged{Verdict: ledger.Missing, Evidence: ledger.EvidenceNone, HeldBy: both, Detail: "no copy in oci-us"},
		},
		{
			name:   "extra: only the target holds the key, nothing ever did",
			target: target,
			want:   judged{Verdict: ledger.Extra, Evidence: ledger.EvidenceNone, Detail: "only oci-us holds it; no legacy store or earlier ledger ever did"},
		},
		{
			name:   "extra stays extra in later runs",
			target: target, prev: &ledger.Entry{Verdict: ledger.Extra, Evidence: ledger.EvidenceNone},
			want: judged{Verdict: ledger.Extra, Evidence: ledger.EvidenceNone, Detail: "only oci-us holds it; no legacy store or earlier ledger ever did"},
		},
		{
			name: "an extra key gone from the target leaves the ledger",
			prev: &ledger.Entry{Verdict: ledger.Extra, Evidence: ledger.EvidenceNone},
			skip: true,
		},
		{
			name:   "deleted: no legacy copy, parity proven earlier, target unchanged",
			target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
		{
			name:   "deleted stays deleted, keeping when deletion was first confirmed",
			target: target,
			prev: &ledger.Entry{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(earlier.Add(time.Hour))},
			want: judged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(earlier.Add(time.Hour))},
		},
		{
			name: "copy_lost: legacy copies gone and the proven target copy gone",
			prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.CopyLost, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   "every legacy copy is gone and the copy in oci-us, proven at 2026-11-01T08:00:00Z, is gone too",
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
		{
			name:   "copy_lost: legacy copies gone and the target changed since it was proven",
			target: fp("", size, ociMD5(changed)), prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.CopyLost, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   fmt.Sprintf("every legacy copy is gone and the copy in oci-us changed since parity was proven at 2026-11-01T08:00:00Z: md5:%s was proven, md5:%s is there now", md5hex(content), md5hex(changed)),
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
		{
			name:   "copy_lost: the target changed size",
			target: fp("", size+2, ociMD5(changed)), prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.CopyLost, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   "every legacy copy is gone and the copy in oci-us changed since parity was proven at 2026-11-01T08:00:00Z: size:20 was proven, size:22 is there now",
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
		{
			name:   "deleted_unverified: legacy copies gone, parity never proven",
			target: target, prev: &ledger.Entry{Verdict: ledger.Unproven, Evidence: ledger.EvidenceNone, HeldBy: both},
			want: judged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: both,
				Detail: "every legacy copy is gone but parity was never proven (previous verdict: unproven)", DeletedAt: timePtr(now)},
		},
		{
			name: "deleted_unverified: a missing key whose legacy copies were deleted",
			prev: &ledger.Entry{Verdict: ledger.Missing, Evidence: ledger.EvidenceNone, HeldBy: both},
			want: judged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone, HeldBy: both,
				Detail: "every legacy copy is gone but parity was never proven (previous verdict: missing)", DeletedAt: timePtr(now)},
		},
		{
			name: "deletion_incomplete: a delete marker hides noncurrent versions",
			us: with(legacy, func(f *inventory.Fingerprint) {
				f.Presence, f.NoncurrentVersions, f.VersionID = inventory.DeleteMarker, 2, "v2"
			}),
			target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   "deletion has begun but a copy remains: legacy-us hides it behind a delete marker over 2 noncurrent versions; legacy-sg no longer holds it",
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target)},
		},
		{
			name: "deletion_incomplete: one legacy store still holds the key",
			sg:   legacy, target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail:   "deletion has begun but a copy remains: legacy-us no longer holds it",
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target)},
		},
		{
			name:   "deletion_incomplete: an unfinished multipart upload holds parts",
			us:     &inventory.Fingerprint{Presence: inventory.NoObject, UnfinishedUploads: 1},
			target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceNone, HeldBy: both,
				Detail:   "deletion has begun but a copy remains: legacy-us holds parts of 1 unfinished multipart upload; legacy-sg no longer holds it",
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target)},
		},
		{
			name: "deletion begun but the remaining copy differs: the comparison's verdict",
			sg:   fp("", size, etag(changed)), target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			heads: map[string]inventory.Fingerprint{
				"legacy-sg/users/00042/backup-1.bin": {Size: size, Encryption: inventory.EncryptionNone, Checksums: []inventory.Checksum{etag(changed)}},
			},
			want: judged{Verdict: ledger.Mismatch, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail: fmt.Sprintf("regression: parity was proven at 2026-11-01T08:00:00Z (md5); md5 differs: legacy-sg has md5:%s, oci-us has md5:%s; deletion has begun but a copy remains: legacy-us no longer holds it", md5hex(changed), md5hex(content)),
				Calls:  []string{"head legacy-sg/users/00042/backup-1.bin"}},
		},
		{
			name:   "deletion_incomplete then every copy gone: deleted on the proof carried through",
			target: target,
			prev: &ledger.Entry{Verdict: ledger.DeletionIncomplete, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target)},
			want: judged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
		{
			name: "re-created after deletion: judged afresh, said in the detail",
			us:   legacy, target: target,
			prev: &ledger.Entry{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(earlier.Add(time.Hour))},
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-us"},
				Detail:   "re-created after its deletion was confirmed at 2026-11-01T09:00:00Z; judged afresh",
				ProvenAt: proven},
		},
		{
			name: "verified then the target changed: mismatch naming the regression",
			us:   legacy, sg: legacy, target: fp("", size, ociMD5(changed)), prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{etag(content)}},
				"legacy-sg/users/00042/backup-1.bin": {Size: size, Encryption: "AES256", Checksums: []inventory.Checksum{etag(content)}},
			},
			want: judged{Verdict: ledger.Mismatch, Evidence: ledger.EvidenceMD5, HeldBy: both,
				Detail: fmt.Sprintf("regression: parity was proven at 2026-11-01T08:00:00Z (md5); md5 differs: legacy-us has md5:%s, oci-us has md5:%s; md5 differs: legacy-sg has md5:%s, oci-us has md5:%s",
					md5hex(content), md5hex(changed), md5hex(content), md5hex(changed)),
				Calls: []string{"head legacy-us/users/00042/backup-1.bin", "head legacy-sg/users/00042/backup-1.bin"}},
		},
		{
			name: "an unchanged SSE-KMS object keeps its earlier deep proof without HEADs or reads",
			us:   fp("", size, kms()), target: target, policy: Policy{DeepVerify: true},
			prev: editEntry(prevVerified(ledger.EvidenceDeep, target, fp("", size, kms())), func(e *ledger.Entry) { e.HeldBy = []string{"legacy-us"} }),
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceDeep, HeldBy: []string{"legacy-us"},
				ProvenAt: proofOf(earlier, ledger.EvidenceDeep, target)},
		},
		{
			name: "a proof is kept while the target still matches it",
			us:   legacy, sg: legacy, target: target, prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target)},
		},
		{
			name: "a key only one legacy store ever held is verified on that one",
			sg:   legacy, target: target,
			want: judged{Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: []string{"legacy-sg"}, ProvenAt: proven},
		},
		{
			name: "error: a HEAD the store refuses",
			us:   fp("", size, kms()), target: target,
			errs: map[string]error{"head legacy-us/users/00042/backup-1.bin": errors.New("AccessDenied: not authorized")},
			heads: map[string]inventory.Fingerprint{
				"oci-us/users/00042/backup-1.bin": {Size: size, Checksums: []inventory.Checksum{ociMD5(content)}},
			},
			want: judged{Verdict: ledger.Error, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"},
				Detail: "no checksum of legacy-us can be compared with one of oci-us; content not read: deep verification is off (deep_verify_budget is 0); HEAD in legacy-us failed: AccessDenied: not authorized",
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "error: an archived target copy that must be read needs a restore",
			us:   fp("", size, kms()), target: with(target, func(f *inventory.Fingerprint) { f.Archived, f.StorageTier = true, "Archive" }),
			policy: Policy{DeepVerify: true},
			heads: map[string]inventory.Fingerprint{
				"legacy-us/users/00042/backup-1.bin": {Size: size, Encryption: "aws:kms", Checksums: []inventory.Checksum{kms()}},
				"oci-us/users/00042/backup-1.bin":    {Size: size, StorageTier: "Archive", Archived: true, Checksums: []inventory.Checksum{ociMD5(content)}},
			},
			want: judged{Verdict: ledger.Error, Evidence: ledger.EvidenceNone, HeldBy: []string{"legacy-us"},
				Detail: "no checksum of legacy-us can be compared with one of oci-us, and the content needed is archived: restore it to read it",
				Calls:  []string{"head legacy-us/users/00042/backup-1.bin", "head oci-us/users/00042/backup-1.bin"}},
		},
		{
			name: "a baseline-like previous entry without proof makes a vanished key deleted_unverified",
			prev: &ledger.Entry{Verdict: ledger.Unproven, Evidence: ledger.EvidenceNone},
			want: judged{Verdict: ledger.DeletedUnverified, Evidence: ledger.EvidenceNone,
				Detail: "every legacy copy is gone but parity was never proven (previous verdict: unproven)", DeletedAt: timePtr(now)},
		},
		{
			name: "a lone delete marker with no versions holds nothing",
			us:   &inventory.Fingerprint{Presence: inventory.DeleteMarker}, target: target,
			prev: prevVerified(ledger.EvidenceMD5, target, legacy, legacy),
			want: judged{Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5, HeldBy: both,
				ProvenAt: proofOf(earlier, ledger.EvidenceMD5, target), DeletedAt: timePtr(now)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runJudge(t, tc) })
	}
}
