package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// Fetcher opens a URL a report names (file://, s3://, oci://).
type Fetcher func(ctx context.Context, u string) (io.ReadCloser, error)

// FetchFile opens file:// URLs, and plain paths.
func FetchFile(ctx context.Context, u string) (io.ReadCloser, error) {
	p := u
	if strings.HasPrefix(u, "file://") {
		pu, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("%q is not a URL: %w", u, err)
		}
		p = pu.Path
	} else if strings.Contains(u, "://") {
		return nil, fmt.Errorf("%q: only file:// locations can be read here", u)
	}
	return os.Open(p)
}

// Check is one step of an attestation, for the command's output.
type Check struct {
	What string
	OK   bool
	// Problem says what does not hold, when OK is false.
	Problem string
}

// Attest recomputes a report's evidence: the manifest's SHA-256, every
// ledger file's SHA-256 and entry count, and the report's counts and
// exceptions from the ledger entries. It returns the checks made, stopping
// at the first that fails, and an error naming it.
func Attest(ctx context.Context, fetch Fetcher, reportURL string) ([]Check, error) {
	var checks []Check
	fail := func(what, problem string) ([]Check, error) {
		checks = append(checks, Check{What: what, Problem: problem})
		return checks, fmt.Errorf("%s: %s", what, problem)
	}
	ok := func(what string) { checks = append(checks, Check{What: what, OK: true}) }

	raw, err := readAll(ctx, fetch, reportURL)
	if err != nil {
		return fail(reportURL, err.Error())
	}
	var rep Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return fail(reportURL, "not a parityproof report: "+err.Error())
	}
	if rep.Schema != Schema {
		return fail(reportURL, fmt.Sprintf("schema %q, want %q", rep.Schema, Schema))
	}
	mb, err := readAll(ctx, fetch, rep.Ledger.Manifest)
	if err != nil {
		return fail(rep.Ledger.Manifest, err.Error())
	}
	if got := ledger.ManifestDigest(mb); got != rep.Ledger.SHA256 {
		return fail(rep.Ledger.Manifest, fmt.Sprintf("SHA-256 is %s, the report says %s", got, rep.Ledger.SHA256))
	}
	m, err := ledger.DecodeManifest(mb, rep.Ledger.Manifest)
	if err != nil {
		return fail(rep.Ledger.Manifest, err.Error())
	}
	ok("manifest " + rep.Ledger.Manifest + " sha256 " + rep.Ledger.SHA256)

	runDir := rep.Ledger.Manifest[:strings.LastIndexByte(rep.Ledger.Manifest, '/')+1]
	total := ledger.NewTally()
	var exceptions []Exception
	recount := map[string]ledger.Tally{}
	for _, mp := range m.Pairs {
		t := ledger.NewTally()
		for _, s := range mp.Shards {
			for _, f := range s.Files {
				u := runDir + path.Clean(f.Path)
				n, sum, err := readLedger(ctx, fetch, u, func(e *ledger.Entry) {
					t.Add(e)
					if e.Verdict.IsException() {
						exceptions = append(exceptions, Exception{Pair: mp.Name, Key: e.Key, Verdict: e.Verdict})
					}
				})
				if err != nil {
					return fail(u, err.Error())
				}
				if sum != f.SHA256 {
					return fail(u, fmt.Sprintf("SHA-256 is %s, the manifest says %s", sum, f.SHA256))
				}
				if n != f.Entries {
					return fail(u, fmt.Sprintf("%d entries, the manifest says %d", n, f.Entries))
				}
				ok(fmt.Sprintf("ledger %s sha256 %s (%d entries)", u, sum, n))
			}
		}
		recount[mp.Name] = t
		total.Merge(t)
	}

	// The report's numbers must be the ledger's.
	if rep.Totals.Objects != total.Objects || rep.Totals.Bytes != total.Bytes {
		return fail(reportURL, fmt.Sprintf("totals say %d objects and %d bytes, the ledger %d and %d", rep.Totals.Objects, rep.Totals.Bytes, total.Objects, total.Bytes))
	}
	if d := diffCounts(rep.Totals.Verdicts, total.Verdicts()); d != "" {
		return fail(reportURL, "total verdicts differ from the ledger's: "+d)
	}
	if len(rep.Pairs) != len(recount) {
		return fail(reportURL, fmt.Sprintf("%d pairs, the ledger has %d", len(rep.Pairs), len(recount)))
	}
	for _, p := range rep.Pairs {
		t, found := recount[p.Name]
		if !found {
			return fail(reportURL, fmt.Sprintf("pair %q is not in the ledger", p.Name))
		}
		if d := diffCounts(p.Verdicts, t.Verdicts()); d != "" {
			return fail(reportURL, fmt.Sprintf("pair %s: verdicts differ from the ledger's: %s", p.Name, d))
		}
		if d := diffCounts(p.Bytes, t.VerdictBytes()); d != "" {
			return fail(reportURL, fmt.Sprintf("pair %s: bytes differ from the ledger's: %s", p.Name, d))
		}
		switch bv := t.BaselineVerdicts(); {
		case p.Baseline == nil && bv != nil:
			return fail(reportURL, fmt.Sprintf("pair %s: the report says nothing of baselines, the ledger judged keys from them", p.Name))
		case p.Baseline != nil && bv != nil:
			if d := diffCounts(p.Baseline.Verdicts, bv); d != "" {
				return fail(reportURL, fmt.Sprintf("pair %s: the verdicts judged from baselines differ from the ledger's: %s", p.Name, d))
			}
		case p.Baseline != nil:
			if d := diffCounts(p.Baseline.Verdicts, zeroVerdicts()); d != "" {
				return fail(reportURL, fmt.Sprintf("pair %s: the verdicts judged from baselines differ from the ledger's: %s", p.Name, d))
			}
		}
		attested, _ := attestation(&PairReport{Name: p.Name, Objects: t.Objects, Verdicts: t.Verdicts()}, rep.Complete)
		if attested != p.Attested {
			return fail(reportURL, fmt.Sprintf("pair %s: the report says attested=%v, the ledger says %v", p.Name, p.Attested, attested))
		}
	}
	type key struct {
		Pair, Key string
		Verdict   ledger.Verdict
	}
	var got, want []key
	for _, x := range rep.Exceptions {
		got = append(got, key{x.Pair, x.Key, x.Verdict})
	}
	for _, x := range exceptions {
		want = append(want, key{x.Pair, x.Key, x.Verdict})
	}
	if !slices.Equal(want, got) {
		return fail(reportURL, fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s)", len(got), len(want), firstDifference(want, got)))
	}
	ok(fmt.Sprintf("report %s: totals, %d pairs and %d exceptions match the ledger", reportURL, len(rep.Pairs), len(exceptions)))
	return checks, nil
}

// diffCounts names the verdicts whose counts differ, "" if none do.
func diffCounts(report, led map[ledger.Verdict]int64) string {
	var d []string
	for _, v := range ledger.Verdicts {
		if report[v] != led[v] {
			d = append(d, fmt.Sprintf("%s: report %d, ledger %d", v, report[v], led[v]))
		}
	}
	if len(report) != len(ledger.Verdicts) {
		d = append(d, fmt.Sprintf("the report lists %d verdicts, not %d", len(report), len(ledger.Verdicts)))
	}
	return strings.Join(d, "; ")
}

func firstDifference[T comparable](a, b []T) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%+v in the ledger, %+v in the report", a[i], b[i])
		}
	}
	if len(a) > len(b) {
		return fmt.Sprintf("%+v, missing from the report", a[len(b)])
	}
	return fmt.Sprintf("%+v, not in the ledger", b[len(a)])
}

func readAll(ctx context.Context, fetch Fetcher, u string) ([]byte, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// readLedger reads a ledger file, returning its entry count and SHA-256.
func readLedger(ctx context.Context, fetch Fetcher, u string, fn func(*ledger.Entry)) (int64, string, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := sha256.New()
	lr, err := ledger.NewReader(io.TeeReader(rc, h), u)
	if err != nil {
		return 0, "", err
	}
	var n int64
	for {
		e, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, "", err
		}
		n++
		fn(e)
	}
	if _, err := io.Copy(h, rc); err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
