package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// decodeWhole is how attest verify read report.json before it was read a
// field at a time: whole, strictly. scanReport is held to it.
func decodeWhole(raw []byte) (*Report, error) {
	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("not JSON (%v)", err)
	}
	if probe.Schema != Schema {
		return nil, fmt.Errorf("its schema is %q, not %q", probe.Schema, Schema)
	}
	var rep Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// sameAsWhole fails t unless scanReport reads raw as decodeWhole does:
// the same report, the same exceptions in the same order, or both refuse
// it, agreeing on whether it names the report schema (a changed report,
// not something else). Two exceptions fields are refused by scanReport
// alone.
func sameAsWhole(t *testing.T, raw []byte) {
	t.Helper()
	want, wantErr := decodeWhole(raw)
	var seq []exceptionRef
	got, sum, err := scanReport(bytes.NewReader(raw), func(pair, key string, v ledger.Verdict) error {
		seq = append(seq, exceptionRef{pair, key, v})
		return nil
	})
	if errors.Is(err, errExceptionsTwice) {
		return
	}
	var bad *badReport
	if err != nil && !errors.As(err, &bad) {
		t.Fatalf("scanReport(%s): an error that is not a *badReport: %v", brief(raw), err)
	}
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("scanReport(%s) took what a whole decode refuses (%v)", brief(raw), wantErr)
	case wantErr == nil && err != nil:
		t.Fatalf("scanReport(%s) refused what a whole decode takes: %v", brief(raw), err)
	case err != nil:
		if named := bytes.Contains(raw, []byte(`"`+Schema+`"`)); bad.named != named {
			t.Fatalf("scanReport(%s): named %v, want %v (%v)", brief(raw), bad.named, named, err)
		}
		return
	}
	wantSeq := []exceptionRef{}
	for _, x := range want.Exceptions {
		wantSeq = append(wantSeq, exceptionRef{x.Pair, x.Key, x.Verdict})
	}
	want.Exceptions = nil
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Report{})); diff != "" {
		t.Fatalf("scanReport(%s) (-whole +scanned):\n%s", brief(raw), diff)
	}
	if diff := cmp.Diff(wantSeq, append([]exceptionRef{}, seq...)); diff != "" {
		t.Fatalf("scanReport(%s): exceptions (-whole +scanned):\n%s", brief(raw), diff)
	}
	if want := sha256Hex(raw); sum != want {
		t.Fatalf("scanReport(%s): SHA-256 %s, want %s", brief(raw), sum, want)
	}
}

// brief shows the start and the end of raw, for a failure.
func brief(raw []byte) string {
	if len(raw) <= 160 {
		return fmt.Sprintf("%q", raw)
	}
	return fmt.Sprintf("%q…%q (%d bytes)", raw[:80], raw[len(raw)-80:], len(raw))
}

// scanReport reads what a whole decode reads, and refuses what it
// refuses, for the same reason: a published report, and reports changed
// in each way the decoder can meet.
func TestScanReportIsTheWholeDecode(t *testing.T) {
	rep, _, _, reports, _ := signedDemo(t)
	published := readString(t, reports, rep.RunID+"/report.json")
	if !strings.Contains(published, `"exceptions": [`+"\n") {
		t.Fatalf("the demo's report has no exceptions:\n%s", published)
	}
	head, tail, _ := strings.Cut(published, `"exceptions": [`)
	for _, c := range []string{
		published,
		published + "\n\n",
		published + "x",
		published + "{}",
		head + `"Exceptions": [` + tail,
		head + `"exceptions": null, "ignored": [` + tail,
		head + `"exceptions": 5, "ignored": [` + tail,
		head + `"exceptions": [{"pair": "p", "key": "k", "verdict": "missing", "extra": 1}], "ignored": [` + tail,
		head + `"exceptions": [null, {"pair": "p", "key": "k", "verdict": "missing"}], "old": [` + tail,
		head + `"exceptions": [{"pair": "p", "key": 5}], "old": [` + tail,
		head + `"exceptions": [{"pair": "p",` + tail,
		strings.Replace(published, `"schema": "parityproof.report/v1"`, `"schema": "parityproof.report/v2"`, 1),
		strings.Replace(published, `"schema": "parityproof.report/v1"`, `"schema": 1`, 1),
		strings.Replace(published, `"schema": "parityproof.report/v1"`, `"unknown": 1`, 1),
		strings.Replace(published, `"run_id"`, `"run_ids"`, 1),
		strings.Replace(published, `"run_id"`, `"RUN_ID"`, 1),
		`{"schema": "parityproof.report/v1", "exceptions": [{"key": "a"}], "Exceptions": [{"key": "b"}]}`,
		`{"schema": "parityproof.report/v1", "schema": "other"}`,
		`{"schema": "other", "schema": "parityproof.report/v1", "exceptions": [{"key": "a\u00e9\ud800"}]}`,
		`["parityproof.report/v1"]`,
		`{"note": "parityproof.report/v1"}`,
		`{"note": "parityproof.report/v1"`,
		`null`,
		`"parityproof.report/v1"`,
		``,
		`{`,
		`{}`,
	} {
		sameAsWhole(t, []byte(c))
	}
}

// scanReport gives the first exception long before it has read the file:
// it holds one exception at a time, not the file.
func TestScanReportStreams(t *testing.T) {
	const n = 50_000
	exception := func(i int) string {
		return fmt.Sprintf(`{"pair": "us-users", "key": "%08d/backup.bin", "verdict": "missing", "severity": "exception", "evidence": "none", "detail": "no copy in oci-us"}`, i)
	}
	var size int64
	for i := range n {
		size += int64(len(exception(i))) + 2
	}
	var buf bytes.Buffer
	buf.WriteString(`{"schema": "parityproof.report/v1", "run_id": "r", "exceptions": [`)
	next := 0
	src := readerFunc(func(p []byte) (int, error) {
		for buf.Len() < len(p) && next <= n {
			switch {
			case next == n:
				buf.WriteString(`], "complete": true}`)
			case next > 0:
				buf.WriteString(", ")
			}
			if next < n {
				buf.WriteString(exception(next))
			}
			next++
		}
		if buf.Len() == 0 {
			return 0, io.EOF
		}
		return buf.Read(p)
	})
	counted := &countingReader{r: src}
	var first int64 = -1
	seen := 0
	rep, _, err := scanReport(counted, func(pair, key string, v ledger.Verdict) error {
		if first < 0 {
			first = counted.n
		}
		if want := fmt.Sprintf("%08d/backup.bin", seen); key != want || pair != "us-users" || v != ledger.Missing {
			return fmt.Errorf("exception %d is %s %s %s", seen, pair, key, v)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n || !rep.Complete || rep.RunID != "r" {
		t.Fatalf("scanned %d exceptions of %d; the report: %+v", seen, n, rep)
	}
	if first > size/100 {
		t.Errorf("the first exception was given after %d bytes of about %d read", first, size)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// attest verify compares the report's exceptions with the ledger's by
// their digest; where they differ, it names the first difference, as it
// did when it held both lists.
func TestAttestNamesTheFirstDifferentException(t *testing.T) {
	ctx := context.Background()
	rep, reports := newBigRun(t, 3_000, runAll(t)).publish(t)
	path := reports.Path(rep.RunID + "/report.json")
	if _, err := attestFile(t, path, AttestOptions{}); err != nil {
		t.Fatalf("the report as published: %v", err)
	}
	whole, err := decodeWhole([]byte(readString(t, reports, rep.RunID+"/report.json")))
	if err != nil {
		t.Fatal(err)
	}
	ledgerList := whole.Exceptions
	n := len(ledgerList)
	if n < 100 {
		t.Fatalf("%d exceptions; the test needs more", n)
	}
	ref := func(x Exception) string { return fmt.Sprintf("%+v", exceptionRef{x.Pair, x.Key, x.Verdict}) }
	changed := ledgerList[n/2]
	changed.Key += "x"
	for _, c := range []struct {
		name   string
		change func([]Exception) []Exception
		want   string
	}{
		{"a key changed", func(l []Exception) []Exception { l[n/2] = changed; return l },
			fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s in the ledger, %s in the report)", n, n, ref(ledgerList[n/2]), ref(changed))},
		{"two swapped", func(l []Exception) []Exception { l[7], l[8] = l[8], l[7]; return l },
			fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s in the ledger, %s in the report)", n, n, ref(ledgerList[7]), ref(ledgerList[8]))},
		{"the last left out", func(l []Exception) []Exception { return l[:n-1] },
			fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s, missing from the report)", n-1, n, ref(ledgerList[n-1]))},
		{"one added", func(l []Exception) []Exception { return append(l, changed) },
			fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s, not in the ledger)", n+1, n, ref(changed))},
		{"a verdict changed", func(l []Exception) []Exception { l[0].Verdict = ledger.Mismatch; return l },
			fmt.Sprintf("its %d exceptions differ from the ledger's %d (first difference at %s in the ledger, %s in the report)", n, n, ref(ledgerList[0]),
				ref(Exception{Pair: ledgerList[0].Pair, Key: ledgerList[0].Key, Verdict: ledger.Mismatch}))},
	} {
		t.Run(c.name, func(t *testing.T) {
			forged := *whole
			forged.Exceptions = c.change(append([]Exception{}, ledgerList...))
			b, err := json.MarshalIndent(&forged, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := reports.Put(ctx, rep.RunID+"/report.json", bytes.NewReader(append(b, '\n')), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			checks, err := attestFile(t, path, AttestOptions{})
			if !errors.Is(err, ErrDoesNotHold) {
				t.Fatalf("attest verify of a report with %s: %v", c.name, err)
			}
			if got := checks[len(checks)-1].Problem; got != c.want {
				t.Errorf("attest verify of a report with %s says\n%s\nwant\n%s", c.name, got, c.want)
			}
		})
	}
}
