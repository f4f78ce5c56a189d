package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parityproof/parityproof/internal/report"
)

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A signed run's bundle, as an auditor receives it: moved anywhere, it
// holds with the public key alone; a copy with one flipped byte in a
// ledger part, the manifest, the run record or report.json does not (exit
// 1, naming the copy's file); a forgery re-signed by another key does not;
// what is not a report exits 2.
func TestBundleAttestation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal")
	}
	e := newE2E(t)
	for _, k := range []string{"a/1.bin", "a/2.bin", "b/1.bin", "b/2.bin", "c/1.bin"} {
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		e.putLegacy(e2eLegacySG, k, "content of "+k, "")
		if k != "c/1.bin" {
			e.putTarget(k, "content of "+k, false)
		}
	}
	dir := filepath.Join(e.dir, "signed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := report.WriteEd25519Key(filepath.Join(dir, "signing.pem")); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(dir, "signing: {key_file: ./signing.pem}\nrun: {checkpoint_every: 2}\n")
	if code, out, errOut := e.runCLI("2026-11-28T22:00:00Z", "run", "--quiet", "--config", cfg); code != 1 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	rep, live := readReport(t, dir)
	code, pemOut, errOut := e.runCLI("", "attest", "public-key", "--config", cfg)
	if code != 0 || !strings.Contains(pemOut, "BEGIN PUBLIC KEY") {
		t.Fatalf("attest public-key: exit %d\n%s\n%s", code, pemOut, errOut)
	}
	pub := filepath.Join(e.dir, "trusted.pem")
	if err := os.WriteFile(pub, []byte(pemOut), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := func(target string, extra ...string) (int, string) {
		t.Helper()
		code, out, errOut := e.runCLI("", append([]string{"attest", "verify", target}, extra...)...)
		return code, out + errOut
	}
	if code, out := verify(live, "--public-key", pub); code != 0 || !strings.Contains(out, "the trusted key") {
		t.Fatalf("the live report: exit %d\n%s", code, out)
	}

	bundle := filepath.Join(e.dir, "bundle")
	if code, out, errOut := e.runCLI("", "bundle", "--config", cfg, "--out", bundle); code != 0 {
		t.Fatalf("bundle: exit %d\n%s\n%s", code, out, errOut)
	}

	// Moved, with the live state gone.
	moved := filepath.Join(t.TempDir(), "auditor", "parityproof-"+rep.RunID)
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, bundle, moved)
	if err := os.Rename(filepath.Join(dir, "state"), filepath.Join(dir, "state-gone")); err != nil {
		t.Fatal(err)
	}
	code, out := verify(moved, "--public-key", pub)
	if code != 0 || !strings.Contains(out, "a run bundle: the evidence is read beside the report, in "+moved) || strings.Contains(out, filepath.Join(dir, "state")) {
		t.Errorf("the moved bundle: exit %d\n%s", code, out)
	}
	t.Logf("moved bundle: exit %d", code)

	// A copy with one flipped byte in each kind of file.
	var part string
	parts, _ := filepath.Glob(filepath.Join(moved, "run", "ledger", "*", "*", "part-*.jsonl.gz"))
	if len(parts) == 0 {
		t.Fatal("the bundle holds no ledger part")
	}
	part, _ = filepath.Rel(moved, parts[0])
	for _, file := range []string{part, "run/manifest.json", "run/run.json", "report.json"} {
		t.Run("flipped "+file, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "copy")
			copyTree(t, moved, cp)
			flipFileByte(t, filepath.Join(cp, file))
			code, out := verify(cp, "--public-key", pub)
			if code != 1 || !strings.Contains(out, "FAIL  "+filepath.Join(cp, file)) {
				t.Errorf("exit %d, want 1 naming %s\n%s", code, filepath.Join(cp, file), out)
			}
			t.Logf("a byte flipped in %s: exit %d", file, code)
		})
	}

	// A forgery: the run record and report.json rewritten together, the
	// record's digest recomputed, re-signed with another key.
	t.Run("forged and re-signed", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "forged")
		copyTree(t, moved, cp)
		recPath := filepath.Join(cp, "run", "run.json")
		rb, _ := os.ReadFile(recPath)
		rb = []byte(strings.Replace(string(rb), `"tool_version": "dev"`, `"tool_version": "v9.9.9"`, 1))
		if err := os.WriteFile(recPath, rb, 0o644); err != nil {
			t.Fatal(err)
		}
		var forged report.Report
		rj, _ := os.ReadFile(filepath.Join(cp, "report.json"))
		if err := json.Unmarshal(rj, &forged); err != nil {
			t.Fatal(err)
		}
		forged.ToolVersion = "v9.9.9"
		forged.Ledger.RecordSHA256 = sha256File(t, recPath)
		js, _ := forged.JSON()
		if err := os.WriteFile(filepath.Join(cp, "report.json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(t.TempDir(), "forger.pem")
		if _, err := report.WriteEd25519Key(keyFile); err != nil {
			t.Fatal(err)
		}
		forger, err := report.NewEd25519Signer(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		att, err := report.Sign(context.Background(), forger, forged.Statement(js))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, report.AttestationName), att, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := verify(cp, "--public-key", pub)
		if code != 1 || !strings.Contains(out, "not by the trusted key") {
			t.Errorf("exit %d, want 1: not signed by the trusted key\n%s", code, out)
		}
		t.Logf("forged, re-signed by another key: exit %d", code)
	})

	// What is not a report.
	for _, target := range []string{
		filepath.Join(dir, "reports", "latest.json"),
		filepath.Join(dir, "reports", rep.RunID, "report.html"),
		filepath.Join(dir, "nothing-here", "report.json"),
	} {
		if code, out := verify(target); code != 2 || !strings.Contains(out, "not a parityproof report") {
			t.Errorf("attest verify %s: exit %d, want 2\n%s", target, code, out)
		}
	}
}

func flipFileByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := len(b) / 2
	if strings.HasSuffix(path, ".json") {
		// A hex digit of a digest, or a letter: the file stays JSON.
		for ; i < len(b) && !(b[i] >= 'a' && b[i] <= 'z'); i++ {
		}
	}
	b[i] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
