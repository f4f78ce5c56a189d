package ocilocal_test

import (
	"context"
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
	list, err := e.Client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String(bucket), Fields: common.String("etag,md5,size")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Objects {
		s.Objects[*o.Name] = fmt.Sprintf("%s %s %d", *o.Etag, *o.Md5, *o.Size)
		s.Content[*o.Name] = string(e.Get(t, bucket, *o.Name))
	}
	s.Versions, _ = e.versions(t, bucket, 1000)
	ups, err := e.Client.ListMultipartUploads(ctx, objectstorage.ListMultipartUploadsRequest{NamespaceName: e.ns, BucketName: common.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	s.Uploads = len(ups.Items)
	return s
}

func TestRestartWithDataDirKeepsObjects(t *testing.T) {
	dir := t.TempDir()
	opts := ocilocal.Options{DataDir: dir}
	e := start(t, opts)
	e.CreateBucket(t, "keep", true)
	e.Put(t, "keep", "single", []byte("one piece"))
	e.Put(t, "keep", "over/written", []byte("old"))
	e.Put(t, "keep", "over/written", []byte("new"))
	e.Put(t, "keep", "gone", []byte("deleted later"))
	if _, err := e.Client.DeleteObject(context.Background(), objectstorage.DeleteObjectRequest{NamespaceName: e.ns, BucketName: common.String("keep"), ObjectName: common.String("gone")}); err != nil {
		t.Fatal(err)
	}
	e.upload(t, "keep", "multi", "", []byte("part one, "), []byte("part two"))
	if _, err := e.Client.CreateMultipartUpload(context.Background(), objectstorage.CreateMultipartUploadRequest{NamespaceName: e.ns, BucketName: common.String("keep"),
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String("unfinished")}}); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t, "keep")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal.jsonl")); err != nil {
		t.Fatalf("no journal in the data dir: %v", err)
	}

	e = start(t, opts)
	after := e.snapshot(t, "keep")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("bucket after a restart (-before +after):\n%s", diff)
	}
	if len(after.Objects) != 3 || len(after.Versions) != 6 || after.Uploads != 1 {
		t.Errorf("snapshot misses fixtures: %d objects, %d versions, %d uploads", len(after.Objects), len(after.Versions), after.Uploads)
	}
}
