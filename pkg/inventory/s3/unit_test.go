package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

func dataVersion(key, id string, latest bool, size int64) entry {
	return entry{key: key, latest: latest, fp: inventory.Fingerprint{Size: size, VersionID: id, StorageTier: "STANDARD"}}
}

func marker(key, id string, latest bool) entry {
	return entry{key: key, latest: latest, deleteMarker: true, fp: inventory.Fingerprint{VersionID: id}}
}

// foldPages folds entries handed over in pages of n, as a walk does.
func foldPages(f folder, entries []entry, n int) []inventory.Fingerprint {
	var out []inventory.Fingerprint
	for len(entries) > 0 {
		k := min(n, len(entries))
		for _, e := range entries[:k] {
			out = f.add(out, e.key, e)
		}
		entries = entries[k:]
	}
	return f.flush(out)
}

func TestVersionFold(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    []inventory.Fingerprint
	}{
		{"a current version is described",
			[]entry{dataVersion("a", "v1", true, 10)},
			[]inventory.Fingerprint{{Key: "a", Size: 10, VersionID: "v1", StorageTier: "STANDARD"}}},
		{"noncurrent versions are counted, the current one described",
			[]entry{dataVersion("a", "v3", true, 3), dataVersion("a", "v2", false, 2), dataVersion("a", "v1", false, 1)},
			[]inventory.Fingerprint{{Key: "a", Size: 3, VersionID: "v3", StorageTier: "STANDARD", NoncurrentVersions: 2}}},
		{"a delete marker hides the newest noncurrent version, which is described",
			[]entry{marker("a", "m1", true), dataVersion("a", "v2", false, 2), dataVersion("a", "v1", false, 1)},
			[]inventory.Fingerprint{{Key: "a", Presence: inventory.DeleteMarker, Size: 2, VersionID: "v2", StorageTier: "STANDARD", NoncurrentVersions: 2}}},
		{"a delete marker alone describes nothing",
			[]entry{marker("a", "m1", true)},
			[]inventory.Fingerprint{{Key: "a", Presence: inventory.DeleteMarker}}},
		{"noncurrent delete markers are not counted",
			[]entry{dataVersion("a", "v3", true, 3), marker("a", "m2", false), dataVersion("a", "v1", false, 1), marker("a", "m0", false)},
			[]inventory.Fingerprint{{Key: "a", Size: 3, VersionID: "v3", StorageTier: "STANDARD", NoncurrentVersions: 1}}},
		{"the marker may come after the versions in a page",
			[]entry{dataVersion("a", "v1", false, 1), marker("a", "m1", true)},
			[]inventory.Fingerprint{{Key: "a", Presence: inventory.DeleteMarker, Size: 1, VersionID: "v1", StorageTier: "STANDARD", NoncurrentVersions: 1}}},
		{"no current version at all: no object",
			[]entry{dataVersion("a", "v1", false, 1)},
			[]inventory.Fingerprint{{Key: "a", Presence: inventory.NoObject, Size: 1, VersionID: "v1", StorageTier: "STANDARD", NoncurrentVersions: 1}}},
		{"keys are folded apart",
			[]entry{marker("a", "m", true), dataVersion("a", "v", false, 1), dataVersion("b", "w2", true, 2), dataVersion("b", "w1", false, 1), marker("c", "n", true)},
			[]inventory.Fingerprint{
				{Key: "a", Presence: inventory.DeleteMarker, Size: 1, VersionID: "v", StorageTier: "STANDARD", NoncurrentVersions: 1},
				{Key: "b", Size: 2, VersionID: "w2", StorageTier: "STANDARD", NoncurrentVersions: 1},
				{Key: "c", Presence: inventory.DeleteMarker},
			}},
	}
	for _, tc := range tests {
		// Every page size, so that a key's versions straddle pages at every
		// place.
		for n := 1; n <= len(tc.entries); n++ {
			t.Run(fmt.Sprintf("%s/page%d", tc.name, n), func(t *testing.T) {
				if diff := cmp.Diff(tc.want, foldPages(&versionFolder{}, tc.entries, n)); diff != "" {
					t.Errorf("fold (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestUploadFold(t *testing.T) {
	entries := []entry{{key: "a"}, {key: "a"}, {key: "b"}, {key: "c"}, {key: "c"}, {key: "c"}}
	want := []inventory.Fingerprint{
		{Key: "a", Presence: inventory.NoObject, UnfinishedUploads: 2},
		{Key: "b", Presence: inventory.NoObject, UnfinishedUploads: 1},
		{Key: "c", Presence: inventory.NoObject, UnfinishedUploads: 3},
	}
	for n := 1; n <= len(entries); n++ {
		if diff := cmp.Diff(want, foldPages(&uploadFolder{}, entries, n)); diff != "" {
			t.Errorf("page size %d: fold (-want +got):\n%s", n, diff)
		}
	}
}

// fakePager serves keys in pages of n from a sorted list, honouring the
// prefix and the position like S3, and records the requests.
type fakePager struct {
	keys     []string
	n        int
	requests []string
}

func (p *fakePager) fetch(_ context.Context, prefix string, pos position) ([]entry, position, bool, error) {
	p.requests = append(p.requests, fmt.Sprintf("prefix=%q after=%q", prefix, pos.key))
	var page []entry
	for _, k := range p.keys {
		if strings.HasPrefix(k, prefix) && k > pos.key {
			if len(page) == p.n {
				return page, position{key: page[len(page)-1].key}, false, nil
			}
			page = append(page, entry{key: k})
		}
	}
	return page, position{}, true, nil
}

// walkKeys walks r of a store with prefix through p.
func walkKeys(t *testing.T, prefix string, pageSize int, r inventory.KeyRange, p pager) ([]string, error) {
	t.Helper()
	s := &Store{cfg: Config{Name: "unit", Prefix: prefix, PageSize: pageSize}}
	var pages [][]inventory.Fingerprint
	err := s.walk(context.Background(), r, p, objectFolder{}, func(fps []inventory.Fingerprint) bool {
		pages = append(pages, fps)
		return true
	})
	var keys []string
	for _, pg := range pages {
		if len(pg) > pageSize {
			t.Errorf("a page of %d fingerprints, more than %d", len(pg), pageSize)
		}
		for _, fp := range pg {
			keys = append(keys, fp.Key)
		}
	}
	return keys, err
}

func TestWalkRanges(t *testing.T) {
	keys := []string{"p/a", "p/b", "p/b/1", "p/b/2", "p/b0", "p/c", "p/c\x00", "p/c\x00x", "p/d"}
	tests := []struct {
		name     string
		r        inventory.KeyRange
		want     []string
		requests []string
	}{
		{"everything", inventory.KeyRange{}, []string{"a", "b", "b/1", "b/2", "b0", "c", "c\x00", "c\x00x", "d"},
			[]string{`prefix="p/" after=""`, `prefix="p/" after="p/b/1"`, `prefix="p/" after="p/c"`}},
		{"an existing start key is included, listed first by prefix", inventory.KeyRange{Start: "b", End: "c"}, []string{"b", "b/1", "b/2", "b0"},
			[]string{`prefix="p/b" after=""`, `prefix="p/b" after="p/b/2"`, `prefix="p/" after="p/b0"`}},
		{"an absent start key", inventory.KeyRange{Start: "bb", End: "d"}, []string{"c", "c\x00", "c\x00x"},
			[]string{`prefix="p/bb" after=""`, `prefix="p/" after="p/bb"`, `prefix="p/" after="p/c\x00x"`}},
		{"a resumed range starts after the key, in one listing", inventory.KeyRange{}.After("b/2"), []string{"b0", "c", "c\x00", "c\x00x", "d"},
			[]string{`prefix="p/" after="p/b/2"`, `prefix="p/" after="p/c\x00"`}},
		{"a key ending in NUL resumes too", inventory.KeyRange{End: "d"}.After("c"), []string{"c\x00", "c\x00x"},
			[]string{`prefix="p/" after="p/c"`}},
		{"the walk stops at the end without listing further", inventory.KeyRange{End: "b/1"}, []string{"a", "b"},
			[]string{`prefix="p/" after=""`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakePager{keys: keys, n: 3}
			got, err := walkKeys(t, "p/", 2, tc.r, p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.requests, p.requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// listedPager serves fixed pages, whatever it is asked; last[i] says page
// i ends a listing.
type listedPager struct {
	pages [][]string
	last  []bool
}

func (p *listedPager) fetch(context.Context, string, position) ([]entry, position, bool, error) {
	var page []entry
	for _, k := range p.pages[0] {
		page = append(page, entry{key: k})
	}
	last := p.last[0]
	p.pages, p.last = p.pages[1:], p.last[1:]
	return page, position{key: "x"}, last, nil
}

func TestWalkRefusesABackwardListing(t *testing.T) {
	_, err := walkKeys(t, "", 10, inventory.KeyRange{}, &listedPager{pages: [][]string{{"a", "c"}, {"b"}}, last: []bool{false, true}})
	if err == nil || !strings.Contains(err.Error(), "not in byte order") {
		t.Errorf("got %v, want an error saying the listing is not in byte order", err)
	}
}

func TestWalkSkipsKeysAServerRepeats(t *testing.T) {
	// A server that ignores the marker of the second phase repeats the
	// keys of the first, and keys before the start.
	got, err := walkKeys(t, "", 10, inventory.KeyRange{Start: "b"}, &listedPager{pages: [][]string{{"b", "b1"}, {"a", "b", "b1", "c"}}, last: []bool{true, true}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "b1", "c"}, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

// chanListing is a listing over sources fed by the test.
func chanListing(ctx context.Context, objects, uploads []inventory.Fingerprint, pageSize int) *listing {
	feed := func(fps []inventory.Fingerprint) *cursor {
		return &cursor{l: memory.NewListing(ctx, fps, 1)}
	}
	ctx, cancel := context.WithCancel(ctx)
	return &listing{ctx: ctx, cancel: cancel, store: "unit", pageSize: pageSize, objects: feed(objects), uploads: feed(uploads)}
}

func TestListingMergesUploads(t *testing.T) {
	objects := []inventory.Fingerprint{{Key: "a", Size: 1}, {Key: "c", Size: 3}, {Key: "e", Presence: inventory.DeleteMarker}}
	uploads := []inventory.Fingerprint{
		{Key: "b", Presence: inventory.NoObject, UnfinishedUploads: 1},
		{Key: "c", Presence: inventory.NoObject, UnfinishedUploads: 2},
		{Key: "e", Presence: inventory.NoObject, UnfinishedUploads: 1},
		{Key: "f", Presence: inventory.NoObject, UnfinishedUploads: 4},
	}
	want := []inventory.Fingerprint{
		{Key: "a", Size: 1},
		{Key: "b", Presence: inventory.NoObject, UnfinishedUploads: 1},
		{Key: "c", Size: 3, UnfinishedUploads: 2},
		{Key: "e", Presence: inventory.DeleteMarker, UnfinishedUploads: 1},
		{Key: "f", Presence: inventory.NoObject, UnfinishedUploads: 4},
	}
	got, err := inventory.Collect(chanListing(context.Background(), objects, uploads, 2))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged listing (-want +got):\n%s", diff)
	}
}

func TestListingCancelledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l := chanListing(ctx, []inventory.Fingerprint{{Key: "a"}, {Key: "b"}, {Key: "c"}}, nil, 1)
	defer l.Close()
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err := l.NextPage()
	if !errors.Is(err, context.Canceled) || err == io.EOF {
		t.Errorf("got %v, want an error wrapping context.Canceled", err)
	}
	if !strings.Contains(fmt.Sprint(err), "listing unit") {
		t.Errorf("error %q does not say what was being listed", err)
	}
}

func TestHeadFingerprint(t *testing.T) {
	when := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	base := func(edit func(*awss3.HeadObjectOutput)) *awss3.HeadObjectOutput {
		out := &awss3.HeadObjectOutput{ETag: aws.String(`"0123456789abcdef0123456789abcdef-3"`), ContentLength: aws.Int64(100), LastModified: &when, VersionId: aws.String("v1")}
		edit(out)
		return out
	}
	md5ETag := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: "0123456789abcdef0123456789abcdef", Parts: 3, Source: inventory.FromETag}
	wantBase := func(edit func(*inventory.Fingerprint)) inventory.Fingerprint {
		fp := inventory.Fingerprint{Key: "k", Size: 100, ETag: "0123456789abcdef0123456789abcdef-3", Checksums: []inventory.Checksum{md5ETag},
			PartCount: 3, VersionID: "v1", Modified: when, StorageTier: "STANDARD", Encryption: inventory.EncryptionNone}
		edit(&fp)
		return fp
	}
	tests := []struct {
		name string
		out  *awss3.HeadObjectOutput
		want inventory.Fingerprint
	}{
		{"a declared composite checksum keeps its parts",
			base(func(o *awss3.HeadObjectOutput) {
				o.ChecksumCRC32C, o.ChecksumType = aws.String("AAAAAQ==-3"), types.ChecksumTypeComposite
			}),
			wantBase(func(f *inventory.Fingerprint) {
				f.Checksums = append(f.Checksums, inventory.Checksum{Algorithm: inventory.CRC32C, Type: inventory.Composite, Value: "00000001", Parts: 3, Source: inventory.FromHead})
			})},
		{"a declared full-object checksum of a multipart object",
			base(func(o *awss3.HeadObjectOutput) {
				o.ChecksumCRC64NVME, o.ChecksumType = aws.String("AAAAAAAAAAI="), types.ChecksumTypeFullObject
			}),
			wantBase(func(f *inventory.Fingerprint) {
				f.Checksums = append(f.Checksums, inventory.Checksum{Algorithm: inventory.CRC64NVME, Type: inventory.FullObject, Value: "0000000000000002", Source: inventory.FromHead})
			})},
		{"an undeclared CRC64NVME of a multipart object is full-object",
			base(func(o *awss3.HeadObjectOutput) { o.ChecksumCRC64NVME = aws.String("AAAAAAAAAAI=") }),
			wantBase(func(f *inventory.Fingerprint) {
				f.Checksums = append(f.Checksums, inventory.Checksum{Algorithm: inventory.CRC64NVME, Type: inventory.FullObject, Value: "0000000000000002", Source: inventory.FromHead})
			})},
		{"SSE-KMS", base(func(o *awss3.HeadObjectOutput) { o.ServerSideEncryption = types.ServerSideEncryptionAwsKms }),
			wantBase(func(f *inventory.Fingerprint) { f.Encryption = "aws:kms" })},
		{"SSE-C", base(func(o *awss3.HeadObjectOutput) { o.SSECustomerAlgorithm = aws.String("AES256") }),
			wantBase(func(f *inventory.Fingerprint) { f.Encryption = inventory.EncryptionCustomerKey })},
		{"a restored Glacier object can be read",
			base(func(o *awss3.HeadObjectOutput) {
				o.StorageClass, o.Restore = types.StorageClassGlacier, aws.String(`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`)
			}),
			wantBase(func(f *inventory.Fingerprint) {
				f.StorageTier, f.ArchivalState = "GLACIER", `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
			})},
		{"a Glacier object being restored cannot",
			base(func(o *awss3.HeadObjectOutput) {
				o.StorageClass, o.Restore = types.StorageClassGlacier, aws.String(`ongoing-request="true"`)
			}),
			wantBase(func(f *inventory.Fingerprint) {
				f.StorageTier, f.ArchivalState, f.Archived = "GLACIER", `ongoing-request="true"`, true
			})},
		{"an Intelligent-Tiering object in an archive tier cannot",
			base(func(o *awss3.HeadObjectOutput) {
				o.StorageClass, o.ArchiveStatus = types.StorageClassIntelligentTiering, types.ArchiveStatusDeepArchiveAccess
			}),
			wantBase(func(f *inventory.Fingerprint) {
				f.StorageTier, f.ArchivalState, f.Archived = "INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS", true
			})},
		{"the null version has no version id", base(func(o *awss3.HeadObjectOutput) { o.VersionId = aws.String("null") }),
			wantBase(func(f *inventory.Fingerprint) { f.VersionID = "" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := headFingerprint("k", tc.out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fingerprint (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := headFingerprint("k", base(func(o *awss3.HeadObjectOutput) { o.ChecksumSHA256 = aws.String("not base64!") })); err == nil {
		t.Error("a malformed checksum from S3 was accepted")
	}
}

func TestListedArchival(t *testing.T) {
	restoredUntil := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		class    string
		restore  *types.RestoreStatus
		archived bool
		state    string
	}{
		{"STANDARD", nil, false, ""},
		{"GLACIER_IR", nil, false, ""},
		{"GLACIER", nil, true, ""},
		{"DEEP_ARCHIVE", &types.RestoreStatus{IsRestoreInProgress: aws.Bool(true)}, true, `ongoing-request="true"`},
		{"DEEP_ARCHIVE", &types.RestoreStatus{IsRestoreInProgress: aws.Bool(false), RestoreExpiryDate: &restoredUntil}, false, `ongoing-request="false"`},
	}
	for _, tc := range tests {
		fp := listedFingerprint("k", `"x"`, 1, time.Time{}, tc.class, tc.restore)
		if diff := cmp.Diff([2]any{tc.archived, tc.state}, [2]any{fp.Archived, fp.ArchivalState}); diff != "" {
			t.Errorf("%s %+v: (-want +got) archived, state:\n%s", tc.class, tc.restore, diff)
		}
	}
}

func TestDecodeKey(t *testing.T) {
	for _, tc := range []struct{ encoded, want string }{
		{"a%20b", "a b"}, {"a+b", "a b"}, {"plus%2Bsign", "plus+sign"}, {"caf%C3%A9", "café"}, {"k%01", "k\x01"}, {"%25", "%"},
	} {
		got, err := decodeKey(types.EncodingTypeUrl, tc.encoded)
		if err != nil {
			t.Errorf("%q: %v", tc.encoded, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("decoding %q (-want +got):\n%s", tc.encoded, diff)
		}
	}
	if got, _ := decodeKey("", "a+b%20"); got != "a+b%20" {
		t.Errorf("a key the response did not say it encoded was decoded to %q", got)
	}
}

func TestConfigDefaultsAndProblems(t *testing.T) {
	got, err := Config{Name: "s", Bucket: "b"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: "s", Bucket: "b", PageSize: DefaultPageSize,
		Retry: Retry{Mode: RetryStandard, MaxAttempts: DefaultMaxAttempts, MaxBackoff: DefaultMaxBackoff}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	_, err = Config{Name: "s", PageSize: 1001, Retry: Retry{Mode: "eager", MaxAttempts: -1}}.withDefaults()
	for _, w := range []string{"store s", "bucket is empty", "page size 1001", `retry mode "eager"`, "max attempts -1"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
}

// The store's configuration reaches its client.
func TestClientOptions(t *testing.T) {
	cfg, err := Config{Name: "s", Bucket: "b", Region: "eu-west-1", Endpoint: "http://127.0.0.1:9", PathStyle: true,
		Retry: Retry{Mode: RetryAdaptive, MaxAttempts: 5}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := awsclient.Options{Region: "eu-west-1", Endpoint: "http://127.0.0.1:9", PathStyle: true,
		Retry: awsclient.Retry{Mode: awsclient.RetryAdaptive, MaxAttempts: 5, MaxBackoff: DefaultMaxBackoff}}
	if diff := cmp.Diff(want, clientOptions(cfg, options{})); diff != "" {
		t.Errorf("client options (-want +got):\n%s", diff)
	}
}
