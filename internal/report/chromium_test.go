package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/testenv/chromium"
)

// publishedDemo runs the demo's life cycle into local folders and returns
// its last report and where it was published.
func publishedDemo(t *testing.T) (*Report, Published) {
	t.Helper()
	dir := t.TempDir()
	state, err := storage.NewDir(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	reports, err := storage.NewDir(filepath.Join(dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	d := newDemo(t, state, reports)
	rep := d.lifeCycle()
	pub := Locate(reports, rep)
	if _, err := Attest(context.Background(), FetchFile, pub.ReportURL); err != nil {
		t.Fatalf("the demo's report does not hold: %v", err)
	}
	return rep, pub
}

// report.html, opened in headless Chromium, runs without a console
// message (no script error, nothing the Content Security Policy had to
// block), shows every section, and its script adds the exceptions
// table's controls. (The README's screenshot is the demo's report's, from
// TestDemoReportInChromium and scripts/screenshot.)
func TestHTMLInChromium(t *testing.T) {
	exe := chromium.Require(t)
	rep, pub := publishedDemo(t)
	shot := filepath.Join(t.TempDir(), "report.png")
	page, err := chromium.Open(context.Background(), exe, pub.HTMLURL, chromium.Options{Screenshot: shot, Width: 1200, Height: 1800})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Console {
		t.Errorf("console: %s", m)
	}
	d := parseDoc(t, []byte(page.DOM))
	checkReportPage(t, d, rep, pub)
	if d.byID("exceptions-filter") == nil || d.byID("exceptions-verdict") == nil {
		t.Error("the exceptions table has no filter controls: the page's script did not run")
	}
	if n := d.byID("exceptions-shown"); n == nil || text(n) != "showing 5 of 5" {
		t.Errorf("exceptions-shown: %v, want showing 5 of 5", n)
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != 1200 || got.Y != 1800 {
		t.Errorf("screenshot of %v, want 1200x1800", got)
	}
}

// A link can carry a view of the exceptions: filtered by text and sorted
// by a column, which the page's script applies when it loads.
func TestHTMLFiltersAndSortsFromTheLink(t *testing.T) {
	exe := chromium.Require(t)
	_, pub := publishedDemo(t)
	page, err := chromium.Open(context.Background(), exe, pub.HTMLURL+"#filter=backup.tar&sort=key-desc", chromium.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Console {
		t.Errorf("console: %s", m)
	}
	d := parseDoc(t, []byte(page.DOM))
	var shown, hidden []string
	for _, tr := range exceptionRows(d) {
		key := exceptionCells(tr)[3]
		if _, ok := attr(tr, "hidden"); ok {
			hidden = append(hidden, key)
		} else {
			shown = append(shown, key)
		}
	}
	if diff := cmp.Diff([]string{"00007/backup.tar", "00006/backup.tar", "00003/backup.tar", "00001/backup.tar"}, shown); diff != "" {
		t.Errorf("rows shown (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"00012/notes.txt"}, hidden); diff != "" {
		t.Errorf("rows hidden (-want +got):\n%s", diff)
	}
	if n := d.byID("exceptions-shown"); n == nil || text(n) != "showing 4 of 5" {
		t.Errorf("exceptions-shown: want showing 4 of 5")
	}
	var sorted []string
	for _, th := range d.all(func(n *html.Node) bool { _, ok := attr(n, "aria-sort"); return n.Data == "th" && ok }) {
		v, _ := attr(th, "aria-sort")
		c, _ := attr(th, "data-col")
		sorted = append(sorted, c+" "+v)
	}
	if diff := cmp.Diff([]string{"key descending"}, sorted); diff != "" {
		t.Errorf("sorted columns (-want +got):\n%s", diff)
	}
}

// inExceptions reports whether n is inside the exceptions table.
func inExceptions(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if id, _ := attr(p, "id"); id == "exceptions-table" {
			return true
		}
	}
	return false
}

// A report with nothing to except — every pair attested — has no
// exceptions table for the script to work on, and still runs cleanly.
func TestHTMLOfAnAttestedRunInChromium(t *testing.T) {
	exe := chromium.Require(t)
	rep := attestedReport()
	page, err := rep.HTML(Published{ReportURL: "file:///r/report.json"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := chromium.Open(context.Background(), exe, "file://"+path, chromium.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Console {
		t.Errorf("console: %s", m)
	}
	checkReportPage(t, parseDoc(t, []byte(p.DOM)), rep, Published{ReportURL: "file:///r/report.json"})
}
