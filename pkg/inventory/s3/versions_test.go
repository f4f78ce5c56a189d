package s3_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// etagMD5 is the checksum a listing reports for content put in one piece.
func etagMD5(content string) []inventory.Checksum {
	sum := md5.Sum([]byte(content))
	return []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hex.EncodeToString(sum[:]), Source: inventory.FromETag}}
}

func md5Hex(content string) string {
	sum := md5.Sum([]byte(content))
	return hex.EncodeToString(sum[:])
}

// want is the listed fingerprint of content put in one piece, described
// by version.
func want(key, content, version string) inventory.Fingerprint {
	return inventory.Fingerprint{
		Key: key, Size: int64(len(content)), ETag: md5Hex(content), Checksums: etagMD5(content),
		StorageTier: "STANDARD", VersionID: version,
	}
}

// ignoreTimes leaves modification times out of comparisons: moto stamps
// them itself.
var ignoreTimes = cmpopts.IgnoreFields(inventory.Fingerprint{}, "Modified", "Created")

func (b *bucket) startUpload(key string) {
	b.t.Helper()
	_, err := b.client.CreateMultipartUpload(context.Background(), &awss3.CreateMultipartUploadInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		b.t.Fatalf("starting an upload of %q: %v", key, err)
	}
}

func (b *bucket) deleteVersion(key, version string) {
	b.t.Helper()
	_, err := b.client.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key), VersionId: aws.String(version)})
	if err != nil {
		b.t.Fatalf("deleting version %s of %q: %v", version, key, err)
	}
}

// TestVersionedListing checks the fold of a versioned bucket's versions
// into one fingerprint per key — current objects, overwritten ones, keys
// hidden by a delete marker, keys with only a delete marker, unfinished
// uploads — whatever the page size, so that a key's versions straddle
// pages.
func TestVersionedListing(t *testing.T) {
	b := newBucket(t, false)
	const p = "legacy/"
	// Written before versioning was enabled: S3's "null" version.
	b.put(p+"a/before-versioning", []byte("old"))
	b.setVersioning(types.BucketVersioningStatusEnabled)

	v := func(out *awss3.PutObjectOutput) string { return aws.ToString(out.VersionId) }
	cur := v(b.put(p+"b/current", []byte("b1")))

	b.put(p+"c/overwritten", []byte("c1"))
	b.put(p+"c/overwritten", []byte("c22"))
	c3 := v(b.put(p+"c/overwritten", []byte("c333")))

	b.put(p+"d/deleted", []byte("d1"))
	d2 := v(b.put(p+"d/deleted", []byte("d22")))
	b.del(p + "d/deleted")

	e1 := v(b.put(p+"e/marker-only", []byte("e1")))
	b.del(p + "e/marker-only")
	b.deleteVersion(p+"e/marker-only", e1)

	f1 := v(b.put(p+"f/marker-removed", []byte("f1")))
	b.deleteVersion(p+"f/marker-removed", b.del(p+"f/marker-removed")) // removing the marker makes f1 current again

	b.startUpload(p + "c/overwritten")
	b.startUpload(p + "c/overwritten")
	b.startUpload(p + "g/upload-only")
	special := "h/ünïcödé + spaces & ?#%"
	sp := v(b.put(p+special, []byte("h1")))
	b.put("other/outside", []byte("not under the prefix"))

	fp := func(f inventory.Fingerprint, edit func(*inventory.Fingerprint)) inventory.Fingerprint {
		edit(&f)
		return f
	}
	wantFPs := []inventory.Fingerprint{
		want("a/before-versioning", "old", ""),
		want("b/current", "b1", cur),
		fp(want("c/overwritten", "c333", c3), func(f *inventory.Fingerprint) { f.NoncurrentVersions = 2; f.UnfinishedUploads = 2 }),
		fp(want("d/deleted", "d22", d2), func(f *inventory.Fingerprint) { f.Presence = inventory.DeleteMarker; f.NoncurrentVersions = 2 }),
		{Key: "e/marker-only", Presence: inventory.DeleteMarker},
		want("f/marker-removed", "f1", f1),
		{Key: "g/upload-only", Presence: inventory.NoObject, UnfinishedUploads: 1},
		want(special, "h1", sp),
	}
	s := b.store(p, 1000)
	if !s.Features().Versions {
		t.Fatal("a versioned bucket's store does not claim Versions")
	}
	for _, pageSize := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("page%d", pageSize), func(t *testing.T) {
			got := list(t, b.store(p, pageSize), inventory.KeyRange{})
			if diff := cmp.Diff(wantFPs, got, ignoreTimes); diff != "" {
				t.Errorf("versioned listing (-want +got):\n%s", diff)
			}
		})
	}
}

// In a versioned bucket, keys held only by noncurrent versions or a delete
// marker are sampled too, each once.
func TestVersionedSampleKeys(t *testing.T) {
	b := newBucket(t, true)
	for _, k := range []string{"a", "b", "c", "d"} {
		b.put(k, []byte("one"))
		b.put(k, []byte("two"))
	}
	b.del("b")
	s := b.store("", 1000)
	keys, more, err := s.SampleKeys(context.Background(), "a", 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "c", "d"}, keys); diff != "" || more {
		t.Errorf("sampled after a: more %v, keys (-want +got):\n%s", more, diff)
	}
}
