package report

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
)

// A report is signed by signing its root digest: the SHA-256 of a short
// statement that names the run and the SHA-256 of report.json, of the
// manifest (which names every ledger part's SHA-256) and of the run
// record. The signature, the statement and the public key go into
// attestation.json beside report.json; attest verify recomputes the
// statement from the files and checks the signature with a public key
// the auditor trusts, offline.

// AttestationSchema names the attestation format.
const AttestationSchema = "parityproof.attestation/v1"

// AttestationName is the signature file's name beside report.json.
const AttestationName = "attestation.json"

// Statement is what a report's signature covers.
type Statement struct {
	RunID          string
	ReportSHA256   string
	ManifestSHA256 string
	RecordSHA256   string
}

// Bytes is the statement's canonical text, which is signed.
func (s Statement) Bytes() []byte {
	return fmt.Appendf(nil, "%s\nrun_id %s\nreport.json sha256 %s\nmanifest.json sha256 %s\nrun.json sha256 %s\n",
		AttestationSchema, s.RunID, s.ReportSHA256, s.ManifestSHA256, s.RecordSHA256)
}

// Root is the statement's SHA-256, in hex: the report's root digest.
func (s Statement) Root() string {
	sum := sha256.Sum256(s.Bytes())
	return hex.EncodeToString(sum[:])
}

// Signature algorithms, as AWS KMS names them (ED25519 for local keys).
const (
	AlgED25519          = "ED25519"
	AlgECDSASHA256      = "ECDSA_SHA_256"
	AlgECDSASHA384      = "ECDSA_SHA_384"
	AlgECDSASHA512      = "ECDSA_SHA_512"
	AlgRSAPKCS1SHA256   = "RSASSA_PKCS1_V1_5_SHA_256"
	AlgRSAPSSSHA256     = "RSASSA_PSS_SHA_256"
	attestationMaxBytes = 1 << 20
)

// Signature is a signature of a statement and the key that made it.
type Signature struct {
	// Algorithm is one of the Alg constants.
	Algorithm string
	// KeyID names the key: a KMS key's ARN, or "ed25519:" and its
	// fingerprint for a local key.
	KeyID string
	// PublicKey is the key's public half, DER (PKIX).
	PublicKey []byte
	Value     []byte
}

// Signer signs statements. Implementations: NewEd25519Signer (a local
// key); internal/run's KMS signer.
type Signer interface {
	Sign(ctx context.Context, message []byte) (Signature, error)
}

// Attestation is attestation.json.
type Attestation struct {
	Schema string `json:"schema"`
	RunID  string `json:"run_id"`
	// Statement is the text that was signed; Root its SHA-256.
	Statement string         `json:"statement"`
	Root      string         `json:"root_sha256"`
	Key       AttestationKey `json:"key"`
	// Signature is the signature of Statement, base64.
	Signature []byte `json:"signature"`
}

// AttestationKey is the signing key's public half.
type AttestationKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	// PublicKey is DER (PKIX), base64; Fingerprint its SHA-256 in hex.
	PublicKey   []byte `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}

// Fingerprint is the SHA-256 of a DER public key, in hex.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Sign signs st and returns attestation.json's content.
func Sign(ctx context.Context, s Signer, st Statement) ([]byte, error) {
	msg := st.Bytes()
	sig, err := s.Sign(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("signing the report of run %s: %w", st.RunID, err)
	}
	// A signer that cannot be checked must not publish.
	if err := VerifySignature(sig.Algorithm, sig.PublicKey, msg, sig.Value); err != nil {
		return nil, fmt.Errorf("signing the report of run %s: the signature made by %s does not verify with its public key: %w", st.RunID, sig.KeyID, err)
	}
	a := Attestation{
		Schema: AttestationSchema, RunID: st.RunID, Statement: string(msg), Root: st.Root(),
		Key:       AttestationKey{ID: sig.KeyID, Algorithm: sig.Algorithm, PublicKey: sig.PublicKey, Fingerprint: Fingerprint(sig.PublicKey)},
		Signature: sig.Value,
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// DecodeAttestation decodes attestation.json strictly.
func DecodeAttestation(b []byte) (*Attestation, error) {
	if len(b) > attestationMaxBytes {
		return nil, fmt.Errorf("not an attestation: %d bytes", len(b))
	}
	var a Attestation
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not an attestation: %w", err)
	}
	if a.Schema != AttestationSchema {
		return nil, fmt.Errorf("not an attestation: schema %q, want %q", a.Schema, AttestationSchema)
	}
	return &a, nil
}

// VerifySignature checks sig, made with algorithm alg by the key whose
// public half is der (PKIX), over message.
func VerifySignature(alg string, der, message, sig []byte) error {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("the public key: %w", err)
	}
	digest := func(h hash.Hash) []byte { h.Write(message); return h.Sum(nil) }
	switch alg {
	case AlgED25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || !ed25519.Verify(k, message, sig) {
			return errBadSignature(alg, ok)
		}
	case AlgECDSASHA256, AlgECDSASHA384, AlgECDSASHA512:
		k, ok := pub.(*ecdsa.PublicKey)
		h := map[string]func() hash.Hash{AlgECDSASHA256: sha256.New, AlgECDSASHA384: sha512.New384, AlgECDSASHA512: sha512.New}[alg]
		if !ok || !ecdsa.VerifyASN1(k, digest(h()), sig) {
			return errBadSignature(alg, ok)
		}
	case AlgRSAPKCS1SHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || rsa.VerifyPKCS1v15(k, crypto.SHA256, digest(sha256.New()), sig) != nil {
			return errBadSignature(alg, ok)
		}
	case AlgRSAPSSSHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || rsa.VerifyPSS(k, crypto.SHA256, digest(sha256.New()), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) != nil {
			return errBadSignature(alg, ok)
		}
	default:
		return fmt.Errorf("unknown signature algorithm %q", alg)
	}
	return nil
}

func errBadSignature(alg string, keyFits bool) error {
	if !keyFits {
		return fmt.Errorf("the key is not one %s signs with", alg)
	}
	return errors.New("the signature does not verify")
}

// ParsePublicKey reads a public key from PEM ("PUBLIC KEY", PKIX, as
// openssl pkey -pubout and parityproof attest public-key write it), or
// derives it from an Ed25519 private key (PKCS#8 PEM), and returns it DER.
func ParsePublicKey(b []byte) ([]byte, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM PUBLIC KEY block")
		}
		switch blk.Type {
		case "PUBLIC KEY":
			if _, err := x509.ParsePKIXPublicKey(blk.Bytes); err != nil {
				return nil, fmt.Errorf("the PUBLIC KEY block: %w", err)
			}
			return blk.Bytes, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the PRIVATE KEY block: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, errors.New("the PRIVATE KEY block holds no signing key")
			}
			return x509.MarshalPKIXPublicKey(s.Public())
		}
	}
}

// PublicKeyPEM encodes a DER public key as PEM.
func PublicKeyPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ed25519Signer signs with a local Ed25519 key.
type ed25519Signer struct {
	key ed25519.PrivateKey
	der []byte
}

// NewEd25519Signer reads the Ed25519 private key (PKCS#8 PEM, as
// "openssl genpkey -algorithm ed25519" writes it) in the file path.
func NewEd25519Signer(path string) (Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("the signing key %s is not a PEM PRIVATE KEY (PKCS#8)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the signing key %s is a %T, not an Ed25519 key", path, k)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &ed25519Signer{key: priv, der: der}, nil
}

func (s *ed25519Signer) Sign(_ context.Context, message []byte) (Signature, error) {
	return Signature{Algorithm: AlgED25519, KeyID: "ed25519:" + Fingerprint(s.der)[:16], PublicKey: s.der, Value: ed25519.Sign(s.key, message)}, nil
}

// WriteEd25519Key writes a new Ed25519 private key (PKCS#8 PEM) to path,
// readable by its owner only, and returns its public key as PEM.
func WriteEd25519Key(path string) ([]byte, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	pder, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return PublicKeyPEM(pder), nil
}

// Statement is what signing r, whose report.json is js, covers.
func (r *Report) Statement(js []byte) Statement {
	sum := sha256.Sum256(js)
	return r.statement(hex.EncodeToString(sum[:]))
}

func (r *Report) statement(reportSHA256 string) Statement {
	return Statement{RunID: r.RunID, ReportSHA256: reportSHA256, ManifestSHA256: r.Ledger.SHA256, RecordSHA256: r.Ledger.RecordSHA256}
}
