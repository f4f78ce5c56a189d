package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// Fetcher opens a URL a report names (file://, s3://, oci://). A URL that
// names nothing is an error wrapping fs.ErrNotExist or
// storage.ErrNotExist.
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
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a folder: %w", p, fs.ErrNotExist)
	}
	return f, nil
}

// Errors of Attest beside "the report does not hold".
var (
	// ErrNotReport: what was named is not a parityproof report (nothing
	// is there, or something else is: latest.json, report.html, …).
	ErrNotReport = errors.New("not a parityproof report")
	// ErrUnreadable: evidence could not be read for a reason other than
	// its absence (a network error, a permission): trying again may do.
	ErrUnreadable = errors.New("the evidence could not be read")
	// ErrDoesNotHold: a digest, a count, the run record or the signature
	// does not match the report.
	ErrDoesNotHold = errors.New("the report does not hold")
)

// Check is one step of an attestation, for the command's output.
type Check struct {
	What string
	OK   bool
	// Problem says what does not hold, when OK is false.
	Problem string
	// Note is set for a step that passed with a caveat (a report that is
	// not signed, a report older than the run record's digest).
	Note string
}

// AttestOptions qualify AttestWith.
type AttestOptions struct {
	// PublicKey, DER (PKIX), is the key the report must be signed with
	// (ParsePublicKey reads one); nil checks a signature, if there is one,
	// with the key it names, and says it was not checked against a
	// trusted key.
	PublicKey []byte
}

// Attest is AttestWith without a trusted key.
func Attest(ctx context.Context, fetch Fetcher, reportURL string) ([]Check, error) {
	return AttestWith(ctx, fetch, reportURL, AttestOptions{})
}

// isNotExist reports whether err says that nothing is there.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, storage.ErrNotExist)
}

// AttestWith recomputes a report's evidence: the SHA-256 of the run
// record and of the manifest, every ledger file's SHA-256 and entry count,
// the record's fields and the report's counts and exceptions from the
// ledger entries, and the signature of its root digest
// (attestation.json), if any, or if a key is required.
//
// The evidence is looked for first beside report.json, in a run bundle
// (LedgerRef.Bundle: a bundle copied or moved anywhere is checked where
// it is, never the originals), then at the state location the report
// names. It returns the checks made, stopping at the first that fails,
// and an error naming it that wraps ErrDoesNotHold, ErrNotReport or
// ErrUnreadable.
func AttestWith(ctx context.Context, fetch Fetcher, reportURL string, o AttestOptions) ([]Check, error) {
	var checks []Check
	failKind := func(kind error, what, problem string) ([]Check, error) {
		checks = append(checks, Check{What: what, Problem: problem})
		return checks, fmt.Errorf("%w: %s: %s", kind, what, problem)
	}
	fail := func(what, problem string) ([]Check, error) { return failKind(ErrDoesNotHold, what, problem) }
	// failRead fails for evidence that could not be read: missing
	// evidence does not hold; anything else may be read next time.
	failRead := func(what string, err error) ([]Check, error) {
		if isNotExist(err) {
			return fail(what, "missing: "+err.Error())
		}
		return failKind(ErrUnreadable, what, err.Error())
	}
	ok := func(what string) { checks = append(checks, Check{What: what, OK: true}) }
	note := func(what, n string) { checks = append(checks, Check{What: what, OK: true, Note: n}) }

	// report.json is read a field at a time (it holds every exception):
	// its exceptions are compared with the ledger's by their digest, and
	// read again only to name the first difference.
	reportSeq := newExceptionSequence()
	rep, reportSHA256, err := readReport(ctx, fetch, reportURL, func(pair, key string, v ledger.Verdict) error {
		reportSeq.add(pair, key, v)
		return nil
	})
	var bad *badReport
	switch {
	case isNotExist(err):
		return failKind(ErrNotReport, reportURL, "nothing is there: "+err.Error())
	case errors.As(err, &bad) && bad.named:
		// A file that names the report schema is a report that was
		// changed; anything else is not a report.
		return fail(reportURL, "a report that was changed: "+err.Error())
	case errors.As(err, &bad):
		return failKind(ErrNotReport, reportURL, err.Error())
	case err != nil:
		return failKind(ErrUnreadable, reportURL, err.Error())
	}

	// Where the evidence is: a bundle beside report.json, or the live
	// state location.
	dir := reportURL[:strings.LastIndexByte(reportURL, '/')+1]
	bundle := rep.Ledger.Bundle
	if bundle == "" {
		bundle = BundleRun
	}
	manifestURL, recordURL := rep.Ledger.Manifest, rep.Ledger.Record
	mb, err := readAll(ctx, fetch, dir+bundle+"manifest.json")
	switch {
	case err == nil:
		manifestURL, recordURL = dir+bundle+"manifest.json", dir+bundle+"run.json"
		ok("a run bundle: the evidence is read beside the report, in " + dir + bundle)
	case isNotExist(err) && manifestURL != "":
		if mb, err = readAll(ctx, fetch, manifestURL); err != nil {
			return failRead(manifestURL, err)
		}
		ok("no run bundle beside the report: the evidence is read where the run left it, " + manifestURL[:strings.LastIndexByte(manifestURL, '/')+1])
	default:
		return failRead(dir+bundle+"manifest.json", err)
	}
	if got := ledger.ManifestDigest(mb); got != rep.Ledger.SHA256 {
		return fail(manifestURL, fmt.Sprintf("SHA-256 is %s, the report says %s", got, rep.Ledger.SHA256))
	}
	m, err := ledger.DecodeManifest(mb, manifestURL)
	if err != nil {
		return fail(manifestURL, err.Error())
	}
	ok("manifest " + manifestURL + " sha256 " + rep.Ledger.SHA256)

	if rep.Ledger.RecordSHA256 == "" {
		note("run record", "this report predates the run record's digest: run.json is not covered")
	} else {
		rb, err := readAll(ctx, fetch, recordURL)
		if err != nil {
			return failRead(recordURL, err)
		}
		if got := sha256Hex(rb); got != rep.Ledger.RecordSHA256 {
			return fail(recordURL, fmt.Sprintf("SHA-256 is %s, the report says %s", got, rep.Ledger.RecordSHA256))
		}
		rec, err := state.DecodeRecord(rb)
		if err != nil {
			return fail(recordURL, err.Error())
		}
		if d := recordDiff(rec, rep); d != "" {
			return fail(recordURL, "the run record and the report differ: "+d)
		}
		ok(fmt.Sprintf("run record %s sha256 %s: run, clock, configuration, previous run and who ran it match the report", recordURL, rep.Ledger.RecordSHA256))
	}

	runDir := manifestURL[:strings.LastIndexByte(manifestURL, '/')+1]
	files := ledgerFilesOf(m, runDir)
	tallies := make([]ledger.Tally, len(m.Pairs))
	for i := range tallies {
		tallies[i] = ledger.NewTally()
	}
	ledgerSeq := newExceptionSequence()
	var failed []Check
	var failure error
	errFailed := errors.New("a check failed")
	err = inOrder(ctx, len(files), exceptionReaders(), files.count(fetch), func(i int, c ledgerCount) error {
		f := files[i]
		if problem := c.problem(f); problem != "" {
			if c.fetchErr != nil {
				failed, failure = failRead(f.url, c.fetchErr)
			} else {
				failed, failure = fail(f.problemAt(manifestURL), problem)
			}
			return errFailed
		}
		ok(fmt.Sprintf("ledger %s sha256 %s (%d entries)", f.url, c.sum, c.n))
		tallies[f.pair].Merge(c.tally)
		for _, x := range c.exceptions {
			ledgerSeq.add(m.Pairs[f.pair].Name, x.Key, x.Verdict)
		}
		return nil
	})
	if err != nil {
		return failed, failure // use's only error
	}
	total := ledger.NewTally()
	recount := map[string]ledger.Tally{}
	for i, mp := range m.Pairs {
		recount[mp.Name] = tallies[i]
		total.Merge(tallies[i])
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
	if reportSeq.n != ledgerSeq.n || reportSeq.sum() != ledgerSeq.sum() {
		where := firstExceptionDifference(ctx, fetch, reportURL, reportSHA256, m, files)
		return fail(reportURL, fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s)", reportSeq.n, ledgerSeq.n, where))
	}
	ok(fmt.Sprintf("report %s: totals, %d pairs and %d exceptions match the ledger", reportURL, len(rep.Pairs), ledgerSeq.n))

	// The signature of the root digest.
	attURL := dir + AttestationName
	ab, err := readAll(ctx, fetch, attURL)
	switch {
	case isNotExist(err) && o.PublicKey != nil:
		return fail(attURL, "the report is not signed, and a signature by the trusted key (fingerprint "+Fingerprint(o.PublicKey)+") is required")
	case isNotExist(err):
		note("signature", "the report is not signed (no "+AttestationName+" beside it): its digests hold, but nothing says who published it")
		return checks, nil
	case err != nil:
		return failKind(ErrUnreadable, attURL, err.Error())
	}
	att, err := DecodeAttestation(ab)
	if err != nil {
		return fail(attURL, err.Error())
	}
	st := rep.statement(reportSHA256)
	if att.Statement != string(st.Bytes()) {
		return fail(attURL, fmt.Sprintf("it signs another statement than this report's (root %s, this report's is %s): the report, manifest or run record was changed after signing", att.Root, st.Root()))
	}
	if att.Root != st.Root() {
		return fail(attURL, fmt.Sprintf("its root digest is %s, the statement's SHA-256 is %s", att.Root, st.Root()))
	}
	if err := VerifySignature(att.Key.Algorithm, att.Key.PublicKey, []byte(att.Statement), att.Signature); err != nil {
		return fail(attURL, fmt.Sprintf("the signature by %s (%s): %v", att.Key.ID, att.Key.Algorithm, err))
	}
	if o.PublicKey != nil && !bytes.Equal(o.PublicKey, att.Key.PublicKey) {
		return fail(attURL, fmt.Sprintf("signed by key %s (fingerprint %s), not by the trusted key (fingerprint %s)", att.Key.ID, Fingerprint(att.Key.PublicKey), Fingerprint(o.PublicKey)))
	}
	what := fmt.Sprintf("signature %s of root digest %s by %s (%s, fingerprint %s)", attURL, st.Root(), att.Key.ID, att.Key.Algorithm, Fingerprint(att.Key.PublicKey))
	if o.PublicKey == nil {
		note(what, "checked with the key the attestation names, not with a key you trust: pass --public-key to check who signed it")
	} else {
		ok(what + ": the trusted key")
	}
	return checks, nil
}

// recordDiff names the fields the run record and the report disagree on,
// "" if none.
func recordDiff(rec *state.Record, rep *Report) string {
	var d []string
	for _, f := range []struct {
		name      string
		rec, repo any
	}{
		{"run_id", rec.RunID, rep.RunID},
		{"started_at", rec.StartedAt.UTC(), rep.StartedAt.UTC()},
		{"config_digest", rec.ConfigDigest, rep.ConfigDigest},
		{"previous_run_id", rec.PreviousRunID, rep.PreviousRunID},
		{"tool_version", rec.ToolVersion, rep.ToolVersion},
		{"ran_by", rec.RanBy, rep.RanBy},
		{"rebased", rec.Rebased, rep.Rebased},
	} {
		a, _ := json.Marshal(f.rec)
		b, _ := json.Marshal(f.repo)
		if !bytes.Equal(a, b) {
			d = append(d, fmt.Sprintf("%s is %s in run.json, %s in report.json", f.name, a, b))
		}
	}
	return strings.Join(d, "; ")
}

// localPath reports whether a manifest's path stays inside the run's
// folder.
func localPath(p string) bool { return ledger.LocalPath(p) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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

func readAll(ctx context.Context, fetch Fetcher, u string) ([]byte, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// fetchError is an error of opening a ledger file, as opposed to one of
// its content.
type fetchError struct{ err error }

func (f *fetchError) Error() string { return f.err.Error() }
func (f *fetchError) Unwrap() error { return f.err }

// readLedger reads a ledger file, returning its entry count and SHA-256.
func readLedger(ctx context.Context, fetch Fetcher, u string, fn func(*ledger.Entry)) (int64, string, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return 0, "", &fetchError{err}
	}
	defer rc.Close()
	return ledger.ReadFile(rc, u, func(e *ledger.Entry) error { fn(e); return nil })
}
