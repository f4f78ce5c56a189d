package ocilocal_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return b64(s[:])
}

func TestNamespaceAndBuckets(t *testing.T) {
	e := start(t, ocilocal.Options{Namespace: "acme"})
	ctx := context.Background()

	ns, err := e.Client.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("acme", *ns.Value); diff != "" {
		t.Errorf("namespace (-want +got):\n%s", diff)
	}

	e.CreateBucket(t, "plain", false)
	e.CreateBucket(t, "versioned", true)
	_, err = e.Client.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: e.ns, CreateBucketDetails: objectstorage.CreateBucketDetails{
		Name: common.String("plain"), CompartmentId: common.String("c"),
	}})
	if diff := cmp.Diff(statusCode{409, "BucketAlreadyExists"}, statusOf(t, err)); diff != "" {
		t.Errorf("creating a bucket twice (-want +got):\n%s", diff)
	}

	got, err := e.Client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: e.ns, BucketName: common.String("versioned")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "versioned", "Enabled"}, []string{*got.Namespace, *got.Name, string(got.Versioning)}); diff != "" {
		t.Errorf("GetBucket (-want +got):\n%s", diff)
	}
	head, err := e.Client.HeadBucket(ctx, objectstorage.HeadBucketRequest{NamespaceName: e.ns, BucketName: common.String("versioned")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*got.Etag, *head.ETag); diff != "" {
		t.Errorf("HeadBucket ETag (-want +got):\n%s", diff)
	}

	upd, err := e.Client.UpdateBucket(ctx, objectstorage.UpdateBucketRequest{NamespaceName: e.ns, BucketName: common.String("plain"),
		UpdateBucketDetails: objectstorage.UpdateBucketDetails{Versioning: objectstorage.UpdateBucketDetailsVersioningEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("Enabled", string(upd.Versioning)); diff != "" {
		t.Errorf("UpdateBucket versioning (-want +got):\n%s", diff)
	}

	list, err := e.Client.ListBuckets(ctx, objectstorage.ListBucketsRequest{NamespaceName: e.ns, CompartmentId: common.String(ocilocaltest.Compartment)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list.Items {
		names = append(names, *b.Name)
	}
	if diff := cmp.Diff([]string{"plain", "versioned"}, names); diff != "" {
		t.Errorf("ListBuckets (-want +got):\n%s", diff)
	}

	e.Put(t, "plain", "x", []byte("x"))
	_, err = e.Client.DeleteBucket(ctx, objectstorage.DeleteBucketRequest{NamespaceName: e.ns, BucketName: common.String("plain")})
	if diff := cmp.Diff(statusCode{409, "BucketNotEmpty"}, statusOf(t, err)); diff != "" {
		t.Errorf("deleting a bucket that is not empty (-want +got):\n%s", diff)
	}
	_, err = e.Client.DeleteBucket(ctx, objectstorage.DeleteBucketRequest{NamespaceName: e.ns, BucketName: common.String("versioned")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: e.ns, BucketName: common.String("versioned")})
	if diff := cmp.Diff(statusCode{404, "BucketNotFound"}, statusOf(t, err)); diff != "" {
		t.Errorf("GetBucket after delete (-want +got):\n%s", diff)
	}
	_, err = e.Client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: common.String("other"), BucketName: common.String("plain")})
	if diff := cmp.Diff(statusCode{404, "NamespaceNotFound"}, statusOf(t, err)); diff != "" {
		t.Errorf("GetBucket in another namespace (-want +got):\n%s", diff)
	}

	// Names are 1 to 256 characters.
	for _, c := range []struct {
		name string
		want statusCode
	}{
		{strings.Repeat("n", 256), statusCode{}},
		{strings.Repeat("n", 257), statusCode{400, "InvalidParameter"}},
	} {
		_, err = e.Client.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: e.ns, CreateBucketDetails: objectstorage.CreateBucketDetails{
			Name: common.String(c.name), CompartmentId: common.String("c"),
		}})
		if diff := cmp.Diff(c.want, statusOf(t, err)); diff != "" {
			t.Errorf("creating a bucket named with %d characters (-want +got):\n%s", len(c.name), diff)
		}
	}
}

// objectView is what a HEAD tells, for comparisons.
type objectView struct {
	Size          int64
	ContentMD5    string
	MultipartMD5  string
	CRC32C        string
	SHA256        string
	SHA384        string
	MultipartSHA  string
	StorageTier   string
	ArchivalState string
	Meta          map[string]string
}

func (e *env) head(t *testing.T, bucket, name string) (objectView, error) {
	t.Helper()
	h, err := e.Client.HeadObject(context.Background(), objectstorage.HeadObjectRequest{NamespaceName: e.ns, BucketName: common.String(bucket), ObjectName: common.String(name)})
	if err != nil {
		return objectView{}, err
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	v := objectView{
		Size: *h.ContentLength, ContentMD5: s(h.ContentMd5), MultipartMD5: s(h.OpcMultipartMd5),
		CRC32C: s(h.OpcContentCrc32c), SHA256: s(h.OpcContentSha256), SHA384: s(h.OpcContentSha384),
		MultipartSHA: s(h.OpcMultipartSha256) + s(h.OpcMultipartSha384),
		StorageTier:  string(h.StorageTier), ArchivalState: string(h.ArchivalState),
	}
	if len(h.OpcMeta) > 0 {
		v.Meta = h.OpcMeta
	}
	return v, nil
}

func TestObjectRoundTripSpecialNames(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	names := append(slices.Clone(inventorytest.SpecialKeys), "q?x=1&y=2#frag", "pct%2Fslash", "sp ace+plus")
	for i, name := range names {
		content := []byte(fmt.Sprintf("content %d of %q", i, name))
		_, err := e.Client.PutObject(ctx, objectstorage.PutObjectRequest{
			NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String(name),
			ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
			ContentMD5: common.String(md5b64(content)),
			OpcMeta:    map[string]string{"md5chksum": md5b64(content)},
		})
		if err != nil {
			t.Fatalf("put %q: %v", name, err)
		}
		got, err := e.head(t, "b", name)
		if err != nil {
			t.Fatalf("head %q: %v", name, err)
		}
		want := objectView{Size: int64(len(content)), ContentMD5: md5b64(content), StorageTier: "Standard", Meta: map[string]string{"md5chksum": md5b64(content)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("head %q (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(string(content), string(e.Get(t, "b", name))); diff != "" {
			t.Errorf("get %q (-want +got):\n%s", name, diff)
		}
		for _, r := range []struct{ header, want string }{
			{"bytes=3-7", string(content[3:8])},
			{"bytes=5-", string(content[5:])},
			{"bytes=-4", string(content[len(content)-4:])},
			{"bytes=2-100000", string(content[2:])},
		} {
			resp, err := e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String(name), Range: common.String(r.header)})
			if err != nil {
				t.Fatalf("get %q %s: %v", name, r.header, err)
			}
			b, _ := io.ReadAll(resp.Content)
			resp.Content.Close()
			if diff := cmp.Diff(r.want, string(b)); diff != "" {
				t.Errorf("get %q %s (-want +got):\n%s", name, r.header, diff)
			}
		}
	}

	list, err := e.Client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range list.Objects {
		listed = append(listed, *o.Name)
		if o.Size != nil || o.Md5 != nil || o.Etag != nil || o.TimeModified != nil {
			t.Errorf("listing without fields gave more than the name for %q: %+v", *o.Name, o)
		}
	}
	want := slices.Sorted(slices.Values(names))
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}

	for _, name := range names {
		if _, err := e.Client.DeleteObject(ctx, objectstorage.DeleteObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String(name)}); err != nil {
			t.Fatalf("delete %q: %v", name, err)
		}
		_, err := e.head(t, "b", name)
		if diff := cmp.Diff(statusCode{404, "BadErrorResponse"}, statusOf(t, err)); diff != "" {
			// The SDK reports BadErrorResponse because a HEAD 404 has no body.
			t.Errorf("head %q after delete (-want +got):\n%s", name, diff)
		}
		_, err = e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String(name)})
		if diff := cmp.Diff(statusCode{404, "ObjectNotFound"}, statusOf(t, err)); diff != "" {
			t.Errorf("get %q after delete (-want +got):\n%s", name, diff)
		}
	}
}

func TestRangeNotSatisfiable(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	e.Put(t, "b", "ten", []byte("0123456789"))
	_, err := e.Client.GetObject(context.Background(), objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("ten"), Range: common.String("bytes=10-")})
	if diff := cmp.Diff(statusCode{416, "InvalidRange"}, statusOf(t, err)); diff != "" {
		t.Errorf("range past the end (-want +got):\n%s", diff)
	}
}

func TestPutChecksums(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	content := []byte("the quick brown fox jumps over the lazy dog")
	crc := crc32.Checksum(content, crc32.MakeTable(crc32.Castagnoli))
	crcB64 := b64([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	s256 := sha256.Sum256(content)
	s384 := sha512.Sum384(content)

	tests := []struct {
		alg  objectstorage.PutObjectOpcChecksumAlgorithmEnum
		want objectView
	}{
		{objectstorage.PutObjectOpcChecksumAlgorithmCrc32c, objectView{CRC32C: crcB64}},
		{objectstorage.PutObjectOpcChecksumAlgorithmSha256, objectView{SHA256: b64(s256[:])}},
		{objectstorage.PutObjectOpcChecksumAlgorithmSha384, objectView{SHA384: b64(s384[:])}},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			name := "obj-" + string(tt.alg)
			resp, err := e.Client.PutObject(ctx, objectstorage.PutObjectRequest{
				NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String(name),
				ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
				OpcChecksumAlgorithm: tt.alg,
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(md5b64(content), *resp.OpcContentMd5); diff != "" {
				t.Errorf("opc-content-md5 (-want +got):\n%s", diff)
			}
			got, err := e.head(t, "b", name)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Size, want.ContentMD5, want.StorageTier = int64(len(content)), md5b64(content), "Standard"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("head (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("WrongChecksumsAreRejected", func(t *testing.T) {
		bad := b64(make([]byte, 4))
		for _, req := range []objectstorage.PutObjectRequest{
			{ContentMD5: common.String(md5b64([]byte("other")))},
			{OpcChecksumAlgorithm: objectstorage.PutObjectOpcChecksumAlgorithmCrc32c, OpcContentCrc32c: &bad},
		} {
			req.NamespaceName, req.BucketName, req.ObjectName = e.ns, common.String("b"), common.String("rejected")
			req.ContentLength, req.PutObjectBody = common.Int64(int64(len(content))), io.NopCloser(bytes.NewReader(content))
			_, err := e.Client.PutObject(ctx, req)
			if s, _ := status(t, err); s != 400 {
				t.Errorf("put with a wrong checksum: status %d, want 400 (%v)", s, err)
			}
		}
		if _, err := e.head(t, "b", "rejected"); err == nil {
			t.Error("a rejected put left an object")
		}
	})
}

func TestArchiveNeedsRestore(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	content := []byte("cold data")
	_, err := e.Client.PutObject(ctx, objectstorage.PutObjectRequest{
		NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("cold"),
		ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
		StorageTier: objectstorage.PutObjectStorageTierArchive,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.head(t, "b", "cold")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Archive", "Archived"}, []string{got.StorageTier, got.ArchivalState}); diff != "" {
		t.Errorf("head of an archived object (-want +got):\n%s", diff)
	}
	_, err = e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("cold")})
	if diff := cmp.Diff(statusCode{409, "NotRestored"}, statusOf(t, err)); diff != "" {
		t.Errorf("get of an archived object (-want +got):\n%s", diff)
	}
	list, err := e.Client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Fields: common.String("storageTier,archivalState")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Archive", "Archived"}, []string{string(list.Objects[0].StorageTier), string(list.Objects[0].ArchivalState)}); diff != "" {
		t.Errorf("listing of an archived object (-want +got):\n%s", diff)
	}

	_, err = e.Client.RestoreObjects(ctx, objectstorage.RestoreObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"),
		RestoreObjectsDetails: objectstorage.RestoreObjectsDetails{ObjectName: common.String("cold"), Hours: common.Int(2)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.head(t, "b", "cold"); got.ArchivalState != "Restored" {
		t.Errorf("archival state after restore = %q, want Restored", got.ArchivalState)
	}
	if diff := cmp.Diff(string(content), string(e.Get(t, "b", "cold"))); diff != "" {
		t.Errorf("content after restore (-want +got):\n%s", diff)
	}
}

func TestRestoreTakesTime(t *testing.T) {
	clock := &fakeClock{}
	e := start(t, ocilocal.Options{RestoreDelay: 2 * time.Minute, Now: clock.now})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	_, err := e.Client.PutObject(ctx, objectstorage.PutObjectRequest{
		NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("cold"),
		ContentLength: common.Int64(1), PutObjectBody: io.NopCloser(strings.NewReader("c")),
		StorageTier: objectstorage.PutObjectStorageTierArchive,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.RestoreObjects(ctx, objectstorage.RestoreObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"),
		RestoreObjectsDetails: objectstorage.RestoreObjectsDetails{ObjectName: common.String("cold")}}); err != nil {
		t.Fatal(err)
	}
	var states []string
	got, _ := e.head(t, "b", "cold")
	states = append(states, got.ArchivalState)
	clock.advance(3 * time.Minute) // within the signature's allowed clock skew
	got, _ = e.head(t, "b", "cold")
	states = append(states, got.ArchivalState)
	if diff := cmp.Diff([]string{"Restoring", "Restored"}, states); diff != "" {
		t.Errorf("archival states before and after the restore delay (-want +got):\n%s", diff)
	}
}
