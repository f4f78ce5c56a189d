package ocilocal_test

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

func TestFingerprintIsMD5OfDER(t *testing.T) {
	der, err := x509.MarshalPKIXPublicKey(&ocilocaltest.Key().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(der)
	var pairs []string
	for _, b := range sum {
		pairs = append(pairs, hex.EncodeToString([]byte{b}))
	}
	got, err := ocilocal.Fingerprint(&ocilocaltest.Key().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Join(pairs, ":"), got); diff != "" {
		t.Errorf("fingerprint (-want +got):\n%s", diff)
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	k := ocilocaltest.Key()
	pkix, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	for name, block := range map[string]*pem.Block{
		"PKIX public":    {Type: "PUBLIC KEY", Bytes: pkix},
		"PKCS1 public":   {Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)},
		"PKCS1 private":  {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)},
		"PKCS8 private":  {Type: "PRIVATE KEY", Bytes: pkcs8},
		"after a header": {Type: "PRIVATE KEY", Bytes: pkcs8, Headers: map[string]string{"Comment": "x"}},
	} {
		pub, err := ocilocal.ParsePublicKeyPEM(pem.EncodeToMemory(block))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !pub.Equal(&k.PublicKey) {
			t.Errorf("%s: a different key came out", name)
		}
	}
	if _, err := ocilocal.ParsePublicKeyPEM([]byte("not a key")); err == nil {
		t.Error("garbage parsed as a key")
	}
}

func TestWriteConfig(t *testing.T) {
	dir := t.TempDir()
	path, err := ocilocal.WriteConfig(dir, ocilocaltest.Key(), ocilocal.Profile{Name: "LOCAL"})
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := ocilocal.Fingerprint(&ocilocaltest.Key().PublicKey)
	want := "[LOCAL]\nuser=" + ocilocal.DefaultUser + "\nfingerprint=" + fp + "\ntenancy=" + ocilocal.DefaultTenancy +
		"\nregion=" + ocilocal.DefaultRegion + "\nkey_file=" + filepath.Join(dir, "key.pem") + "\n"
	if diff := cmp.Diff(want, string(config)); diff != "" {
		t.Errorf("config file (-want +got):\n%s", diff)
	}
	pub, err := ocilocal.ReadPublicKeyFile(filepath.Join(dir, "key.pem"))
	if err != nil || !pub.Equal(&ocilocaltest.Key().PublicKey) {
		t.Errorf("key file does not hold the key: %v", err)
	}
	if _, err := ocilocal.WriteConfig(filepath.Join(dir, "a=b"), ocilocaltest.Key(), ocilocal.Profile{}); err == nil {
		t.Error("a key path with '=' was written into a config file the SDK would misread")
	}
}
