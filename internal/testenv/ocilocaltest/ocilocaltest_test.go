package ocilocaltest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

func TestSeedAndReadBack(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acme"}})
	env.CreateBucket(t, "plain", false)
	env.CreateBucket(t, "kept", true)
	env.Put(t, "plain", "a b/é", []byte("one"))
	env.Put(t, "kept", "k", []byte("typed"), func(r *objectstorage.PutObjectRequest) { r.ContentType = common.String("text/plain") })
	env.Put(t, "kept", "k", []byte("two"))

	ctx := context.Background()
	ns := common.String("acme")
	type bucket struct {
		Name       string
		Versioning objectstorage.BucketVersioningEnum
	}
	var got []bucket
	for _, name := range []string{"plain", "kept"} {
		b, err := env.Client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: ns, BucketName: common.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, bucket{*b.Name, b.Versioning})
	}
	want := []bucket{{"plain", objectstorage.BucketVersioningDisabled}, {"kept", objectstorage.BucketVersioningEnabled}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"one", "two"}, []string{string(env.Get(t, "plain", "a b/é")), string(env.Get(t, "kept", "k"))}); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	vs, err := env.Client.ListObjectVersions(ctx, objectstorage.ListObjectVersionsRequest{NamespaceName: ns, BucketName: common.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(2, len(vs.Items)); diff != "" {
		t.Errorf("versions of k in the versioned bucket (-want +got):\n%s", diff)
	}
}

// The configuration file's profile is what code under test reads: it must
// sign requests the server accepts.
func TestConfigFileSigns(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Profile: "LOCAL", Region: "us-phoenix-1"})
	p, err := common.ConfigurationProviderFromFileWithProfile(env.ConfigFile, "LOCAL", "")
	if err != nil {
		t.Fatal(err)
	}
	region, err := p.Region()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"LOCAL", "us-phoenix-1", "us-phoenix-1"}, []string{env.Profile, env.Region, region}); diff != "" {
		t.Errorf("profile and region (-want +got):\n%s", diff)
	}
	c := env.NewClient(t, p)
	ns, err := c.GetNamespace(context.Background(), objectstorage.GetNamespaceRequest{})
	if err != nil {
		t.Fatalf("a client configured from the file: %v", err)
	}
	if diff := cmp.Diff(env.Namespace, *ns.Value); diff != "" {
		t.Errorf("namespace (-want +got):\n%s", diff)
	}
}

// The seeding client makes exactly one attempt: a test that injects faults
// sees them.
func TestClientDoesNotRetry(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Faults: ocilocal.Faults{Rate503: 1, Operations: []string{"GetNamespace"}}}})
	for range 6 { // more than the failures that would open the SDK's default circuit breaker
		_, err := env.Client.GetNamespace(context.Background(), objectstorage.GetNamespaceRequest{})
		if se, ok := common.IsServiceError(err); !ok || se.GetHTTPStatusCode() != http.StatusServiceUnavailable {
			t.Fatalf("GetNamespace with every answer a 503: %v, want the 503", err)
		}
	}
	if diff := cmp.Diff(int64(6), env.Server.Requests("GetNamespace")); diff != "" {
		t.Errorf("requests for 6 calls (-want +got):\n%s", diff)
	}
}

func TestOtherKeyIsRefused(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{})
	if ocilocaltest.Key().Equal(ocilocaltest.OtherKey()) {
		t.Fatal("Key and OtherKey are the same key")
	}
	c := env.NewClient(t, ocilocaltest.Provider(t, ocilocaltest.OtherKey(), ""))
	_, err := c.GetNamespace(context.Background(), objectstorage.GetNamespaceRequest{})
	if se, ok := common.IsServiceError(err); !ok || se.GetHTTPStatusCode() != http.StatusUnauthorized {
		t.Errorf("a request signed by OtherKey: %v, want a 401", err)
	}
}

// Close may be called by a test before the cleanup calls it again.
func TestCloseTwice(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{})
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(env.Endpoint + "/n/"); err == nil {
		t.Error("the server still answers after Close")
	}
}
