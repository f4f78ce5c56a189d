package oci_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// TestConformance runs the suite every backend passes, against ocilocal
// over HTTP. Objects outside the store's prefix, before and after it, must
// never show up.
func TestConformance(t *testing.T) {
	inventorytest.Run(t, inventorytest.Harness{
		NewStore: func(t *testing.T, objects []inventorytest.Object, pageSize int) inventory.Store {
			f := newFixture(t, false)
			for _, decoy := range []string{"a-before", "migrated/users", "migrated/usersX", "migrated/users0", "zzz-after"} {
				f.put(t, decoy, []byte("outside the prefix"), nil)
			}
			for _, o := range objects {
				f.put(t, prefix+o.Key, o.Content, nil)
			}
			return f.store(t, func(c *oci.Config) { c.PageSize = pageSize })
		},
	})
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// multipartMD5 is the MD5 of the parts' binary MD5s, computed here
// independently of ocilocal.
func multipartMD5(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	return hexMD5(cat)
}

var ignoreTimes = cmpopts.IgnoreFields(inventory.Fingerprint{}, "Created", "Modified", "VersionID")

func TestListingFingerprints(t *testing.T) {
	f := newFixture(t, false)
	single := []byte("single piece")
	parts := [][]byte{bytes.Repeat([]byte{'p'}, 100), []byte("end")}
	putSingle := f.put(t, prefix+"single", single, nil)
	commit := f.upload(t, prefix+"multi", "", parts...)
	putCold := f.put(t, prefix+"cold", []byte("cold"), func(r *objectstorage.PutObjectRequest) {
		r.StorageTier = objectstorage.PutObjectStorageTierArchive
	})
	s := f.store(t, nil)

	got, err := inventory.Collect(s.List(context.Background(), inventory.KeyRange{}))
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Fingerprint{
		{Key: "cold", Size: 4, ETag: *putCold.ETag, StorageTier: "Archive", ArchivalState: "Archived", Archived: true,
			Checksums: []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexMD5([]byte("cold")), Source: inventory.FromListing}}},
		{Key: "multi", Size: 103, ETag: *commit.ETag, StorageTier: "Standard", PartCount: 2,
			Checksums: []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.Composite, Value: multipartMD5(parts...), Parts: 2, Source: inventory.FromListing}}},
		{Key: "single", Size: int64(len(single)), ETag: *putSingle.ETag, StorageTier: "Standard",
			Checksums: []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexMD5(single), Source: inventory.FromListing}}},
	}
	if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	for _, fp := range got {
		if fp.Created.IsZero() || fp.Modified.IsZero() {
			t.Errorf("%q: listing gave no times: %v %v", fp.Key, fp.Created, fp.Modified)
		}
	}
	if diff := cmp.Diff(inventory.Features{ListingChecksums: true, Head: true, Read: true}, s.Features()); diff != "" {
		t.Errorf("features of an unversioned bucket (-want +got):\n%s", diff)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestHeadChecksums(t *testing.T) {
	f := newFixture(t, false)
	content := []byte("the quick brown fox jumps over the lazy dog")
	parts := [][]byte{content[:20], content[20:]}
	crc := crc32.Checksum(content, crc32.MakeTable(crc32.Castagnoli))
	crcHex := hex.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	s256 := sha256.Sum256(content)
	s384 := sha512.Sum384(content)
	var partSHAs []byte
	for _, p := range parts {
		s := sha256.Sum256(p)
		partSHAs = append(partSHAs, s[:]...)
	}
	compositeSHA := sha256.Sum256(partSHAs)

	md5Of := func(typ inventory.ChecksumType, v string, n int) inventory.Checksum {
		return inventory.Checksum{Algorithm: inventory.MD5, Type: typ, Value: v, Parts: n, Source: inventory.FromHead}
	}
	full := md5Of(inventory.FullObject, hexMD5(content), 0)
	composite := md5Of(inventory.Composite, multipartMD5(parts...), 2)
	head := func(alg inventory.Algorithm, typ inventory.ChecksumType, v string, n int) inventory.Checksum {
		return inventory.Checksum{Algorithm: alg, Type: typ, Value: v, Parts: n, Source: inventory.FromHead}
	}

	f.put(t, prefix+"plain", content, nil)
	f.put(t, prefix+"crc32c", content, func(r *objectstorage.PutObjectRequest) { r.OpcChecksumAlgorithm = "CRC32C" })
	f.put(t, prefix+"sha256", content, func(r *objectstorage.PutObjectRequest) { r.OpcChecksumAlgorithm = "SHA256" })
	f.put(t, prefix+"sha384", content, func(r *objectstorage.PutObjectRequest) { r.OpcChecksumAlgorithm = "SHA384" })
	f.put(t, prefix+"rclone", content, func(r *objectstorage.PutObjectRequest) {
		r.OpcMeta = map[string]string{"md5chksum": b64(md5.New().Sum(nil))} // asserted: the MD5 of nothing
	})
	f.upload(t, prefix+"multi", "", parts...)
	f.upload(t, prefix+"multi-crc32c", "CRC32C", parts...)
	f.upload(t, prefix+"multi-sha256", "SHA256", parts...)
	s := f.store(t, nil)

	tests := []struct {
		key  string
		want []inventory.Checksum
		n    int
	}{
		{"plain", []inventory.Checksum{full}, 0},
		{"crc32c", []inventory.Checksum{full, head(inventory.CRC32C, inventory.FullObject, crcHex, 0)}, 0},
		{"sha256", []inventory.Checksum{full, head(inventory.SHA256, inventory.FullObject, hex.EncodeToString(s256[:]), 0)}, 0},
		{"sha384", []inventory.Checksum{full, head(inventory.SHA384, inventory.FullObject, hex.EncodeToString(s384[:]), 0)}, 0},
		{"rclone", []inventory.Checksum{full, {Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexMD5(nil), Source: inventory.FromMetadata}}, 0},
		{"multi", []inventory.Checksum{composite}, 2},
		// CRC32C stays whole-object on multipart uploads; SHA-256 turns composite.
		{"multi-crc32c", []inventory.Checksum{composite, head(inventory.CRC32C, inventory.FullObject, crcHex, 0)}, 2},
		{"multi-sha256", []inventory.Checksum{composite, head(inventory.SHA256, inventory.Composite, hex.EncodeToString(compositeSHA[:]), 2)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			fp, err := s.Head(context.Background(), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				Key       string
				Size      int64
				PartCount int
				Checksums []inventory.Checksum
				Tier      string
			}
			want := view{tt.key, int64(len(content)), tt.n, tt.want, "Standard"}
			if diff := cmp.Diff(want, view{fp.Key, fp.Size, fp.PartCount, fp.Checksums, fp.StorageTier}); diff != "" {
				t.Errorf("head (-want +got):\n%s", diff)
			}
			if fp.ETag == "" || fp.Modified.IsZero() {
				t.Errorf("head gave no ETag or time: %+v", fp)
			}
		})
	}
}

func TestVersionedListingFoldsVersions(t *testing.T) {
	f := newFixture(t, true)
	f.put(t, prefix+"live", []byte("v1"), nil)
	f.put(t, prefix+"live", []byte("v2 longer"), nil)
	f.put(t, prefix+"deleted", []byte("only version"), nil)
	f.deleteObject(t, prefix+"deleted", nil)
	f.put(t, prefix+"deleted-twice", []byte("old"), nil)
	f.put(t, prefix+"deleted-twice", []byte("newer"), nil)
	f.deleteObject(t, prefix+"deleted-twice", nil)
	f.put(t, prefix+"marker-only", []byte("x"), nil)
	f.deleteObject(t, prefix+"marker-only", nil)

	// Remove marker-only's data version, leaving its delete marker alone.
	vs, err := f.Client.ListObjectVersions(context.Background(), objectstorage.ListObjectVersionsRequest{
		NamespaceName: f.ns, BucketName: common.String(bucket), Prefix: common.String(prefix + "marker-only")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		if !*v.IsDeleteMarker {
			f.deleteObject(t, prefix+"marker-only", v.VersionId)
		}
	}

	md5Listing := func(b string) []inventory.Checksum {
		return []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexMD5([]byte(b)), Source: inventory.FromListing}}
	}
	want := []inventory.Fingerprint{
		{Key: "deleted", Presence: inventory.DeleteMarker, Size: 12, Checksums: md5Listing("only version"), StorageTier: "Standard", NoncurrentVersions: 1},
		{Key: "deleted-twice", Presence: inventory.DeleteMarker, Size: 5, Checksums: md5Listing("newer"), StorageTier: "Standard", NoncurrentVersions: 2},
		{Key: "live", Presence: inventory.Current, Size: 9, Checksums: md5Listing("v2 longer"), StorageTier: "Standard", NoncurrentVersions: 1},
		{Key: "marker-only", Presence: inventory.DeleteMarker},
	}
	for _, pageSize := range []int{1, 2, 3, 1000} {
		s := f.store(t, func(c *oci.Config) { c.PageSize = pageSize })
		if !s.Features().Versions {
			t.Fatal("a versioned bucket does not claim Versions")
		}
		got, err := inventory.Collect(s.List(context.Background(), inventory.KeyRange{}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, ignoreTimes, cmpopts.IgnoreFields(inventory.Fingerprint{}, "ETag")); diff != "" {
			t.Errorf("page size %d: folded versions (-want +got):\n%s", pageSize, diff)
		}
		for _, fp := range got {
			if fp.Size > 0 && (fp.ETag == "" || fp.VersionID == "") {
				t.Errorf("page size %d: %q lacks the ETag or version id of the version it describes", pageSize, fp.Key)
			}
		}
	}
}

func TestArchivedObjectNeedsRestore(t *testing.T) {
	f := newFixture(t, false)
	f.put(t, prefix+"cold", []byte("cold data"), func(r *objectstorage.PutObjectRequest) {
		r.StorageTier = objectstorage.PutObjectStorageTierArchive
	})
	s := f.store(t, nil)
	ctx := context.Background()
	_, err := s.Open(ctx, "cold", inventory.Whole)
	if !errors.Is(err, inventory.ErrArchived) {
		t.Fatalf("open of an archived object: got %v, want ErrArchived", err)
	}
	fp, err := s.Head(ctx, "cold")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"Archive", "Archived", true}, []any{fp.StorageTier, fp.ArchivalState, fp.Archived}); diff != "" {
		t.Errorf("head before restore (-want +got):\n%s", diff)
	}
	if _, err := f.Client.RestoreObjects(ctx, objectstorage.RestoreObjectsRequest{NamespaceName: f.ns, BucketName: common.String(bucket),
		RestoreObjectsDetails: objectstorage.RestoreObjectsDetails{ObjectName: common.String(prefix + "cold")}}); err != nil {
		t.Fatal(err)
	}
	fp, err = s.Head(ctx, "cold")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"Archive", "Restored", false}, []any{fp.StorageTier, fp.ArchivalState, fp.Archived}); diff != "" {
		t.Errorf("head after restore (-want +got):\n%s", diff)
	}
	rc, err := s.Open(ctx, "cold", inventory.ByteRange{Offset: 5, Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if diff := cmp.Diff("data", string(b)); diff != "" {
		t.Errorf("content after restore (-want +got):\n%s", diff)
	}
}

func TestOpenEdges(t *testing.T) {
	f := newFixture(t, false)
	f.put(t, prefix+"ten", []byte("0123456789"), nil)
	s := f.store(t, nil)
	ctx := context.Background()
	rc, err := s.Open(ctx, "ten", inventory.ByteRange{Offset: 4, Length: 0})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if diff := cmp.Diff("", string(b)); diff != "" {
		t.Errorf("zero-length range (-want +got):\n%s", diff)
	}
	if _, err := s.Open(ctx, "absent", inventory.ByteRange{Length: 0}); !errors.Is(err, inventory.ErrNotFound) {
		t.Errorf("zero-length range of an absent key: got %v, want ErrNotFound", err)
	}
	if rc, err := s.Open(ctx, "ten", inventory.ByteRange{Offset: 10, Length: 1}); err == nil {
		rc.Close()
		t.Error("a range past the end was opened")
	}
}
