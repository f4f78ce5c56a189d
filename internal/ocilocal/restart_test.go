package ocilocal_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
)

// snapshot is everything a client sees of a bucket, to compare across a
// restart.
type snapshot struct {
	Objects  map[string]string // name → etag, md5, size
	Content  map[string]string
	Versions []versionView
	Uploads  int
}

func (e *env) snapshot(t *testing.T, bucket string) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{Objects: map[string]string{}, Content: map[string]string{}}
	list, err := e.client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String(bucket), Fields: common.String("etag,md5,size")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Objects {
		s.Objects[*o.Name] = fmt.Sprintf("%s %s %d", *o.Etag, *o.Md5, *o.Size)
		s.Content[*o.Name] = string(e.get(t, bucket, *o.Name))
	}
	s.Versions, _ = e.versions(t, bucket, 1000)
	ups, err := e.client.ListMultipartUploads(ctx, objectstorage.ListMultipartUploadsRequest{NamespaceName: e.ns, BucketName: common.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	s.Uploads = len(ups.Items)
	return s
}

func TestRestartWithDataDirKeepsObjects(t *testing.T) {
	dir := t.TempDir()
	opts := ocilocal.Options{DataDir: dir, Keys: []*rsa.PublicKey{&testKey().PublicKey}}
	first, err := ocilocal.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: first, client: newClient(t, first.Endpoint, provider(t, testKey(), "")), ns: common.String(first.Namespace())}
	e.createBucket(t, "keep", true)
	e.put(t, "keep", "single", []byte("one piece"))
	e.put(t, "keep", "over/written", []byte("old"))
	e.put(t, "keep", "over/written", []byte("new"))
	e.put(t, "keep", "gone", []byte("deleted later"))
	if _, err := e.client.DeleteObject(context.Background(), objectstorage.DeleteObjectRequest{NamespaceName: e.ns, BucketName: common.String("keep"), ObjectName: common.String("gone")}); err != nil {
		t.Fatal(err)
	}
	e.upload(t, "keep", "multi", "", []byte("part one, "), []byte("part two"))
	if _, err := e.client.CreateMultipartUpload(context.Background(), objectstorage.CreateMultipartUploadRequest{NamespaceName: e.ns, BucketName: common.String("keep"),
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String("unfinished")}}); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t, "keep")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal.jsonl")); err != nil {
		t.Fatalf("no journal in the data dir: %v", err)
	}

	second, err := ocilocal.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	e = &env{srv: second, client: newClient(t, second.Endpoint, provider(t, testKey(), "")), ns: common.String(second.Namespace())}
	after := e.snapshot(t, "keep")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("bucket after a restart (-before +after):\n%s", diff)
	}
	if len(after.Objects) != 3 || len(after.Versions) != 6 || after.Uploads != 1 {
		t.Errorf("snapshot misses fixtures: %d objects, %d versions, %d uploads", len(after.Objects), len(after.Versions), after.Uploads)
	}
}
