package oci_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// RSA keys take a while to generate: each test binary makes two, once.
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
)

func mustKey() *rsa.PrivateKey {
	k, err := ocilocal.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}

const (
	storeName = "oci-us"
	prefix    = "migrated/users/"
	bucket    = "us-users"
)

// fixture is a running ocilocal with one bucket, an SDK client to seed it
// and the configuration of a store on it.
type fixture struct {
	srv    *ocilocal.Running
	client objectstorage.ObjectStorageClient
	ns     *string
	cfg    oci.Config
}

func newFixture(t *testing.T, versioned bool) *fixture { return newFixtureTB(t, versioned) }

func newFixtureTB(t testing.TB, versioned bool) *fixture {
	t.Helper()
	srv, err := ocilocal.Start(ocilocal.Options{Namespace: "acmecorp", Keys: []*rsa.PublicKey{&testKey().PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	configFile, err := ocilocal.WriteConfig(t.TempDir(), testKey(), ocilocal.Profile{Name: "LOCAL", Region: "us-phoenix-1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := common.ConfigurationProviderFromFileWithProfile(configFile, "LOCAL", "")
	if err != nil {
		t.Fatal(err)
	}
	client, err := objectstorage.NewObjectStorageClientWithConfigurationProvider(p)
	if err != nil {
		t.Fatal(err)
	}
	noRetry := common.NoRetryPolicy()
	client.SetCustomClientConfiguration(common.CustomClientConfiguration{RetryPolicy: &noRetry})
	client.Host = srv.Endpoint
	f := &fixture{srv: srv, client: client, ns: common.String("acmecorp"), cfg: oci.Config{
		Name: storeName, Namespace: "acmecorp", Bucket: bucket, Prefix: prefix, Region: "us-ashburn-1",
		Endpoint: srv.Endpoint, ConfigFile: configFile, Profile: "LOCAL",
		DisableRetries: true, DisableCircuitBreaker: true,
	}}
	d := objectstorage.CreateBucketDetails{Name: common.String(bucket), CompartmentId: common.String("ocid1.compartment.oc1..test")}
	if versioned {
		d.Versioning = objectstorage.CreateBucketDetailsVersioningEnabled
	}
	if _, err := client.CreateBucket(context.Background(), objectstorage.CreateBucketRequest{NamespaceName: f.ns, CreateBucketDetails: d}); err != nil {
		t.Fatal(err)
	}
	return f
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

// put stores content under the object name (not the logical key), with
// the request changed by change.
func (f *fixture) put(t *testing.T, name string, content []byte, change func(*objectstorage.PutObjectRequest)) objectstorage.PutObjectResponse {
	t.Helper()
	req := objectstorage.PutObjectRequest{
		NamespaceName: f.ns, BucketName: common.String(bucket), ObjectName: common.String(name),
		ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
	}
	if change != nil {
		change(&req)
	}
	resp, err := f.client.PutObject(context.Background(), req)
	if err != nil {
		t.Fatalf("putting %q: %v", name, err)
	}
	return resp
}

func (f *fixture) putTB(t testing.TB, name string, content []byte) {
	t.Helper()
	_, err := f.client.PutObject(context.Background(), objectstorage.PutObjectRequest{
		NamespaceName: f.ns, BucketName: common.String(bucket), ObjectName: common.String(name),
		ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
	})
	if err != nil {
		t.Fatalf("putting %q: %v", name, err)
	}
}

// upload stores parts as a multipart object with the checksum algorithm alg.
func (f *fixture) upload(t *testing.T, name string, alg string, parts ...[]byte) objectstorage.CommitMultipartUploadResponse {
	t.Helper()
	ctx := context.Background()
	bkt := common.String(bucket)
	up, err := f.client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{
		NamespaceName: f.ns, BucketName: bkt, OpcChecksumAlgorithm: objectstorage.CreateMultipartUploadOpcChecksumAlgorithmEnum(alg),
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String(name)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var commit []objectstorage.CommitMultipartUploadPartDetails
	for i, p := range parts {
		resp, err := f.client.UploadPart(ctx, objectstorage.UploadPartRequest{
			NamespaceName: f.ns, BucketName: bkt, ObjectName: common.String(name), UploadId: up.UploadId,
			UploadPartNum: common.Int(i + 1), ContentLength: common.Int64(int64(len(p))), UploadPartBody: io.NopCloser(bytes.NewReader(p)),
			OpcChecksumAlgorithm: objectstorage.UploadPartOpcChecksumAlgorithmEnum(alg),
		})
		if err != nil {
			t.Fatal(err)
		}
		commit = append(commit, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(i + 1), Etag: resp.ETag})
	}
	resp, err := f.client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{
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
	if _, err := f.client.DeleteObject(context.Background(), objectstorage.DeleteObjectRequest{
		NamespaceName: f.ns, BucketName: common.String(bucket), ObjectName: common.String(name), VersionId: versionID,
	}); err != nil {
		t.Fatalf("deleting %q: %v", name, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
