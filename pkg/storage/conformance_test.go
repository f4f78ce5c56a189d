package storage

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory/oci"
	"github.com/parityproof/parityproof/pkg/ocilocal"
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
