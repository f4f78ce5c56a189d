package ocikey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ocikey"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func encode(blocks ...*pem.Block) []byte {
	var b []byte
	for _, block := range blocks {
		b = append(b, pem.EncodeToMemory(block)...)
	}
	return b
}

// keyBlocks are PEM blocks of testKey in every form OCI keys come in.
func keyBlocks(t *testing.T) map[string]*pem.Block {
	t.Helper()
	k := testKey()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*pem.Block{
		"PKCS1 private": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)},
		"PKCS8 private": {Type: "PRIVATE KEY", Bytes: pkcs8},
		"PKIX public":   {Type: "PUBLIC KEY", Bytes: pkix},
		"PKCS1 public":  {Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)},
	}
}

// Blocks that are no usable key, and what parsing them says.
func badBlocks(t *testing.T) map[string]struct {
	block *pem.Block
	err   error  // wrapped, or nil
	says  string // part of the message
} {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		block *pem.Block
		err   error
		says  string
	}{
		"PKCS8 encrypted":  {&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}, ocikey.ErrEncrypted, "encrypted"},
		"legacy encrypted": {&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: []byte{1}}, ocikey.ErrEncrypted, "encrypted"},
		"EC private":       {&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}, nil, "ecdsa"},
		"broken PKCS1":     {&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("hunter2")}, nil, "PKCS #1"},
		"broken PKCS8":     {&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("hunter2")}, nil, "PKCS #8"},
	}
}

func TestParsePrivate(t *testing.T) {
	blocks := keyBlocks(t)
	certificate := &pem.Block{Type: "CERTIFICATE", Bytes: []byte("not a key")}
	for _, name := range []string{"PKCS1 private", "PKCS8 private"} {
		for _, data := range [][]byte{encode(blocks[name]), encode(certificate, blocks["PKIX public"], blocks[name])} {
			got, err := ocikey.ParsePrivate(data)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if !got.Equal(testKey()) {
				t.Errorf("%s: a different key came out", name)
			}
		}
	}
	for name, data := range map[string][]byte{
		"garbage":     []byte("hunter2"),
		"only public": encode(blocks["PKIX public"], blocks["PKCS1 public"]),
		"empty":       nil,
		"only a cert": encode(certificate),
	} {
		if _, err := ocikey.ParsePrivate(data); !errors.Is(err, ocikey.ErrNoPrivateKey) {
			t.Errorf("%s: got %v, want ErrNoPrivateKey", name, err)
		}
	}
	for name, tc := range badBlocks(t) {
		_, err := ocikey.ParsePrivate(encode(tc.block))
		checkBad(t, name, err, tc.err, tc.says)
	}
}

func TestParsePublic(t *testing.T) {
	blocks := keyBlocks(t)
	for name, block := range blocks {
		got, err := ocikey.ParsePublic(encode(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("x")}, block))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Equal(&testKey().PublicKey) {
			t.Errorf("%s: a different key came out", name)
		}
	}
	if _, err := ocikey.ParsePublic([]byte("hunter2")); !errors.Is(err, ocikey.ErrNoKey) {
		t.Errorf("garbage: got %v, want ErrNoKey", err)
	}
	for name, tc := range badBlocks(t) {
		_, err := ocikey.ParsePublic(encode(tc.block))
		checkBad(t, name, err, tc.err, tc.says)
	}
}

func checkBad(t *testing.T, name string, err, want error, says string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: parsed", name)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: got %v, want %v", name, err, want)
	case !strings.Contains(err.Error(), says):
		t.Errorf("%s: error %q does not say %q", name, err, says)
	case strings.Contains(err.Error(), "hunter2"):
		t.Errorf("%s: error %q quotes the data", name, err)
	}
}

// The fingerprint of testdata/public-pkix.pem, as
// `openssl rsa -pubin -in testdata/public-pkix.pem -outform DER | openssl md5 -c` prints it.
const opensslFingerprint = "6d:ce:c8:26:18:d7:29:be:bd:cf:d4:83:15:25:82:2b"

func TestFingerprintIsOpenSSLs(t *testing.T) {
	for _, file := range []string{"testdata/public-pkix.pem", "testdata/public-pkcs1.pem"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ocikey.ParsePublic(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ocikey.Fingerprint(pub)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(opensslFingerprint, got); diff != "" {
			t.Errorf("%s: fingerprint (-want +got):\n%s", file, diff)
		}
	}
}
