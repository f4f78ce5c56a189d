package report

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from this run")

// stableIDs replaces the random suffixes of the demo's run ids, the only
// part of its reports that differs between two runs of the test.
func (d *demo) stableIDs(b []byte) []byte {
	s := string(b)
	for _, id := range d.runs {
		s = strings.ReplaceAll(s, id, id[:strings.LastIndexByte(id, '-')]+"-test")
	}
	return []byte(s)
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -run %s -update to write it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s\nIf the change is intended, rerun with -update and review the diff.", name, diff)
	}
}

// The demo's last report, as report.json and summary.md, is what the
// golden files hold: every verdict and statement, the burn-down of three
// runs, the scope and the exceptions with their fingerprints.
func TestGoldenReport(t *testing.T) {
	d := newDemo(t, newMemStore("file:///srv/parityproof/state/"), newMemStore("file:///srv/parityproof/reports/"))
	rep := d.lifeCycle()
	// The run record's bytes hold the random run id: its digest varies.
	rep.Ledger.RecordSHA256 = "(the SHA-256 of run.json, which holds the random run id)"
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", d.stableIDs(js))
	golden(t, "summary.md", d.stableIDs(rep.Summary(Locate(d.reports, rep))))
}
