package oci_test

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

const (
	storeName = "oci-us"
	prefix    = "migrated/users/"
	bucket    = "us-users"
)

// fixture is a running ocilocal (the shared fixture) with one bucket, and
// the configuration of a store on it.
type fixture struct {
	*ocilocaltest.Env
	ns  *string
	cfg oci.Config
}

func newFixture(t *testing.T, versioned bool) *fixture { return newFixtureTB(t, versioned) }

func newFixtureTB(t testing.TB, versioned bool) *fixture {
	t.Helper()
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acmecorp"}, Profile: "LOCAL", Region: "us-phoenix-1"})
	env.CreateBucket(t, bucket, versioned)
	return &fixture{Env: env, ns: common.String(env.Namespace), cfg: oci.Config{
		Name: storeName, Namespace: env.Namespace, Bucket: bucket, Prefix: prefix, Region: "us-ashburn-1",
		Endpoint: env.Endpoint, ConfigFile: env.ConfigFile, Profile: env.Profile,
		DisableRetries: true, DisableCircuitBreaker: true,
	}}
}

// store opens the fixture's store, with change applied to its configuration.
func (f *fixture) store(t *testing.T, change func(*oci.Config)) *oci.Store {
	return f.storeTB(t, change)
}

func (f *fixture) storeTB(t testing.TB, change func(*oci.Config)) *oci.Store {
	t.Helper()
	cfg := f.cfg
	if change != nil {
		change(&cfg)
	}
	s, err := oci.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// put stores content in the bucket under the object name (not the logical
// key), with the request changed by change if not nil.
func (f *fixture) put(t testing.TB, name string, content []byte, change func(*objectstorage.PutObjectRequest)) objectstorage.PutObjectResponse {
	t.Helper()
	return f.Put(t, bucket, name, content, change)
}

// upload stores parts as a multipart object with the checksum algorithm alg.
func (f *fixture) upload(t *testing.T, name string, alg string, parts ...[]byte) objectstorage.CommitMultipartUploadResponse {
	t.Helper()
	ctx := context.Background()
	bkt := common.String(bucket)
	up, err := f.Client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{
		NamespaceName: f.ns, BucketName: bkt, OpcChecksumAlgorithm: objectstorage.CreateMultipartUploadOpcChecksumAlgorithmEnum(alg),
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String(name)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var commit []objectstorage.CommitMultipartUploadPartDetails
	for i, p := range parts {
		resp, err := f.Client.UploadPart(ctx, objectstorage.UploadPartRequest{
			NamespaceName: f.ns, BucketName: bkt, ObjectName: common.String(name), UploadId: up.UploadId,
			UploadPartNum: common.Int(i + 1), ContentLength: common.Int64(int64(len(p))), UploadPartBody: io.NopCloser(bytes.NewReader(p)),
			OpcChecksumAlgorithm: objectstorage.UploadPartOpcChecksumAlgorithmEnum(alg),
		})
		if err != nil {
			t.Fatal(err)
		}
		commit = append(commit, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(i + 1), Etag: resp.ETag})
	}
	resp, err := f.Client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{
		NamespaceName: f.ns, BucketName: bkt, ObjectName: common.String(name), UploadId: up.UploadId,
		CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: commit},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (f *fixture) deleteObject(t *testing.T, name string, versionID *string) {
	t.Helper()
	if _, err := f.Client.DeleteObject(context.Background(), objectstorage.DeleteObjectRequest{
		NamespaceName: f.ns, BucketName: common.String(bucket), ObjectName: common.String(name), VersionId: versionID,
	}); err != nil {
		t.Fatalf("deleting %q: %v", name, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
