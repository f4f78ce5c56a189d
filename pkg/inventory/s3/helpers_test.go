package s3_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/pkg/inventory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// moto is the moto_server the integration tests share; each test works in
// buckets of its own.
var moto motoserver.Shared

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// bucket is a fresh bucket in the shared moto_server, with a raw SDK
// client to seed it.
type bucket struct {
	t      *testing.T
	srv    *motoserver.Server
	name   string
	client *awss3.Client
}

// rawClient is an unmodified SDK client for moto, to seed fixtures with.
func rawClient(srv *motoserver.Server) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, ""),
	})
}

// newBucket creates an empty bucket, versioned if asked.
func newBucket(t *testing.T, versioned bool) *bucket {
	t.Helper()
	srv := moto.Get(t)
	sum := sha1.Sum([]byte(t.Name()))
	b := &bucket{
		t:      t,
		srv:    srv,
		name:   srv.BucketName("pp-" + hex.EncodeToString(sum[:6])),
		client: rawClient(srv),
	}
	b.create()
	if versioned {
		b.setVersioning(types.BucketVersioningStatusEnabled)
	}
	return b
}

func (b *bucket) create() {
	b.t.Helper()
	if _, err := b.client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(b.name)}); err != nil {
		b.t.Fatalf("creating bucket %s: %v", b.name, err)
	}
}

func (b *bucket) setVersioning(status types.BucketVersioningStatus) {
	b.t.Helper()
	_, err := b.client.PutBucketVersioning(context.Background(), &awss3.PutBucketVersioningInput{
		Bucket:                  aws.String(b.name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		b.t.Fatalf("versioning of %s: %v", b.name, err)
	}
}

// put uploads content under key in one piece; edit changes the request.
func (b *bucket) put(key string, content []byte, edit ...func(*awss3.PutObjectInput)) *awss3.PutObjectOutput {
	b.t.Helper()
	in := &awss3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key), Body: bytes.NewReader(content)}
	for _, e := range edit {
		e(in)
	}
	out, err := b.client.PutObject(context.Background(), in)
	if err != nil {
		b.t.Fatalf("putting %q: %v", key, err)
	}
	return out
}

// del deletes key; in a versioned bucket it adds a delete marker and
// returns the marker's version id.
func (b *bucket) del(key string) string {
	b.t.Helper()
	out, err := b.client.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		b.t.Fatalf("deleting %q: %v", key, err)
	}
	return aws.ToString(out.VersionId)
}

// config is the store configuration for the bucket under prefix.
func (b *bucket) config(prefix string, pageSize int) s3store.Config {
	return s3store.Config{
		Name:      "legacy-test",
		Bucket:    b.name,
		Prefix:    prefix,
		Region:    motoserver.Region,
		Endpoint:  b.srv.URL,
		PathStyle: true,
		PageSize:  pageSize,
		Retry:     s3store.Retry{MaxAttempts: 2},
	}
}

// store opens the bucket under prefix as a store.
func (b *bucket) store(prefix string, pageSize int) *s3store.Store {
	b.t.Helper()
	s, err := s3store.New(context.Background(), b.config(prefix, pageSize))
	if err != nil {
		b.t.Fatalf("opening store: %v", err)
	}
	return s
}

// list collects a listing of r.
func list(t *testing.T, s inventory.Store, r inventory.KeyRange) []inventory.Fingerprint {
	t.Helper()
	fps, err := inventory.Collect(s.List(context.Background(), r))
	if err != nil {
		t.Fatalf("listing %s: %v", r, err)
	}
	return fps
}

func keysOf(fps []inventory.Fingerprint) []string {
	keys := make([]string, len(fps))
	for i, fp := range fps {
		keys[i] = fp.Key
	}
	return keys
}
