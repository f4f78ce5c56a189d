package ocilocal_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
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

// provider returns an SDK configuration provider signing with key and
// claiming fingerprint fp ("" for key's own).
func provider(t *testing.T, key *rsa.PrivateKey, fp string) common.ConfigurationProvider {
	t.Helper()
	if fp == "" {
		var err error
		if fp, err = ocilocal.Fingerprint(&key.PublicKey); err != nil {
			t.Fatal(err)
		}
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return common.NewRawConfigurationProvider(ocilocal.DefaultTenancy, ocilocal.DefaultUser, ocilocal.DefaultRegion, fp, string(keyPEM), nil)
}

// env is a running ocilocal and an SDK client of it.
type env struct {
	srv    *ocilocal.Running
	client objectstorage.ObjectStorageClient
	ns     *string
}

// start starts ocilocal accepting testKey, with opts, and a client of it
// that neither retries nor breaks circuits.
func start(t *testing.T, opts ocilocal.Options) *env {
	t.Helper()
	if opts.Keys == nil {
		opts.Keys = []*rsa.PublicKey{&testKey().PublicKey}
	}
	srv, err := ocilocal.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing ocilocal: %v", err)
		}
	})
	e := &env{srv: srv, client: newClient(t, srv.Endpoint, provider(t, testKey(), "")), ns: common.String(srv.Namespace())}
	return e
}

func newClient(t *testing.T, endpoint string, p common.ConfigurationProvider) objectstorage.ObjectStorageClient {
	t.Helper()
	c, err := objectstorage.NewObjectStorageClientWithConfigurationProvider(p)
	if err != nil {
		t.Fatal(err)
	}
	noRetry := common.NoRetryPolicy()
	c.SetCustomClientConfiguration(common.CustomClientConfiguration{RetryPolicy: &noRetry})
	c.Host = endpoint // last: the configuration calls above may reset it
	return c
}

// dispatcher lets a test change a request after the SDK signed it.
type dispatcher func(*http.Request) (*http.Response, error)

func (d dispatcher) Do(r *http.Request) (*http.Response, error) { return d(r) }

func (e *env) createBucket(t *testing.T, name string, versioned bool) {
	t.Helper()
	d := objectstorage.CreateBucketDetails{Name: common.String(name), CompartmentId: common.String("ocid1.compartment.oc1..test")}
	if versioned {
		d.Versioning = objectstorage.CreateBucketDetailsVersioningEnabled
	}
	if _, err := e.client.CreateBucket(context.Background(), objectstorage.CreateBucketRequest{NamespaceName: e.ns, CreateBucketDetails: d}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
}

func (e *env) put(t *testing.T, bucket, name string, content []byte) objectstorage.PutObjectResponse {
	t.Helper()
	resp, err := e.client.PutObject(context.Background(), objectstorage.PutObjectRequest{
		NamespaceName: e.ns, BucketName: common.String(bucket), ObjectName: common.String(name),
		ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
	})
	if err != nil {
		t.Fatalf("putting %q: %v", name, err)
	}
	return resp
}

func (e *env) get(t *testing.T, bucket, name string) []byte {
	t.Helper()
	resp, err := e.client.GetObject(context.Background(), objectstorage.GetObjectRequest{
		NamespaceName: e.ns, BucketName: common.String(bucket), ObjectName: common.String(name),
	})
	if err != nil {
		t.Fatalf("getting %q: %v", name, err)
	}
	defer resp.Content.Close()
	b, err := io.ReadAll(resp.Content)
	if err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	return b
}

// status returns the HTTP status and code of a service error, 0 and "" for
// nil, and fails the test for other errors.
func status(t *testing.T, err error) (int, string) {
	t.Helper()
	if err == nil {
		return 0, ""
	}
	if se, ok := common.IsServiceError(err); ok {
		return se.GetHTTPStatusCode(), se.GetCode()
	}
	t.Fatalf("not a service error: %v", err)
	return 0, ""
}

type statusCode struct {
	Status int
	Code   string
}

func statusOf(t *testing.T, err error) statusCode {
	t.Helper()
	s, c := status(t, err)
	return statusCode{s, c}
}

// fakeClock is the real clock moved forward by what a test advanced it: a
// request's Date (the real time) stays within the allowed skew as long as
// the advance does.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
