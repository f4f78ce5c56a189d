package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// signedDemo publishes the demo's last report signed with a new Ed25519
// key, and returns the report, where the state and reports are, and the
// key's public half (DER).
func signedDemo(t *testing.T) (rep *Report, dir string, st *storage.Dir, reports *storage.Dir, pub []byte) {
	t.Helper()
	dir = t.TempDir()
	var err error
	if st, err = storage.NewDir(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	if reports, err = storage.NewDir(filepath.Join(dir, "reports")); err != nil {
		t.Fatal(err)
	}
	d := newDemo(t, st, reports)
	rep = d.lifeCycle()
	signer, pub := newKey(t, filepath.Join(dir, "signing.pem"))
	if _, err := Publish(context.Background(), reports, rep, SignWith(signer)); err != nil {
		t.Fatal(err)
	}
	return rep, dir, st, reports, pub
}

// newKey writes a new Ed25519 key to keyFile and returns a signer with
// it and its public key (DER).
func newKey(t *testing.T, keyFile string) (Signer, []byte) {
	t.Helper()
	pem, err := WriteEd25519Key(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewEd25519Signer(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return signer, pub
}

func attestFile(t *testing.T, path string, o AttestOptions) ([]Check, error) {
	t.Helper()
	return AttestWith(context.Background(), FetchFile, path, o)
}

// exportBundle writes the bundle of the run into a new folder and returns
// the folder.
func exportBundle(t *testing.T, st *storage.Dir, reports *storage.Dir, runID, dir string) string {
	t.Helper()
	dest, err := storage.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ExportBundle(context.Background(), state.New(st), reports, runID, dest)
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Fatalf("the bundle holds %d files", n)
	}
	return dir
}

// The live report, signed: every digest, the run record and the
// signature hold, with the trusted key.
func TestAttestSignedLiveReport(t *testing.T) {
	rep, _, _, reports, pub := signedDemo(t)
	checks, err := attestFile(t, reports.Path(rep.RunID+"/report.json"), AttestOptions{PublicKey: pub})
	if err != nil {
		t.Fatalf("%v\n%+v", err, checks)
	}
	var sawRecord, sawSignature bool
	for _, c := range checks {
		sawRecord = sawRecord || strings.HasPrefix(c.What, "run record ") && c.OK
		sawSignature = sawSignature || strings.HasSuffix(c.What, ": the trusted key") && c.OK && c.Note == ""
	}
	if !sawRecord || !sawSignature {
		t.Errorf("the checks do not cover the run record (%v) and the signature (%v): %+v", sawRecord, sawSignature, checks)
	}
	// Without a trusted key, the signature is checked with its own key,
	// and the output says so.
	checks, err = attestFile(t, reports.Path(rep.RunID+"/report.json"), AttestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if last := checks[len(checks)-1]; !strings.Contains(last.Note, "not with a key you trust") {
		t.Errorf("the last check of a signature with no trusted key: %+v", last)
	}
}

// A bundle moved anywhere — the live state gone — holds, and is checked
// where it is.
func TestAttestMovedBundle(t *testing.T) {
	rep, dir, st, reports, pub := signedDemo(t)
	bundle := exportBundle(t, st, reports, rep.RunID, filepath.Join(dir, "bundle"))
	moved := filepath.Join(t.TempDir(), "elsewhere", "audit-2026")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bundle, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	checks, err := attestFile(t, filepath.Join(moved, "report.json"), AttestOptions{PublicKey: pub})
	if err != nil {
		t.Fatalf("the moved bundle: %v", err)
	}
	for _, c := range checks {
		if strings.Contains(c.What, filepath.Join(dir, "state")) {
			t.Errorf("a check of the moved bundle reads the original state: %s", c.What)
		}
	}
}

// A copied bundle with one byte flipped in each kind of file is caught,
// naming the copy's file — never checked against the originals, which
// still hold.
func TestAttestFlippedByteInACopiedBundle(t *testing.T) {
	rep, dir, st, reports, pub := signedDemo(t)
	m, _, err := state.New(st).ReadManifest(context.Background(), rep.RunID)
	if err != nil {
		t.Fatal(err)
	}
	part := BundleRun + m.Pairs[0].Shards[0].Files[0].Path
	for _, tc := range []struct {
		name, file, names string
	}{
		{"ledger part", part, part},
		{"manifest", BundleRun + "manifest.json", BundleRun + "manifest.json"},
		{"run record", BundleRun + "run.json", BundleRun + "run.json"},
		{"report.json", "report.json", "report.json"},
		{"attestation", AttestationName, AttestationName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := exportBundle(t, st, reports, rep.RunID, filepath.Join(t.TempDir(), "copy"))
			flipByte(t, filepath.Join(bundle, tc.file))
			checks, err := attestFile(t, filepath.Join(bundle, "report.json"), AttestOptions{PublicKey: pub})
			if !errors.Is(err, ErrDoesNotHold) {
				t.Fatalf("a flipped byte in %s: %v, want the report not to hold", tc.file, err)
			}
			last := checks[len(checks)-1]
			if last.OK || !strings.Contains(last.What, filepath.Join(bundle, tc.names)) && !strings.Contains(last.What, bundle) {
				t.Errorf("the failing check %+v does not name the copy's %s", last, tc.names)
			}
			if strings.Contains(err.Error(), filepath.Join(dir, "state")) {
				t.Errorf("the error names the original state: %v", err)
			}
		})
	}
	// The originals still hold.
	if _, err := attestFile(t, reports.Path(rep.RunID+"/report.json"), AttestOptions{PublicKey: pub}); err != nil {
		t.Errorf("the original report: %v", err)
	}
}

// flipByte flips one bit of a byte in the middle of the file at path, in
// a place that keeps JSON files JSON (a hex digit of a digest, or a letter)
// where it can.
func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := len(b) / 2
	if strings.HasSuffix(path, ".json") {
		for ; i < len(b); i++ {
			if c := b[i]; c >= 'a' && c <= 'f' || c >= 'g' && c <= 'z' {
				break
			}
		}
		b[i] ^= 0x01
		if b[i] == '"' || b[i] == '\\' {
			b[i] ^= 0x03
		}
	} else {
		b[i] ^= 0x01
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A forged report — the run record and report.json rewritten together,
// every digest recomputed — re-signed by another key: consistent in
// itself, so only the trusted key catches it.
func TestAttestForgedReportResigned(t *testing.T) {
	rep, dir, st, reports, pub := signedDemo(t)
	bundle := exportBundle(t, st, reports, rep.RunID, filepath.Join(dir, "forged"))
	// The forger claims another runner.
	recPath := filepath.Join(bundle, BundleRun, "run.json")
	rb, err := os.ReadFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	rb = bytes.ReplaceAll(rb, []byte("compliance-bot"), []byte("auditor-bot"))
	if err := os.WriteFile(recPath, rb, 0o644); err != nil {
		t.Fatal(err)
	}
	var forged Report
	rj, err := os.ReadFile(filepath.Join(bundle, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rj, &forged); err != nil {
		t.Fatal(err)
	}
	forged.RanBy.AWS.ARN = strings.ReplaceAll(forged.RanBy.AWS.ARN, "compliance-bot", "auditor-bot")
	forged.RanBy.OCI[0].User = strings.ReplaceAll(forged.RanBy.OCI[0].User, "compliance-bot", "auditor-bot")
	forged.Ledger.RecordSHA256 = sha256Hex(rb)
	js, err := forged.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "report.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	forger, _ := newKey(t, filepath.Join(dir, "forger.pem"))
	att, err := Sign(context.Background(), forger, forged.Statement(js))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, AttestationName), att, 0o644); err != nil {
		t.Fatal(err)
	}
	// Without the trusted key, the forgery is consistent; the output says
	// the signature was not checked against a trusted key.
	checks, err := attestFile(t, filepath.Join(bundle, "report.json"), AttestOptions{})
	if err != nil {
		t.Fatalf("the forgery is not even consistent: %v", err)
	}
	if last := checks[len(checks)-1]; last.Note == "" {
		t.Errorf("an untrusted signature passed without a note: %+v", last)
	}
	// With it, caught.
	_, err = attestFile(t, filepath.Join(bundle, "report.json"), AttestOptions{PublicKey: pub})
	if !errors.Is(err, ErrDoesNotHold) || !strings.Contains(err.Error(), "not by the trusted key") {
		t.Errorf("a report re-signed by another key: %v, want it refused as not signed by the trusted key", err)
	}
	// An unsigned report fails when a key is required.
	if err := os.Remove(filepath.Join(bundle, AttestationName)); err != nil {
		t.Fatal(err)
	}
	_, err = attestFile(t, filepath.Join(bundle, "report.json"), AttestOptions{PublicKey: pub})
	if !errors.Is(err, ErrDoesNotHold) || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("an unsigned report with a trusted key required: %v", err)
	}
}

// What is not a report is said to be so, not to fail its checks.
func TestAttestNotAReport(t *testing.T) {
	rep, dir, _, reports, _ := signedDemo(t)
	for _, path := range []string{
		filepath.Join(dir, "nothing-here.json"),
		reports.Path("latest.json"),
		reports.Path(rep.RunID + "/report.html"),
		reports.Path(rep.RunID + "/summary.md"),
		reports.Path(rep.RunID),
	} {
		if _, err := attestFile(t, path, AttestOptions{}); !errors.Is(err, ErrNotReport) {
			t.Errorf("attest of %s: %v, want ErrNotReport", path, err)
		}
	}
}
