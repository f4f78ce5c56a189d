// Package ocikey reads OCI API signing keys and computes their
// fingerprints. OCI API keys are RSA keys in PEM: the private half
// unencrypted as PKCS #1 ("RSA PRIVATE KEY") or PKCS #8 ("PRIVATE KEY"),
// the public half as PKIX ("PUBLIC KEY") or PKCS #1 ("RSA PUBLIC KEY").
// A key's fingerprint is what the OCI console shows, what a profile's
// fingerprint= says and the last part of a request signature's keyId.
package ocikey

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Errors the parsers return (wrapped or as they are); callers add advice.
var (
	// ErrNoPrivateKey: the data holds no PEM block with a private key.
	ErrNoPrivateKey = errors.New("no PEM-encoded RSA private key found")
	// ErrNoKey: the data holds no PEM block with a public or private key.
	ErrNoKey = errors.New("no PEM-encoded RSA key found")
	// ErrEncrypted: the key is encrypted with a passphrase, which neither
	// parityproof nor ocilocal asks for.
	ErrEncrypted = errors.New("the private key is encrypted")
)

// ParsePrivate returns the unencrypted RSA private key (PKCS #1 or
// PKCS #8) of the first PEM block in data that holds a private key. Its
// errors never quote data.
func ParsePrivate(data []byte) (*rsa.PrivateKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, ErrNoPrivateKey
		}
		if encrypted(block) {
			return nil, ErrEncrypted
		}
		switch block.Type {
		case "RSA PRIVATE KEY", "PRIVATE KEY":
			return privateBlock(block)
		}
	}
}

// ParsePublic returns the RSA public key of the first PEM block in data
// that holds a key: a public key (PKIX or PKCS #1), or an unencrypted
// private key (PKCS #1 or PKCS #8), whose public half is taken.
func ParsePublic(data []byte) (*rsa.PublicKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, ErrNoKey
		}
		if encrypted(block) {
			return nil, ErrEncrypted
		}
		switch block.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing the PKIX public key: %w", err)
			}
			pub, ok := k.(*rsa.PublicKey)
			if !ok {
				return nil, fmt.Errorf("the public key is %T, not RSA", k)
			}
			return pub, nil
		case "RSA PUBLIC KEY":
			pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing the PKCS #1 public key: %w", err)
			}
			return pub, nil
		case "RSA PRIVATE KEY", "PRIVATE KEY":
			priv, err := privateBlock(block)
			if err != nil {
				return nil, err
			}
			return &priv.PublicKey, nil
		}
	}
}

// encrypted reports whether block is an encrypted private key: PKCS #8
// ("ENCRYPTED PRIVATE KEY") or OpenSSL's legacy Proc-Type encryption.
func encrypted(block *pem.Block) bool {
	return strings.Contains(block.Type, "ENCRYPTED") || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED")
}

// privateBlock parses a PKCS #1 ("RSA PRIVATE KEY") or PKCS #8
// ("PRIVATE KEY") block holding an RSA private key.
func privateBlock(block *pem.Block) (*rsa.PrivateKey, error) {
	if block.Type == "RSA PRIVATE KEY" {
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing the PKCS #1 RSA private key: %w", err)
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the PKCS #8 private key: %w", err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the private key is %T; OCI API keys are RSA", k)
	}
	return priv, nil
}

// Fingerprint returns the OCI fingerprint of a public key: the MD5 of its
// DER (PKIX) encoding as colon-separated lowercase hex pairs, as `openssl
// rsa -pubout -outform DER | openssl md5 -c` prints it.
func Fingerprint(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding the public key: %w", err)
	}
	sum := md5.Sum(der)
	parts := make([]string, len(sum))
	for i := range sum {
		parts[i] = hex.EncodeToString(sum[i : i+1])
	}
	return strings.Join(parts, ":"), nil
}
