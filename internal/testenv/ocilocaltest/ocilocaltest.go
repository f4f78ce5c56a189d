// Package ocilocaltest is the shared test fixture for code that talks to
// OCI Object Storage: it starts an in-process [ocilocal] server that
// accepts a key generated once per test binary, writes an OCI
// configuration file whose profile signs with that key, and hands out an
// SDK client of the server (no retries, no circuit breaker) to create
// buckets and seed objects. Everything it starts stops when the test ends.
//
//	env := ocilocaltest.Start(t, ocilocaltest.Options{})
//	env.CreateBucket(t, "reports", false)
//	env.Put(t, "reports", "pp/latest.json", []byte("{}"))
//	// point the code under test at env.Endpoint, env.ConfigFile, env.Profile
//
// Tests of ocilocal's own start-up call [ocilocal.Start] themselves.
package ocilocaltest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"sync"
	"testing"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ociclient"
	"github.com/parityproof/parityproof/internal/ocilocal"
)

// Compartment is the compartment OCID buckets are created in; ocilocal
// does not check it.
const Compartment = "ocid1.compartment.oc1..ocilocaltest"

// RSA keys take a while to generate: a test binary makes each at most once.
var (
	key      = sync.OnceValues(ocilocal.GenerateKey)
	otherKey = sync.OnceValues(ocilocal.GenerateKey)
)

// Key returns the key that servers started by [Start] accept (unless
// Options.Server.Keys says otherwise) and that the written configuration
// file signs with. It is generated once per test binary.
func Key() *rsa.PrivateKey { return must(key()) }

// OtherKey returns a second key, distinct from [Key] and accepted by no
// server unless a test says so: for tests of signatures and of key files.
func OtherKey() *rsa.PrivateKey { return must(otherKey()) }

func must(k *rsa.PrivateKey, err error) *rsa.PrivateKey {
	if err != nil {
		panic(err) // crypto/rand failed: nothing can run
	}
	return k
}

// Options configure [Start].
type Options struct {
	// Server configures the server (namespace, data folder, faults, clock,
	// ...). Keys empty accepts [Key] alone.
	Server ocilocal.Options
	// Profile is the name of the profile written to the configuration
	// file, "DEFAULT" when empty.
	Profile string
	// Region is the profile's region, [ocilocal.DefaultRegion] when empty.
	Region string
}

// Env is a running server, a configuration file pointing at it and an SDK
// client of it.
type Env struct {
	// Server is the running server: faults, request counts, ...
	Server *ocilocal.Running
	// Endpoint is the server's base URL, for a client's Host or a store's
	// endpoint setting.
	Endpoint string
	// Namespace is the namespace the server serves.
	Namespace string
	// ConfigFile is an OCI configuration file whose profile Profile signs
	// with [Key] in region Region.
	ConfigFile, Profile, Region string
	// Client is an SDK client of the server signing with [Key], without
	// retries or circuit breaker, for seeding and inspecting buckets.
	Client objectstorage.ObjectStorageClient

	close func() error
}

// Start starts a server on a free loopback port for the test t, writes the
// configuration file into a temporary folder of t and returns the Env. The
// server is closed when t ends (or by [Env.Close]); a failure to close fails t.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	so := opts.Server
	if len(so.Keys) == 0 {
		so.Keys = []*rsa.PublicKey{&Key().PublicKey}
	}
	srv, err := ocilocal.Start(so)
	if err != nil {
		t.Fatalf("starting ocilocal: %v", err)
	}
	e := &Env{Server: srv, Endpoint: srv.Endpoint, Namespace: srv.Namespace(), close: sync.OnceValue(srv.Close)}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing ocilocal: %v", err)
		}
	})
	e.Profile, e.Region = opts.Profile, opts.Region
	if e.Profile == "" {
		e.Profile = "DEFAULT"
	}
	if e.Region == "" {
		e.Region = ocilocal.DefaultRegion
	}
	if e.ConfigFile, err = ocilocal.WriteConfig(t.TempDir(), Key(), ocilocal.Profile{Name: e.Profile, Region: e.Region}); err != nil {
		t.Fatalf("writing the OCI configuration: %v", err)
	}
	e.Client = e.NewClient(t, Provider(t, Key(), ""))
	return e
}

// Close closes the server; later calls, and the one when the test ends,
// return the first call's result.
func (e *Env) Close() error { return e.close() }

// Provider returns an SDK configuration provider signing with key while
// claiming the fingerprint fp ("" for key's own): ocilocal's default
// tenancy, user and region.
func Provider(t testing.TB, key *rsa.PrivateKey, fp string) common.ConfigurationProvider {
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

// NewClient returns an SDK client of the server signing as p says, that
// neither retries nor breaks circuits.
func (e *Env) NewClient(t testing.TB, p common.ConfigurationProvider) objectstorage.ObjectStorageClient {
	t.Helper()
	return NewClient(t, e.Endpoint, p)
}

// NewClient returns an SDK client of the server at endpoint signing as p
// says, that neither retries nor breaks circuits. It is built by
// ociclient, unguarded: tests call it under contexts they do not cancel.
func NewClient(t testing.TB, endpoint string, p common.ConfigurationProvider) objectstorage.ObjectStorageClient {
	t.Helper()
	c, err := ociclient.New(ociclient.Options{Provider: p, Endpoint: endpoint, Retry: ociclient.Retry{Disabled: true}, DisableCircuitBreaker: true})
	if err != nil {
		t.Fatalf("creating an Object Storage client: %v", err)
	}
	return c.Unguarded()
}

// CreateBucket creates the bucket name, with versioning on if versioned.
func (e *Env) CreateBucket(t testing.TB, name string, versioned bool) {
	t.Helper()
	d := objectstorage.CreateBucketDetails{Name: common.String(name), CompartmentId: common.String(Compartment)}
	if versioned {
		d.Versioning = objectstorage.CreateBucketDetailsVersioningEnabled
	}
	if _, err := e.Client.CreateBucket(context.Background(), objectstorage.CreateBucketRequest{NamespaceName: common.String(e.Namespace), CreateBucketDetails: d}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
}

// Put stores content as the object name in bucket, in one PutObject
// changed by each non-nil change (to set metadata, checksums, a storage
// tier).
func (e *Env) Put(t testing.TB, bucket, name string, content []byte, change ...func(*objectstorage.PutObjectRequest)) objectstorage.PutObjectResponse {
	t.Helper()
	req := objectstorage.PutObjectRequest{
		NamespaceName: common.String(e.Namespace), BucketName: common.String(bucket), ObjectName: common.String(name),
		ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content)),
	}
	for _, c := range change {
		if c != nil {
			c(&req)
		}
	}
	resp, err := e.Client.PutObject(context.Background(), req)
	if err != nil {
		t.Fatalf("putting %q in bucket %s: %v", name, bucket, err)
	}
	return resp
}

// Get returns the content of the object name in bucket.
func (e *Env) Get(t testing.TB, bucket, name string) []byte {
	t.Helper()
	resp, err := e.Client.GetObject(context.Background(), objectstorage.GetObjectRequest{
		NamespaceName: common.String(e.Namespace), BucketName: common.String(bucket), ObjectName: common.String(name),
	})
	if err != nil {
		t.Fatalf("getting %q from bucket %s: %v", name, bucket, err)
	}
	defer resp.Content.Close()
	b, err := io.ReadAll(resp.Content)
	if err != nil {
		t.Fatalf("reading %q from bucket %s: %v", name, bucket, err)
	}
	return b
}
