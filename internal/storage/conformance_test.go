package storage

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// testStore is what every Store must do.
func testStore(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	names := []string{"latest.json", "runs/r1/run.json", "runs/r1/ledger/p/0001/part-000001.jsonl.gz", "runs/r2/run.json", "runs/r1/uni été + #.json"}
	for _, n := range names {
		if err := st.Put(ctx, n, strings.NewReader("content of "+n), PutOptions{ContentType: "application/json"}); err != nil {
			t.Fatalf("Put(%q): %v", n, err)
		}
	}
	if err := st.Put(ctx, "latest.json", strings.NewReader("replaced"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]string{"latest.json": "replaced", "runs/r1/uni été + #.json": "content of runs/r1/uni été + #.json"} {
		rc, err := st.Get(ctx, n)
		if err != nil {
			t.Fatalf("Get(%q): %v", n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != want {
			t.Errorf("Get(%q) = %q, %v; want %q", n, got, err, want)
		}
	}
	got, err := st.List(ctx, "runs/r1/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"runs/r1/ledger/p/0001/part-000001.jsonl.gz", "runs/r1/run.json", "runs/r1/uni été + #.json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if _, err := st.Get(ctx, "runs/none.json"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Get of a missing name: %v, want ErrNotExist", err)
	}
}

func TestDirConformance(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, d)
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

func TestOCIConformance(t *testing.T) {
	keyOnce.Do(func() {
		var err error
		if key, err = ocilocal.GenerateKey(); err != nil {
			t.Fatal(err)
		}
	})
	srv, err := ocilocal.Start(ocilocal.Options{Namespace: "acme", Keys: []*rsa.PublicKey{&key.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	configFile, err := ocilocal.WriteConfig(t.TempDir(), key, ocilocal.Profile{Name: "LOCAL", Region: "us-ashburn-1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := oci.Config{Name: "reports", Namespace: "acme", Bucket: "reports", Prefix: "pp/", Region: "us-ashburn-1",
		Endpoint: srv.Endpoint, ConfigFile: configFile, Profile: "LOCAL", DisableCircuitBreaker: true}
	client, _, err := oci.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(context.Background(), objectstorage.CreateBucketRequest{NamespaceName: common.String("acme"),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String("reports"), CompartmentId: common.String("ocid1.compartment.oc1..test")}}); err != nil {
		t.Fatal(err)
	}
	st, err := NewOCI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, st)
	if diff := cmp.Diff("oci://reports@acme/pp/latest.json", st.URL("latest.json")); diff != "" {
		t.Error(diff)
	}
}

var moto motoserver.Shared

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func TestS3Conformance(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	st, err := NewS3(ctx, S3Location{Bucket: "pp-state", Prefix: "pp/", Region: "us-east-1", Endpoint: srv.URL, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-state")}); err != nil {
		t.Fatal(err)
	}
	testStore(t, st)
	if diff := cmp.Diff("s3://pp-state/pp/latest.json", st.URL("latest.json")); diff != "" {
		t.Error(diff)
	}
}

// A Put with a retention sets an Object Lock retention in compliance mode.
func TestS3ObjectLockRetention(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	st, err := NewS3(ctx, S3Location{Bucket: "pp-reports", Region: "us-east-1", Endpoint: srv.URL, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-reports"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	until := time.Date(2033, 11, 28, 0, 0, 0, 0, time.UTC)
	if err := st.Put(ctx, "run/report.json", strings.NewReader("{}"), PutOptions{RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	// The SDK read no date from moto's GetObjectRetention answer; the
	// HEAD carries the same retention.
	got, err := st.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pp-reports"), Key: aws.String("run/report.json")})
	if err != nil {
		t.Fatal(err)
	}
	type retention struct {
		Mode  s3types.ObjectLockMode
		Until time.Time
	}
	var gotUntil time.Time
	if got.ObjectLockRetainUntilDate != nil {
		gotUntil = got.ObjectLockRetainUntilDate.UTC()
	}
	if diff := cmp.Diff(retention{s3types.ObjectLockModeCompliance, until}, retention{got.ObjectLockMode, gotUntil}); diff != "" {
		t.Errorf("retention (-want +got):\n%s", diff)
	}
}
