package ocilocal

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parityproof/parityproof/internal/ocikey"
)

// Default identities written by [WriteConfig] when a [Profile] leaves them
// empty. ocilocal accepts any tenancy and user: only the key matters.
const (
	DefaultTenancy = "ocid1.tenancy.oc1..ocilocal"
	DefaultUser    = "ocid1.user.oc1..ocilocal"
	DefaultRegion  = "us-ashburn-1"
)

// Fingerprint returns the OCI fingerprint of a public key: the MD5 of its
// DER (PKIX) encoding as colon-separated lowercase hex pairs, which is what
// the OCI console shows and what `openssl rsa -pubout -outform DER | openssl
// md5 -c` prints. It is the last part of a request signature's keyId.
func Fingerprint(pub *rsa.PublicKey) (string, error) { return ocikey.Fingerprint(pub) }

// ParsePublicKeyPEM returns the RSA public key in PEM data: a public key
// (PKIX or PKCS#1) or an unencrypted private key (PKCS#1 or PKCS#8), whose
// public half is taken. The first PEM block that holds a key is used.
func ParsePublicKeyPEM(data []byte) (*rsa.PublicKey, error) {
	pub, err := ocikey.ParsePublic(data)
	if errors.Is(err, ocikey.ErrEncrypted) {
		return nil, fmt.Errorf("%w: give ocilocal the public key instead (openssl rsa -pubout)", err)
	}
	return pub, err
}

// ParsePrivateKeyPEM returns the unencrypted RSA private key (PKCS#1 or
// PKCS#8) in PEM data.
func ParsePrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) { return ocikey.ParsePrivate(data) }

// ReadPublicKeyFile reads a PEM file with [ParsePublicKeyPEM].
func ReadPublicKeyFile(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return pub, nil
}

// GenerateKey returns a new 2048-bit RSA key, the size OCI requires for API
// signing keys.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating RSA key: %w", err)
	}
	return k, nil
}

// Profile is one profile of an OCI configuration file that points the OCI
// SDK or CLI at a key ocilocal accepts. Empty fields take defaults.
type Profile struct {
	// Name is the profile name, "DEFAULT" when empty.
	Name string
	// Tenancy and User are the OCIDs signed into the keyId; ocilocal does not
	// check them.
	Tenancy string
	User    string
	// Region is the profile's region, [DefaultRegion] when empty.
	Region string
	// Fingerprint overrides the key's fingerprint; tests use it to sign with
	// one key while claiming another.
	Fingerprint string
}

// WriteConfig writes key as key.pem (mode 0600) and an OCI configuration file
// named config with profile p into dir, and returns the configuration file's
// path. Point the SDK at it with common.ConfigurationProviderFromFileWithProfile
// and the CLI with --config-file.
func WriteConfig(dir string, key *rsa.PrivateKey, p Profile) (string, error) {
	if p.Name == "" {
		p.Name = "DEFAULT"
	}
	if p.Tenancy == "" {
		p.Tenancy = DefaultTenancy
	}
	if p.User == "" {
		p.User = DefaultUser
	}
	if p.Region == "" {
		p.Region = DefaultRegion
	}
	if p.Fingerprint == "" {
		fp, err := Fingerprint(&key.PublicKey)
		if err != nil {
			return "", err
		}
		p.Fingerprint = fp
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	keyPath, err := filepath.Abs(filepath.Join(dir, "key.pem"))
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(keyPath, "=\n") {
		// The SDK splits config lines at every "=" and keeps the second
		// piece, so such a key_file would be read truncated.
		return "", fmt.Errorf("key path %q contains '=' or a newline, which OCI config files cannot hold", keyPath)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return "", fmt.Errorf("writing key: %w", err)
	}
	config := fmt.Sprintf("[%s]\nuser=%s\nfingerprint=%s\ntenancy=%s\nregion=%s\nkey_file=%s\n",
		p.Name, p.User, p.Fingerprint, p.Tenancy, p.Region, keyPath)
	configPath := filepath.Join(dir, "config")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return "", fmt.Errorf("writing OCI config: %w", err)
	}
	return configPath, nil
}
