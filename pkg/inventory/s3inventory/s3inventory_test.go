package s3inventory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

var (
	created = time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)
	t1      = time.Date(2023, 1, 1, 10, 0, 0, 0, time.UTC)
	t2      = t1.Add(time.Hour)
	t3      = t2.Add(time.Hour)
)

const (
	md5A = "0123456789abcdef0123456789abcdef"
	md5B = "fedcba9876543210fedcba9876543210"
	md5C = "00112233445566778899aabbccddeeff"
)

// etagSum is the checksum an MD5-like ETag stands for.
func etagSum(hex string, parts int) []inventory.Checksum {
	c := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: strings.ToLower(hex), Source: inventory.FromETag}
	if parts > 0 {
		c.Type, c.Parts = inventory.Composite, parts
	}
	return []inventory.Checksum{c}
}

// readAll opens the inventory and drains its records.
func readAll(t *testing.T, src s3inventory.Source, key string, opts s3inventory.Options) ([]s3inventory.Record, s3inventory.Stats, error) {
	t.Helper()
	inv, err := s3inventory.Open(context.Background(), src, key, opts)
	if err != nil {
		return nil, s3inventory.Stats{}, err
	}
	rs := inv.Records(context.Background())
	defer rs.Close()
	var all []s3inventory.Record
	for {
		page, err := rs.NextPage()
		if err == io.EOF {
			return all, rs.Stats(), nil
		}
		if err != nil {
			return all, rs.Stats(), err
		}
		all = append(all, page...)
	}
}

// write writes a fixture into a new folder and returns the folder and the
// manifest's key.
func write(t *testing.T, spec s3inventorytest.Spec, objects []s3inventorytest.Object) (string, string) {
	t.Helper()
	dir := t.TempDir()
	if spec.Created.IsZero() {
		spec.Created = created
	}
	key, err := s3inventorytest.Write(dir, spec, objects)
	if err != nil {
		t.Fatalf("writing the fixture: %v", err)
	}
	return dir, key
}

// The versions of one bucket, in no particular order, with keys that need
// URL-encoding in CSV.
var versioned = []s3inventorytest.Object{
	{Key: "z/last.txt", VersionID: "z1", IsLatest: true, Size: 1, LastModified: t1, ETag: md5A, StorageClass: "GLACIER", EncryptionStatus: "SSE-S3"},
	{Key: "a b+c.txt", VersionID: "v1", Size: 5, LastModified: t1, ETag: md5B, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"},
	{Key: "dir/ünïcødé/文件.bin", VersionID: "u1", IsLatest: true, Size: 30 << 20, LastModified: t2, ETag: md5C + "-3", StorageClass: "STANDARD_IA", EncryptionStatus: "SSE-KMS", ChecksumAlgorithm: "CRC32C"},
	{Key: "deleted.txt", VersionID: "d1", Size: 7, LastModified: t1, ETag: md5A, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"},
	{Key: "a b+c.txt", VersionID: "v2", IsLatest: true, Size: 10, LastModified: t2, ETag: md5A, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"},
	{Key: "deleted.txt", VersionID: "dm", IsLatest: true, IsDeleteMarker: true, LastModified: t3},
	{Key: "only-marker", VersionID: "om", IsLatest: true, IsDeleteMarker: true, LastModified: t2},
	{Key: "deleted.txt", VersionID: "d2", Size: 8, LastModified: t2, ETag: md5B, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"},
	{Key: "100%/quoted", VersionID: "null", IsLatest: true, Size: 0, LastModified: t3, ETag: `"` + strings.ToUpper(md5C) + `"`, StorageClass: "STANDARD", EncryptionStatus: "SSE-C"},
	{Key: "orphan", VersionID: "o1", Size: 3, LastModified: t1, ETag: "opaque-etag", StorageClass: "STANDARD", EncryptionStatus: "DSSE-KMS"},
}

// wantVersioned is what the versions above say, key by key in byte order.
func wantVersioned(date time.Time) []s3inventory.Record {
	recs := []s3inventory.Record{
		{Fingerprint: inventory.Fingerprint{Key: "100%/quoted", Presence: inventory.Current, Size: 0, ETag: strings.ToUpper(md5C), Checksums: etagSum(md5C, 0),
			Encryption: inventory.EncryptionCustomerKey, StorageTier: "STANDARD", Modified: t3}},
		{Fingerprint: inventory.Fingerprint{Key: "a b+c.txt", Presence: inventory.Current, Size: 10, ETag: md5A, Checksums: etagSum(md5A, 0),
			Encryption: inventory.EncryptionNone, VersionID: "v2", NoncurrentVersions: 1, StorageTier: "STANDARD", Modified: t2}},
		// The delete marker hides d2, the newest noncurrent version.
		{Fingerprint: inventory.Fingerprint{Key: "deleted.txt", Presence: inventory.DeleteMarker, Size: 8, ETag: md5B, Checksums: etagSum(md5B, 0),
			Encryption: inventory.EncryptionNone, VersionID: "d2", NoncurrentVersions: 2, StorageTier: "STANDARD", Modified: t2}},
		{Fingerprint: inventory.Fingerprint{Key: "dir/ünïcødé/文件.bin", Presence: inventory.Current, Size: 30 << 20, ETag: md5C + "-3", Checksums: etagSum(md5C, 3),
			Encryption: "aws:kms", PartCount: 3, VersionID: "u1", StorageTier: "STANDARD_IA", Modified: t2}, ChecksumAlgorithm: "CRC32C"},
		{Fingerprint: inventory.Fingerprint{Key: "only-marker", Presence: inventory.DeleteMarker}},
		{Fingerprint: inventory.Fingerprint{Key: "orphan", Presence: inventory.NoObject, Size: 3, ETag: "opaque-etag",
			Encryption: "aws:kms:dsse", VersionID: "o1", NoncurrentVersions: 1, StorageTier: "STANDARD", Modified: t1}},
		{Fingerprint: inventory.Fingerprint{Key: "z/last.txt", Presence: inventory.Current, Size: 1, ETag: md5A, Checksums: etagSum(md5A, 0),
			Encryption: "AES256", VersionID: "z1", StorageTier: "GLACIER", Modified: t1}},
	}
	for i := range recs {
		recs[i].InventoryDate = date
	}
	return recs
}

// current is a bucket without versions, in no particular order.
var current = []s3inventorytest.Object{
	{Key: "z/last.txt", Size: 1, LastModified: t1, ETag: md5A, StorageClass: "GLACIER", EncryptionStatus: "SSE-S3"},
	{Key: "dir/ünïcødé/文件.bin", Size: 30 << 20, LastModified: t2, ETag: md5C + "-3", StorageClass: "STANDARD_IA", EncryptionStatus: "SSE-KMS", ChecksumAlgorithm: "CRC32C"},
	{Key: "a b+c.txt", Size: 10, LastModified: t2, ETag: md5A, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"},
	{Key: "100%/quoted", Size: 0, LastModified: t3, ETag: "opaque", StorageClass: "STANDARD", EncryptionStatus: "SOMETHING-NEW"},
}

func wantCurrent(date time.Time) []s3inventory.Record {
	recs := []s3inventory.Record{
		{Fingerprint: inventory.Fingerprint{Key: "100%/quoted", Presence: inventory.Current, ETag: "opaque",
			Encryption: "SOMETHING-NEW", StorageTier: "STANDARD", Modified: t3}},
		{Fingerprint: inventory.Fingerprint{Key: "a b+c.txt", Presence: inventory.Current, Size: 10, ETag: md5A, Checksums: etagSum(md5A, 0),
			Encryption: inventory.EncryptionNone, StorageTier: "STANDARD", Modified: t2}},
		{Fingerprint: inventory.Fingerprint{Key: "dir/ünïcødé/文件.bin", Presence: inventory.Current, Size: 30 << 20, ETag: md5C + "-3", Checksums: etagSum(md5C, 3),
			Encryption: "aws:kms", PartCount: 3, StorageTier: "STANDARD_IA", Modified: t2}, ChecksumAlgorithm: "CRC32C"},
		{Fingerprint: inventory.Fingerprint{Key: "z/last.txt", Presence: inventory.Current, Size: 1, ETag: md5A, Checksums: etagSum(md5A, 0),
			Encryption: "AES256", StorageTier: "GLACIER", Modified: t1}},
	}
	for i := range recs {
		recs[i].InventoryDate = date
	}
	return recs
}

func TestRoundTrip(t *testing.T) {
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		for _, tc := range []struct {
			name     string
			versions bool
			objects  []s3inventorytest.Object
			want     []s3inventory.Record
		}{
			{"all versions", true, versioned, wantVersioned(created)},
			{"current versions", false, current, wantCurrent(created)},
		} {
			for _, files := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/%d files", format, tc.name, files), func(t *testing.T) {
					dir, key := write(t, s3inventorytest.Spec{Format: format, Versions: tc.versions, Files: files}, tc.objects)
					got, stats, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{PageSize: 2})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("records (-want +got):\n%s", diff)
					}
					wantStats := s3inventory.Stats{Files: files, Rows: int64(len(tc.objects)), Kept: int64(len(tc.objects)), Records: int64(len(tc.want))}
					if diff := cmp.Diff(wantStats, stats); diff != "" {
						t.Errorf("stats (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func TestManifest(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{SourceBucket: "legacy-us", Versions: false, Files: 2}, current)
	m, err := s3inventory.ReadManifest(context.Background(), s3inventory.Dir(dir), key)
	if err != nil {
		t.Fatal(err)
	}
	files, err := s3inventorytest.DataFiles(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Location, Key, SourceBucket, DestinationBucket, Schema string
		Created                                                time.Time
		Format                                                 s3inventory.Format
		Files                                                  []string
		ChecksumVerified                                       bool
	}{m.Location, m.Key, m.SourceBucket, m.DestinationBucket, m.Schema, m.Created, m.Format, nil, m.ChecksumVerified}
	for _, f := range m.Files {
		got.Files = append(got.Files, f.Key)
	}
	want := got
	want.Location = filepath.Join(dir, "inventory/legacy-us/baseline/2024-05-06T07-08Z/manifest.json")
	want.Key = "inventory/legacy-us/baseline/2024-05-06T07-08Z/manifest.json"
	want.SourceBucket = "legacy-us"
	want.DestinationBucket = "arn:aws:s3:::inventory"
	want.Schema = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ChecksumAlgorithm"
	want.Created = created
	want.Format = s3inventory.CSV
	want.Files = files
	want.ChecksumVerified = true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if len(files) != 2 {
		t.Errorf("the fixture wrote %d data files, want 2", len(files))
	}
}

// A bucket of n keys with a few versions each, written in random order
// across files; the want records, sorted.
func bigBucket(n int) ([]s3inventorytest.Object, []s3inventory.Record) {
	rng := rand.New(rand.NewPCG(1, 2))
	var objs []s3inventorytest.Object
	var want []s3inventory.Record
	for i := range n {
		key := fmt.Sprintf("k/%06d/ß %d", (i*7919)%n, i%3)
		v := inventory.Fingerprint{Key: key, Presence: inventory.Current, Size: int64(i), ETag: md5A, Checksums: etagSum(md5A, 0),
			Encryption: inventory.EncryptionNone, VersionID: fmt.Sprintf("v%d-new", i), NoncurrentVersions: i % 3, StorageTier: "STANDARD", Modified: t3}
		want = append(want, s3inventory.Record{Fingerprint: v, InventoryDate: created})
		objs = append(objs, s3inventorytest.Object{Key: key, VersionID: v.VersionID, IsLatest: true, Size: v.Size, LastModified: t3, ETag: md5A, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"})
		for j := range i % 3 {
			objs = append(objs, s3inventorytest.Object{Key: key, VersionID: fmt.Sprintf("v%d-%d", i, j), Size: 99, LastModified: t1, ETag: md5B, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE"})
		}
	}
	rng.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
	slicesSortRecords(want)
	return objs, want
}

func slicesSortRecords(r []s3inventory.Record) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Key < r[j-1].Key; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

func TestSpillsPastTheMemoryLimit(t *testing.T) {
	objs, want := bigBucket(1500)
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		t.Run(string(format), func(t *testing.T) {
			dir, key := write(t, s3inventorytest.Spec{Format: format, Versions: true, Files: 4}, objs)
			tmp := t.TempDir()
			// About 8 rows per run: hundreds of runs, merged in several
			// passes since no more than 64 are merged at once.
			got, stats, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{MemoryLimit: 8 * 200, TempDir: tmp, PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if stats.Spills < 100 {
				t.Errorf("%d spills, want at least 100 with so small a memory limit", stats.Spills)
			}
			left, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("%d temporary files left after Close, want none", len(left))
			}
			// The same inventory read in memory gives the same records.
			inMemory, stats, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, inMemory); diff != "" {
				t.Errorf("records read in memory (-want +got):\n%s", diff)
			}
			if stats.Spills != 0 {
				t.Errorf("%d spills with the default memory limit, want 0", stats.Spills)
			}
		})
	}
}

func TestPrefixAndRange(t *testing.T) {
	objs := []s3inventorytest.Object{
		{Key: "data/b", Size: 2, ETag: md5B},
		{Key: "other/a", Size: 1, ETag: md5A},
		{Key: "data", Size: 3, ETag: md5A},
		{Key: "data/a", Size: 1, ETag: md5A},
		{Key: "data/c/d", Size: 4, ETag: md5C},
		{Key: "dat", Size: 5, ETag: md5C},
	}
	rec := func(key string, size int64, etag string) s3inventory.Record {
		return s3inventory.Record{Fingerprint: inventory.Fingerprint{Key: key, Presence: inventory.Current, Size: size, ETag: etag, Checksums: etagSum(etag, 0)}, InventoryDate: created}
	}
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		for _, tc := range []struct {
			name   string
			prefix string
			keys   inventory.KeyRange
			want   []s3inventory.Record
		}{
			{"no prefix", "", inventory.KeyRange{}, []s3inventory.Record{rec("dat", 5, md5C), rec("data", 3, md5A), rec("data/a", 1, md5A), rec("data/b", 2, md5B), rec("data/c/d", 4, md5C), rec("other/a", 1, md5A)}},
			{"prefix keeps the keys under it, relative to it", "data/", inventory.KeyRange{}, []s3inventory.Record{rec("a", 1, md5A), rec("b", 2, md5B), rec("c/d", 4, md5C)}},
			{"range of logical keys", "data/", inventory.KeyRange{Start: "b", End: "c/d"}, []s3inventory.Record{rec("b", 2, md5B)}},
			{"range without end", "data/", inventory.KeyRange{Start: "b"}, []s3inventory.Record{rec("b", 2, md5B), rec("c/d", 4, md5C)}},
			{"prefix matching nothing", "nothing/", inventory.KeyRange{}, nil},
		} {
			t.Run(string(format)+"/"+tc.name, func(t *testing.T) {
				dir, key := write(t, s3inventorytest.Spec{Format: format, Fields: []string{"Size", "ETag"}, Files: 2}, objs)
				got, stats, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{Prefix: tc.prefix, Range: tc.keys})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("records (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(s3inventory.Stats{Files: 2, Rows: 6, Kept: int64(len(tc.want)), Records: int64(len(tc.want))}, stats); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestFingerprintsListing(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{Versions: true, Files: 2}, versioned)
	inv, err := s3inventory.Open(context.Background(), s3inventory.Dir(dir), key, s3inventory.Options{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := inventory.Collect(inv.Records(context.Background()).Fingerprints())
	if err != nil {
		t.Fatal(err)
	}
	var want []inventory.Fingerprint
	for _, r := range wantVersioned(created) {
		want = append(want, r.Fingerprint)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
}

// rowError reads the inventory and returns the RowError it must fail with.
func rowError(t *testing.T, dir, key string) *s3inventory.RowError {
	t.Helper()
	got, _, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{})
	if len(got) != 0 {
		t.Errorf("%d records before the error, want none", len(got))
	}
	var re *s3inventory.RowError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a *RowError", err)
	}
	return re
}

func TestDataFileNotMatchingTheManifest(t *testing.T) {
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		for _, tc := range []struct {
			name   string
			change func([]byte) []byte
			want   string
		}{
			{"a changed byte", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }, "MD5"},
			{"a byte more", func(b []byte) []byte { return append(b, 0) }, "bytes, the manifest says"},
			{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, "bytes, the manifest says"},
		} {
			t.Run(string(format)+"/"+tc.name, func(t *testing.T) {
				dir, key := write(t, s3inventorytest.Spec{Format: format, Versions: true, Files: 3}, versioned)
				files, err := s3inventorytest.DataFiles(dir, key)
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Join(dir, filepath.FromSlash(files[1]))
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, tc.change(b), 0o644); err != nil {
					t.Fatal(err)
				}
				re := rowError(t, dir, key)
				got := fmt.Sprint(re.Manifest, " ", re.File, " ", re.Row, " ", strings.Contains(re.Error(), tc.want))
				want := fmt.Sprint(filepath.Join(dir, key), " ", files[1], " 0 true")
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("error %q (-want +got):\n%s", re, diff)
				}
			})
		}
	}
}

func TestMalformedCSVRow(t *testing.T) {
	good := func(key string) []string {
		return []string{"source-bucket", key, "v1", "true", "false", "12", "2023-01-01T10:00:00.000Z", md5A, "STANDARD", "false", "", "NOT-SSE", ""}
	}
	with := func(i int, v string) []string { r := good("bad"); r[i] = v; return r }
	for _, tc := range []struct {
		name   string
		bad    []string
		column string
		want   string
	}{
		{"size not a number", with(5, "12x"), "Size", `size "12x" is not a number`},
		{"no size for an object", with(5, ""), "Size", "no size"},
		{"negative size", with(5, "-1"), "Size", "negative"},
		{"IsLatest not a boolean", with(3, "yes"), "IsLatest", `"yes" is neither true nor false`},
		{"IsDeleteMarker empty", with(4, ""), "IsDeleteMarker", `"" is neither true nor false`},
		{"key badly URL-encoded", with(1, "a%zz"), "Key", "not URL-encoded"},
		{"empty key", with(1, ""), "Key", "empty"},
		{"another bucket", with(0, "elsewhere"), "Bucket", `"elsewhere" is not the manifest's sourceBucket "source-bucket"`},
		{"bad date", with(6, "yesterday"), "LastModifiedDate", "RFC 3339"},
		{"a column too few", good("bad")[:12], "", "12 columns, but the manifest's fileSchema names 13"},
		{"a column too many", append(good("bad"), "x"), "", "14 columns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, key := write(t, s3inventorytest.Spec{Versions: true, Files: 2}, versioned)
			files, err := s3inventorytest.DataFiles(dir, key)
			if err != nil {
				t.Fatal(err)
			}
			content := s3inventorytest.GzipCSV([][]string{good("ok1"), good("ok2"), tc.bad, good("ok3")})
			if err := s3inventorytest.ReplaceFile(dir, key, 1, content); err != nil {
				t.Fatal(err)
			}
			re := rowError(t, dir, key)
			type where struct {
				Manifest, File string
				Row            int64
				Column         string
				Says           bool
			}
			got := where{re.Manifest, re.File, re.Row, re.Column, strings.Contains(re.Err.Error(), tc.want)}
			want := where{filepath.Join(dir, key), files[1], 3, tc.column, true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", re, diff)
			}
		})
	}
}

func TestKeyListedTwice(t *testing.T) {
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		for _, tc := range []struct {
			name     string
			versions bool
			objects  []s3inventorytest.Object
			want     string
		}{
			{"two latest versions", true, []s3inventorytest.Object{
				{Key: "k", VersionID: "a", IsLatest: true, Size: 1},
				{Key: "j", VersionID: "a", IsLatest: true, Size: 1},
				{Key: "k", VersionID: "b", IsLatest: true, Size: 1},
			}, `key "data/k" is listed again as the latest version (first in file %s row 1)`},
			{"a version twice", true, []s3inventorytest.Object{
				{Key: "k", VersionID: "a", IsLatest: true, Size: 1},
				{Key: "j", VersionID: "a", IsLatest: true, Size: 1},
				{Key: "k", VersionID: "a", Size: 1},
			}, `key "data/k" is listed again with version id "a" (first in file %s row 1)`},
			{"a key twice without versions", false, []s3inventorytest.Object{
				{Key: "k", Size: 1},
				{Key: "j", Size: 1},
				{Key: "k", Size: 2},
			}, `key "data/k" is listed again as the latest version (first in file %s row 1)`},
		} {
			t.Run(string(format)+"/"+tc.name, func(t *testing.T) {
				objs := make([]s3inventorytest.Object, len(tc.objects))
				for i, o := range tc.objects {
					o.Key = "data/" + o.Key
					objs[i] = o
				}
				dir, key := write(t, s3inventorytest.Spec{Format: format, Versions: tc.versions, Files: 2}, objs)
				files, err := s3inventorytest.DataFiles(dir, key)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{Prefix: "data/"})
				var re *s3inventory.RowError
				if !errors.As(err, &re) {
					t.Fatalf("got %v, want a *RowError", err)
				}
				// Objects are dealt in turn: the third is file 0's row 2.
				got := fmt.Sprint(re.File, " row ", re.Row, ": ", re.Err)
				want := fmt.Sprint(files[0], " row 2: ", fmt.Sprintf(tc.want, files[0]))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestUnusableSchema(t *testing.T) {
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		t.Run(string(format), func(t *testing.T) {
			dir, key := write(t, s3inventorytest.Spec{Format: format, Fields: []string{"ETag", "StorageClass"}}, []s3inventorytest.Object{{Key: "k", ETag: md5A}})
			_, _, err := readAll(t, s3inventory.Dir(dir), key, s3inventory.Options{})
			if !errors.Is(err, s3inventory.ErrSchema) {
				t.Fatalf("got %v, want an error wrapping ErrSchema", err)
			}
			if !strings.Contains(err.Error(), "add Size to the inventory configuration") || !strings.Contains(err.Error(), filepath.Join(dir, key)) {
				t.Errorf("error %q does not name the manifest and the missing Size field", err)
			}
		})
	}
}

func TestORCIsRejected(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{Format: s3inventory.ORC}, current)
	_, err := s3inventory.Open(context.Background(), s3inventory.Dir(dir), key, s3inventory.Options{})
	if !errors.Is(err, s3inventory.ErrUnsupportedFormat) {
		t.Fatalf("got %v, want an error wrapping ErrUnsupportedFormat", err)
	}
	want := "manifest " + filepath.Join(dir, key) + ": fileFormat ORC: unsupported inventory format: only CSV and Parquet inventories can be read; configure the inventory to publish CSV or Parquet"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestBadManifest(t *testing.T) {
	valid := `{"sourceBucket": "b", "destinationBucket": "arn:aws:s3:::d", "version": "2016-11-30", "creationTimestamp": "1514944800000",
		"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size", "files": [{"key": "d/f.csv.gz", "size": 20, "MD5checksum": "` + md5A + `"}]}`
	for _, tc := range []struct {
		name, manifest, checksum, want string
	}{
		{"not JSON", "{", "", "not a manifest.json"},
		{"no source bucket", strings.Replace(valid, `"sourceBucket": "b",`, "", 1), "", "sourceBucket is missing"},
		{"bad timestamp", strings.Replace(valid, "1514944800000", "2018-01-03", 1), "", `creationTimestamp "2018-01-03" is not milliseconds since the epoch`},
		{"unknown format", strings.Replace(valid, `"CSV"`, `"Avro"`, 1), "", `fileFormat "Avro": unsupported inventory format`},
		{"bad MD5", strings.Replace(valid, md5A, "xyz", 1), "", `files[0] (d/f.csv.gz): MD5checksum "xyz" is not a hex MD5`},
		{"bad size", strings.Replace(valid, `"size": 20`, `"size": -1`, 1), "", `files[0] (d/f.csv.gz): size "-1" is not a byte count`},
		{"no files", strings.Replace(valid, `"files"`, `"filez"`, 1), "", "files is missing"},
		{"manifest.checksum differs", valid, md5B, "its MD5 is "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			key := "inv/b/cfg/2018-01-03T02-00Z/manifest.json"
			if err := os.MkdirAll(filepath.Join(dir, "inv/b/cfg/2018-01-03T02-00Z"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, key), []byte(tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.checksum != "" {
				if err := os.WriteFile(filepath.Join(dir, "inv/b/cfg/2018-01-03T02-00Z/manifest.checksum"), []byte(tc.checksum), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s3inventory.ReadManifest(context.Background(), s3inventory.Dir(dir), key)
			if err == nil {
				t.Fatal("no error")
			}
			prefix := "manifest " + filepath.Join(dir, key) + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q and say %q", err, prefix, tc.want)
			}
		})
	}
}

func TestManifestWithoutChecksumFile(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{}, current)
	if err := os.Remove(filepath.Join(dir, filepath.Dir(key), "manifest.checksum")); err != nil {
		t.Fatal(err)
	}
	m, err := s3inventory.ReadManifest(context.Background(), s3inventory.Dir(dir), key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(false, m.ChecksumVerified); diff != "" {
		t.Errorf("ChecksumVerified (-want +got):\n%s", diff)
	}
}

func TestDirSourceStaysInItsFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := s3inventory.Dir(dir).Open(context.Background(), "../etc/passwd")
	if err == nil {
		t.Fatal("a key reaching outside the folder was opened")
	}
}

func TestMissingDataFile(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{Files: 2}, current)
	files, err := s3inventorytest.DataFiles(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(files[1]))); err != nil {
		t.Fatal(err)
	}
	re := rowError(t, dir, key)
	if diff := cmp.Diff(fmt.Sprint(files[1], " 0 true"), fmt.Sprint(re.File, " ", re.Row, " ", errors.Is(re, os.ErrNotExist))); diff != "" {
		t.Errorf("error %q (-want +got):\n%s", re, diff)
	}
}

func TestClosedAndCanceled(t *testing.T) {
	dir, key := write(t, s3inventorytest.Spec{}, current)
	inv, err := s3inventory.Open(context.Background(), s3inventory.Dir(dir), key, s3inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := inv.Records(context.Background())
	rs.Close()
	if _, err := rs.NextPage(); err == nil || err == io.EOF {
		t.Errorf("NextPage after Close = %v, want an error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := inv.Records(ctx).NextPage(); !errors.Is(err, context.Canceled) {
		t.Errorf("NextPage with a canceled context = %v, want context.Canceled", err)
	}
}

// parquetRow is a Parquet inventory row with every field optional, to
// write rows S3 would not.
type parquetRow struct {
	Bucket         *string `parquet:"bucket,optional"`
	Key            *string `parquet:"key,optional"`
	VersionID      *string `parquet:"version_id,optional"`
	IsLatest       *bool   `parquet:"is_latest,optional"`
	IsDeleteMarker *bool   `parquet:"is_delete_marker,optional"`
	Size           *int64  `parquet:"size,optional"`
	ETag           *string `parquet:"e_tag,optional"`
}

func TestMalformedParquetRow(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, no, size := true, false, int64(3)
	good := func(key string) parquetRow {
		return parquetRow{Bucket: str("source-bucket"), Key: str(key), VersionID: str("v"), IsLatest: &yes, IsDeleteMarker: &no, Size: &size, ETag: str(md5A)}
	}
	for _, tc := range []struct {
		name   string
		change func(*parquetRow)
		column string
		want   string
	}{
		{"null is_latest", func(r *parquetRow) { r.IsLatest = nil }, "is_latest", "null"},
		{"null is_delete_marker", func(r *parquetRow) { r.IsDeleteMarker = nil }, "is_delete_marker", "null"},
		{"null key", func(r *parquetRow) { r.Key = nil }, "key", "null"},
		{"null size", func(r *parquetRow) { r.Size = nil }, "size", "no size for an object that is not a delete marker"},
		{"another bucket", func(r *parquetRow) { r.Bucket = str("b2") }, "bucket", `"b2" is not the manifest's sourceBucket`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, key := write(t, s3inventorytest.Spec{Format: s3inventory.Parquet, Versions: true, Files: 2}, versioned)
			files, err := s3inventorytest.DataFiles(dir, key)
			if err != nil {
				t.Fatal(err)
			}
			bad := good("bad")
			tc.change(&bad)
			var buf bytes.Buffer
			if err := parquet.Write(&buf, []parquetRow{good("a"), good("b"), bad}); err != nil {
				t.Fatal(err)
			}
			if err := s3inventorytest.ReplaceFile(dir, key, 0, buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			re := rowError(t, dir, key)
			got := fmt.Sprint(re.File, " row ", re.Row, " column ", re.Column, " says it: ", strings.Contains(re.Err.Error(), tc.want))
			want := fmt.Sprint(files[0], " row 3 column ", tc.column, " says it: true")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", re, diff)
			}
		})
	}
}

func TestParquetColumnOfTheWrongType(t *testing.T) {
	type wrong struct {
		Bucket string `parquet:"bucket"`
		Key    string `parquet:"key"`
		Size   string `parquet:"size"`
	}
	dir, key := write(t, s3inventorytest.Spec{Format: s3inventory.Parquet}, current)
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []wrong{{"source-bucket", "k", "12"}}); err != nil {
		t.Fatal(err)
	}
	if err := s3inventorytest.ReplaceFile(dir, key, 0, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	re := rowError(t, dir, key)
	if !strings.Contains(re.Error(), "column size is BYTE_ARRAY, want INT64") || re.Row != 0 {
		t.Errorf("error %q, want one about the whole file saying size is not INT64", re)
	}
}
