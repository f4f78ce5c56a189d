package oci_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

func TestErrorsNameTheStore(t *testing.T) {
	f := newFixture(t, false)
	dir := t.TempDir()
	testFP, err := ocilocal.Fingerprint(&ocilocaltest.Key().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// A config that claims testKey's fingerprint but holds another key.
	wrongKey, err := ocilocal.WriteConfig(filepath.Join(dir, "wrong"), ocilocaltest.OtherKey(), ocilocal.Profile{Fingerprint: testFP})
	if err != nil {
		t.Fatal(err)
	}
	// A config whose key file is not a key.
	badKey, err := ocilocal.WriteConfig(filepath.Join(dir, "bad"), ocilocaltest.Key(), ocilocal.Profile{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad", "key.pem"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		change func(*oci.Config)
		want   error
		says   string
	}{
		{"BucketNotFound", func(c *oci.Config) { c.Bucket = "no-such-bucket" }, oci.ErrBucketNotFound, `"no-such-bucket"`},
		{"NamespaceNotFound", func(c *oci.Config) { c.Namespace = "elsewhere" }, oci.ErrNamespaceNotFound, `"elsewhere"`},
		{"WrongKey", func(c *oci.Config) { c.ConfigFile, c.Profile = wrongKey, "" }, oci.ErrNotAuthorized, "signature"},
		{"BadKeyFile", func(c *oci.Config) { c.ConfigFile, c.Profile = badKey, "" }, oci.ErrBadKeyFile, "key_file"},
		{"MissingConfigFile", func(c *oci.Config) { c.ConfigFile = filepath.Join(dir, "absent") }, oci.ErrBadKeyFile, "absent"},
		{"UnknownProfile", func(c *oci.Config) { c.Profile = "NOPE" }, oci.ErrBadKeyFile, "NOPE"},
		{"ResourcePrincipalOutsideOCI", func(c *oci.Config) { c.Auth = oci.AuthResourcePrincipal }, nil, "resource principal"},
		{"BadPageSize", func(c *oci.Config) { c.PageSize = 1001 }, nil, "page size 1001"},
		{"UnknownAuth", func(c *oci.Config) { c.Auth = "password" }, nil, `auth "password"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "ResourcePrincipalOutsideOCI" {
				t.Setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "")
			}
			cfg := f.cfg
			tt.change(&cfg)
			_, err := oci.New(context.Background(), cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tt.want)
			}
			for _, s := range []string{`"oci-us"`, tt.says} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %s", err, s)
				}
			}
		})
	}
}

func TestMissingBucketIsNotAMissingKey(t *testing.T) {
	f := newFixture(t, false)
	f.put(t, prefix+"k", []byte("k"), nil)
	s := f.store(t, nil)
	ctx := context.Background()
	if _, err := s.Head(ctx, "absent"); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("head of an absent key: got %v, want ErrNotFound", err)
	}
	f.deleteObject(t, prefix+"k", nil)
	if _, err := f.Client.DeleteBucket(ctx, objectstorage.DeleteBucketRequest{NamespaceName: f.ns, BucketName: common.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for name, do := range map[string]func() error{
		"head": func() error { _, err := s.Head(ctx, "k"); return err },
		"open": func() error { _, err := s.Open(ctx, "k", inventory.Whole); return err },
		"list": func() error { _, err := inventory.Collect(s.List(ctx, inventory.KeyRange{})); return err },
	} {
		err := do()
		if errors.Is(err, inventory.ErrNotFound) || !errors.Is(err, oci.ErrBucketNotFound) {
			t.Errorf("%s after the bucket was deleted: got %v, want ErrBucketNotFound and not ErrNotFound", name, err)
		}
	}
}

func TestRegion(t *testing.T) {
	f := newFixture(t, false)
	configured := f.store(t, nil)
	fromProfile := f.store(t, func(c *oci.Config) { c.Region = "" })
	if diff := cmp.Diff([]string{"us-ashburn-1", "us-phoenix-1"}, []string{configured.Region(), fromProfile.Region()}); diff != "" {
		t.Errorf("regions: configured, from the profile (-want +got):\n%s", diff)
	}
}

// keyPEM is used to check that a PKCS#8 key file works as well.
func TestPKCS8KeyFile(t *testing.T) {
	f := newFixture(t, false)
	dir := t.TempDir()
	configFile, err := ocilocal.WriteConfig(dir, ocilocaltest.Key(), ocilocal.Profile{})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ocilocaltest.Key())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	f.store(t, func(c *oci.Config) { c.ConfigFile, c.Profile = configFile, "" })
}

// An error a user can act on is one line naming the store, what to check,
// and the service's code and request id: none of the SDK's boilerplate.
func TestErrorsAreOneLineWithAHint(t *testing.T) {
	f := newFixture(t, false)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	tests := []struct {
		name   string
		change func(*oci.Config)
		want   error
		says   []string
	}{
		{"BucketNotFound", func(c *oci.Config) { c.Bucket = "no-such-bucket" }, oci.ErrBucketNotFound,
			[]string{`OCI store "oci-us": reading the bucket: bucket not found, or not authorized to read it: bucket "no-such-bucket" in namespace`, "check the store's bucket, namespace and region", "404 BucketNotFound", "opc-request-id"}},
		{"NamespaceNotFound", func(c *oci.Config) { c.Namespace = "elsewhere" }, oci.ErrNamespaceNotFound,
			[]string{`OCI store "oci-us": reading the bucket: namespace not found, or not authorized to read it: namespace "elsewhere"`, "check the store's namespace", "404 NamespaceNotFound"}},
		{"Unreachable", func(c *oci.Config) { c.Endpoint, c.DisableRetries = closed, true }, oci.ErrUnreachable,
			[]string{`OCI store "oci-us": reading the bucket: endpoint unreachable: cannot connect to ` + closed + `; check the store's endpoint and region, and the network`, "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.cfg
			tt.change(&cfg)
			_, err := oci.New(context.Background(), cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.want)
			}
			msg := err.Error()
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not say %q", msg, s)
				}
			}
			for _, s := range []string{"\n", "Oracle support", "Troubleshooting", "Client Version"} {
				if strings.Contains(msg, s) {
					t.Errorf("error holds %q: %q", s, msg)
				}
			}
			var se common.ServiceError
			if tt.want != oci.ErrUnreachable && !errors.As(err, &se) {
				t.Errorf("the SDK's service error is not in the chain of %v", err)
			}
		})
	}
}
