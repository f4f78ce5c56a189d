package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
)

// exceptions.csv parses back to the exceptions of report.json, every
// store's presence, size and checksums included.
func TestCSVParsesBackToTheExceptions(t *testing.T) {
	d := newDemo(t, newMemStore("mem://state/"), newMemStore("mem://reports/"))
	rep := d.lifeCycle()
	b, err := rep.CSV()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCSV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	all := allExceptions(t, rep)
	if len(all) == 0 {
		t.Fatal("the demo has no exceptions to compare")
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("exceptions from the CSV (-report.json +csv):\n%s", diff)
	}
}

// A key or detail that a spreadsheet would run as a formula is written
// inert, and still reads back as it was.
func TestCSVCellsAreNeverFormulas(t *testing.T) {
	keys := []string{"=HYPERLINK(\"http://x\")", "+1", "-rf", "@SUM(A1)", "\tx", "'quoted", "plain/key", "a,b\n\"c\""}
	rep := &Report{}
	for _, k := range keys {
		rep.Exceptions = append(rep.Exceptions, Exception{Pair: "p", Key: k, Verdict: ledger.Missing, Severity: ledger.Exception,
			Evidence: ledger.EvidenceNone, Detail: "=" + k,
			Stores: []ExceptionStore{{Store: "legacy", Role: "legacy", Presence: "current", Size: 3}}})
	}
	b, err := rep.CSV()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		for _, cell := range strings.Split(line, ",") {
			cell = strings.TrimPrefix(cell, `"`)
			if cell != "" && strings.ContainsRune("=+-@\t", rune(cell[0])) {
				t.Errorf("cell %q of line %q starts a formula", cell, line)
			}
		}
	}
	got, err := ParseCSV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Exceptions, got); diff != "" {
		t.Errorf("exceptions from the CSV (-report +csv):\n%s", diff)
	}
}

func TestParseCSVRejectsAnotherHeader(t *testing.T) {
	_, err := ParseCSV(strings.NewReader("pair,key\np,k\n"))
	if err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("got %v, want an error about the header", err)
	}
}
