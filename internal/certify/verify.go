package certify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// Fetcher opens a URL a certificate names (file://, s3://, oci://).
type Fetcher func(ctx context.Context, u string) (io.ReadCloser, error)

// Check is one step of a verification, for the command's output.
type Check struct {
	What string
	OK   bool
	// Problem says what does not hold, when OK is false.
	Problem string
}

// IsCertificate reports whether r holds a certificate rather than a
// report: attest verify takes either. It reads r only up to the
// document's "schema" field, which both write first: a report's
// exceptions after it are not read.
func IsCertificate(r io.Reader) bool {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		if name, _ := t.(string); strings.EqualFold(name, "schema") {
			var schema string
			return dec.Decode(&schema) == nil && schema == Schema
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// Verify recomputes a certificate from the evidence alone: every run's
// manifest against its SHA-256, the ledger parts the manifest says cover
// the subject against theirs (no more and no fewer than the certificate
// names), and every object, proof, count and the statement from the
// entries of those parts. It returns the checks made, stopping at the
// first that fails, and an error naming it.
func Verify(ctx context.Context, fetch Fetcher, certURL string) ([]Check, error) {
	var checks []Check
	fail := func(what, problem string) ([]Check, error) {
		checks = append(checks, Check{What: what, Problem: problem})
		return checks, fmt.Errorf("%s: %s", what, problem)
	}
	ok := func(what string) { checks = append(checks, Check{What: what, OK: true}) }

	raw, err := readAll(ctx, fetch, certURL)
	if err != nil {
		return fail(certURL, err.Error())
	}
	var c Certificate
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return fail(certURL, "not a parityproof certificate: "+err.Error())
	}
	if c.Schema != Schema {
		return fail(certURL, fmt.Sprintf("schema %q, want %q", c.Schema, Schema))
	}
	var runs []runData
	for _, r := range c.Runs {
		mb, err := readAll(ctx, fetch, r.Manifest)
		if err != nil {
			return fail(r.Manifest, err.Error())
		}
		if got := ledger.ManifestDigest(mb); got != r.SHA256 {
			return fail(r.Manifest, fmt.Sprintf("SHA-256 is %s, the certificate says %s", got, r.SHA256))
		}
		m, err := ledger.DecodeManifest(mb, r.Manifest)
		if err != nil {
			return fail(r.Manifest, err.Error())
		}
		ok(fmt.Sprintf("run %s: manifest %s sha256 %s", r.RunID, r.Manifest, r.SHA256))
		want := partsFor(m, c.Subject)
		if d := diffParts(want, r.Parts); d != "" {
			return fail(r.Manifest, "the ledger parts covering "+c.Subject.String()+" are not those the certificate names: "+d)
		}
		rd := runData{ref: r, entries: map[objectID]*ledger.Entry{}}
		for _, mp := range m.Pairs {
			rd.pairs = append(rd.pairs, mp.Name)
		}
		runDir := r.Manifest[:strings.LastIndexByte(r.Manifest, '/')+1]
		for _, p := range r.Parts {
			u := runDir + path.Clean(p.Path)
			if p.URL != u {
				return fail(p.URL, fmt.Sprintf("the part is at %s beside its manifest", u))
			}
			n, sum, err := readPart(ctx, fetch, u, func(e *ledger.Entry) {
				if c.Subject.Holds(e.Key) {
					ec := e.Clone()
					rd.entries[objectID{p.Pair, e.Key}] = &ec
				}
			})
			if err != nil {
				return fail(u, err.Error())
			}
			if sum != p.SHA256 || n != p.Entries {
				return fail(u, fmt.Sprintf("%d entries with SHA-256 %s, the manifest says %d with %s", n, sum, p.Entries, p.SHA256))
			}
			ok(fmt.Sprintf("ledger %s sha256 %s (%d entries)", u, sum, n))
		}
		runs = append(runs, rd)
	}
	again := Certificate{Schema: c.Schema, Subject: c.Subject, IssuedAt: c.IssuedAt, ToolVersion: c.ToolVersion, State: c.State}
	assemble(&again, runs)
	if d := firstDifference(&again, &c); d != "" {
		return fail(certURL, "it differs from what the ledgers say: "+d)
	}
	verdict := "not certified"
	if c.Certified {
		verdict = "certified"
	}
	ok(fmt.Sprintf("certificate %s: %d objects, their proofs and the statement (%s) match the ledgers", certURL, len(c.Objects), verdict))
	return checks, nil
}

func diffParts(want, got []PartRef) string {
	key := func(p PartRef) string { return p.Pair + " " + p.Path + " " + p.SHA256 }
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return "it leaves out " + want[i].Path
		case i >= len(want):
			return "it names " + got[i].Path + " too"
		case key(want[i]) != key(got[i]) || want[i].Entries != got[i].Entries || want[i].First != got[i].First || want[i].Last != got[i].Last:
			return fmt.Sprintf("the manifest lists %s (sha256 %s), the certificate %s (sha256 %s)", want[i].Path, want[i].SHA256, got[i].Path, got[i].SHA256)
		}
	}
	return ""
}

// firstDifference compares the recomputed certificate with the one given,
// and names the first difference, "" if none.
func firstDifference(want, got *Certificate) string {
	if want.Certified != got.Certified {
		return fmt.Sprintf("it says certified=%v, the ledgers %v", got.Certified, want.Certified)
	}
	if want.Statement != got.Statement {
		return fmt.Sprintf("its statement %q, the ledgers' %q", got.Statement, want.Statement)
	}
	if len(want.Objects) != len(got.Objects) {
		return fmt.Sprintf("%d objects, the ledgers hold %d", len(got.Objects), len(want.Objects))
	}
	for i := range want.Objects {
		a, _ := json.Marshal(want.Objects[i])
		b, _ := json.Marshal(got.Objects[i])
		if !bytes.Equal(a, b) {
			return fmt.Sprintf("object %s of pair %s: %s, the ledgers say %s", got.Objects[i].Key, got.Objects[i].Pair, b, a)
		}
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		return "its counts, reasons or runs"
	}
	return ""
}

func readAll(ctx context.Context, fetch Fetcher, u string) ([]byte, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// readPart reads a ledger part, returning its entry count and SHA-256.
func readPart(ctx context.Context, fetch Fetcher, u string, fn func(*ledger.Entry)) (int64, string, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	return ledger.ReadFile(rc, u, func(e *ledger.Entry) error { fn(e); return nil })
}
