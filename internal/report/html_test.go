package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/parityproof/parityproof/internal/ledger"
)

// doc is a parsed page with helpers to find what the report must show.
type doc struct{ root *html.Node }

func parseDoc(t *testing.T, b []byte) doc {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc{n}
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// all returns the elements for which match is true, in document order.
func (d doc) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range d.root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func (d doc) byID(id string) *html.Node {
	ns := d.all(func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(ns) != 1 {
		return nil
	}
	return ns[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return strings.Contains(" "+v+" ", " "+class+" ")
}

// children returns n's element children named tag.
func children(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	for c := range n.ChildNodes() {
		if c.Type == html.ElementNode && c.Data == tag {
			out = append(out, c)
		}
	}
	return out
}

// rows returns the body rows of the tables under n, as cell texts.
func rows(n *html.Node) [][]string {
	var out [][]string
	for tb := range n.Descendants() {
		if tb.Type != html.ElementNode || tb.Data != "tbody" {
			continue
		}
		for _, tr := range children(tb, "tr") {
			var cells []string
			for c := range tr.ChildNodes() {
				if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
					cells = append(cells, text(c))
				}
			}
			out = append(out, cells)
		}
	}
	return out
}

// requiredSections are the parts of report.html a reader relies on.
func requiredSections(r *Report) []string {
	ids := []string{"headline", "attestation", "pairs", "exceptions", "scope", "run", "verify", "attest-command", "manifest-sha256", "glossary"}
	for _, p := range r.Pairs {
		ids = append(ids, "pair-"+p.Name, "verdicts-"+p.Name, "evidence-"+p.Name, "burndown-"+p.Name)
	}
	return ids
}

// checkReportPage checks that a rendering of r (report.html as written,
// or the DOM a browser made of it) shows the statements, the counts, the
// evidence mix, the burn-down, the scope, the run and every exception.
func checkReportPage(t *testing.T, d doc, r *Report, pub Published) {
	t.Helper()
	for _, id := range requiredSections(r) {
		if d.byID(id) == nil {
			t.Errorf("no single element with id %q", id)
		}
	}
	if h := d.byID("headline"); h != nil && text(h) != r.Headline() {
		t.Errorf("headline %q, want %q", text(h), r.Headline())
	}
	// The statements, one per pair, marked attested or not, the reasons
	// listed.
	type statement struct {
		Lead    string
		Reasons []string
	}
	var gotSt, wantSt []statement
	for _, n := range d.all(func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "statement") }) {
		var st statement
		for _, p := range d.inside(n, "p") {
			st.Lead = text(p)
		}
		for _, li := range d.inside(n, "li") {
			st.Reasons = append(st.Reasons, text(li))
		}
		gotSt = append(gotSt, st)
	}
	for _, p := range r.Pairs {
		attested, lead, reasons := statementParts(&p, r.Complete)
		if attested != p.Attested || strings.Join(append([]string{lead}, reasons...), " ") != p.Statement {
			t.Errorf("pair %s: the statement's parts do not make its statement", p.Name)
		}
		badge := "not attested "
		if p.Attested {
			badge = "attested "
		}
		wantSt = append(wantSt, statement{badge + lead, reasons})
	}
	if diff := cmp.Diff(wantSt, gotSt); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	for _, p := range r.Pairs {
		// Counts and bytes of every verdict.
		if n := d.byID("verdicts-" + p.Name); n != nil {
			var want [][]string
			for _, v := range ledger.Verdicts {
				want = append(want, []string{string(v), string(v.Severity()), formatCount(p.Verdicts[v]), percent(p.Verdicts[v], p.Objects), HumanBytes(p.Bytes[v]), verdictMeaning[v]})
			}
			if diff := cmp.Diff(want, rows(n)); diff != "" {
				t.Errorf("pair %s: verdict table (-want +got):\n%s", p.Name, diff)
			}
			if len(d.inside(n, "svg")) != 1 {
				t.Errorf("pair %s: want one verdict chart", p.Name)
			}
		}
		// The evidence mix.
		if n := d.byID("evidence-" + p.Name); n != nil {
			got := map[string]string{}
			for _, row := range rows(n) {
				got[row[0]] = row[1]
			}
			want := map[string]string{}
			for e, k := range p.Evidence {
				want[string(e)] = formatCount(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pair %s: evidence (-want +got):\n%s", p.Name, diff)
			}
		}
		// One burn-down row per run, and two charts.
		if n := d.byID("burndown-" + p.Name); n != nil {
			var got, want []string
			for _, row := range rows(n) {
				got = append(got, strings.Join(row[2:5], " "))
			}
			for _, pt := range r.History {
				for _, pp := range pt.Pairs {
					if pp.Name == p.Name {
						want = append(want, fmt.Sprintf("%s %s %s", formatCount(pp.Remaining.Objects), formatCount(pp.Unsafe.Objects), formatCount(pp.Deleted.Objects)))
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pair %s: burn-down (-want +got):\n%s", p.Name, diff)
			}
			if len(d.inside(n, "svg")) != 2 {
				t.Errorf("pair %s: want two burn-down charts", p.Name)
			}
		}
	}
	// Every exception, critical first, with what to do about it.
	if n := d.byID("exceptions"); n != nil {
		var got, want [][]string
		for _, tr := range exceptionRows(d) {
			got = append(got, exceptionCells(tr))
		}
		for _, x := range WorstFirst(allExceptions(t, r)) {
			a, _ := ActionFor(x.Verdict)
			want = append(want, []string{string(x.Severity), string(x.Verdict), x.Pair, x.Key, string(x.Evidence), x.Detail,
				"Who: " + a.Who + " Do: " + a.Check + " Clears: " + a.Clears})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exceptions (-want +got):\n%s", diff)
		}
	}
	// Every store in scope.
	if n := d.byID("scope"); n != nil {
		var got, want []string
		for _, row := range rows(n) {
			got = append(got, strings.Join(row[:3], " "))
		}
		for _, s := range r.Scope.Stores {
			want = append(want, s.Pair+" "+s.Role+" "+s.Name)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("scope (-want +got):\n%s", diff)
		}
	}
	// Run metadata, digests and the command that checks them.
	if n := d.byID("run"); n != nil {
		for _, want := range []string{r.RunID, r.ToolVersion, r.ConfigDigest, r.StartedAt.UTC().Format(timeFormat), r.FinishedAt.UTC().Format(timeFormat)} {
			if !strings.Contains(text(n), want) {
				t.Errorf("the run section lacks %q", want)
			}
		}
		if r.RanBy != nil && r.RanBy.AWS != nil && !strings.Contains(text(n), r.RanBy.AWS.ARN) {
			t.Errorf("the run section does not say who ran it: %q", text(n))
		}
	}
	if n := d.byID("manifest-sha256"); n != nil && text(n) != r.Ledger.SHA256 {
		t.Errorf("manifest SHA-256 %q, want %q", text(n), r.Ledger.SHA256)
	}
	if n := d.byID("attest-command"); n != nil && text(n) != AttestCommand(pub.ReportURL) {
		t.Errorf("attest command %q, want %q", text(n), AttestCommand(pub.ReportURL))
	}
}

// exceptionRows returns the rows of the exceptions table.
func exceptionRows(d doc) []*html.Node {
	return d.all(func(n *html.Node) bool {
		_, ok := attr(n, "data-verdict")
		return n.Data == "tr" && inExceptions(n) && ok
	})
}

// exceptionCells reads one exception's row: severity, verdict, pair, key,
// evidence, detail and action.
func exceptionCells(tr *html.Node) []string {
	pair, _ := attr(tr, "data-pair")
	one := func(class string) string {
		for n := range tr.Descendants() {
			if n.Type == html.ElementNode && hasClass(n, class) {
				return text(n)
			}
		}
		return "(no " + class + ")"
	}
	return []string{one("sev"), one("verdict-name"), pair, one("key"), strings.TrimPrefix(one("evidence-kind"), "evidence: "), one("detail"), one("c-action")}
}

// inside returns the elements named tag under n.
func (d doc) inside(n *html.Node, tag string) []*html.Node {
	return doc{n}.all(func(c *html.Node) bool { return c.Data == tag })
}

func TestHTMLShowsTheReport(t *testing.T) {
	d := newDemo(t, newMemStore("file:///srv/parityproof/state/"), newMemStore("file:///srv/parityproof/reports/"))
	rep := d.lifeCycle()
	pub := Locate(d.reports, rep)
	b, err := rep.HTML(pub)
	if err != nil {
		t.Fatal(err)
	}
	checkReportPage(t, parseDoc(t, b), rep, pub)
}

// report.html loads nothing: no element fetches anything, links stay on
// the page or beside it, and the Content Security Policy lets only the
// page's own script run.
func TestHTMLIsSelfContained(t *testing.T) {
	d := newDemo(t, newMemStore("file:///srv/parityproof/state/"), newMemStore("file:///srv/parityproof/reports/"))
	rep := d.lifeCycle()
	b, err := rep.HTML(Locate(d.reports, rep))
	if err != nil {
		t.Fatal(err)
	}
	page := parseDoc(t, b)
	for _, n := range page.all(func(n *html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "data" || a.Key == "poster":
				t.Errorf("<%s %s=%q> loads a resource", n.Data, a.Key, a.Val)
			case a.Key == "href" && strings.Contains(a.Val, ":"):
				t.Errorf("<%s href=%q> leaves the report's folder", n.Data, a.Val)
			}
		}
		if n.Data == "link" || n.Data == "iframe" || n.Data == "object" || n.Data == "embed" || n.Data == "img" {
			t.Errorf("<%s> in a self-contained page", n.Data)
		}
	}
	// url(#id) names a pattern of the page itself; any other url( loads.
	if m := regexp.MustCompile(`url\(\s*['"]?[^#'"\s]`).Find(b); m != nil || strings.Contains(string(b), "@import") {
		t.Errorf("the page loads something: %q", m)
	}
	metas := page.all(func(n *html.Node) bool {
		v, _ := attr(n, "http-equiv")
		return n.Data == "meta" && v == "Content-Security-Policy"
	})
	scripts := page.all(func(n *html.Node) bool { return n.Data == "script" })
	if len(metas) != 1 || len(scripts) != 1 {
		t.Fatalf("want one CSP and one script, got %d and %d", len(metas), len(scripts))
	}
	csp, _ := attr(metas[0], "content")
	sum := sha256.Sum256([]byte(scripts[0].FirstChild.Data))
	if want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the page's script (%s)", csp, want)
	}
	if !regexp.MustCompile(`(^|; )default-src 'none'(;|$)`).MatchString(csp) {
		t.Errorf("CSP %q does not forbid loading by default", csp)
	}
}

// Keys and details are text, never markup.
func TestHTMLEscapesKeysAndDetails(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	rep := &Report{RunID: "r", Schema: Schema, Pairs: []PairReport{{Name: "p", Verdicts: map[ledger.Verdict]int64{ledger.Missing: 1}, Bytes: map[ledger.Verdict]int64{}, Objects: 1, Statement: "s"}},
		Exceptions: []Exception{{Pair: "p", Key: evil, Verdict: ledger.Missing, Severity: ledger.Exception, Detail: evil}}}
	b, err := rep.HTML(Published{ReportURL: "file:///r/report.json"})
	if err != nil {
		t.Fatal(err)
	}
	page := parseDoc(t, b)
	if n := len(page.all(func(n *html.Node) bool { return n.Data == "script" })); n != 1 {
		t.Errorf("%d scripts, want the page's own", n)
	}
	if n := len(page.all(func(n *html.Node) bool { return n.Data == "img" })); n != 0 {
		t.Errorf("%d images from a key", n)
	}
	xs := exceptionRows(page)
	if len(xs) != 1 || exceptionCells(xs[0])[3] != evil || exceptionCells(xs[0])[5] != evil {
		t.Errorf("the exception rows read %d, want one with the key and detail as text", len(xs))
	}
}

// attestedReport is a run in which every pair is attested.
func attestedReport() *Report {
	p := pairWith(map[ledger.Verdict]int64{ledger.Deleted: 40, ledger.Extra: 1})
	p.Evidence = map[ledger.Evidence]int64{ledger.EvidenceMD5: 40, ledger.EvidenceNone: 1}
	p.Attested, p.Statement = attestation(p, true)
	r := &Report{Schema: Schema, RunID: "20261201T220000Z-0000", ToolVersion: "test", Complete: true, ConfigDigest: "c0ffee",
		Pairs: []PairReport{*p}, Exceptions: []Exception{}, Ledger: LedgerRef{Manifest: "file:///s/runs/x/manifest.json", SHA256: "abc"},
		Scope: Scope{ConfigDigest: "c0ffee", Stores: []StoreScope{{Pair: p.Name, Role: "legacy", Name: "legacy-us", Type: "s3", Bucket: "b"}}}}
	r.Totals = Totals{Objects: p.Objects, Verdicts: p.Verdicts}
	r.History = []HistoryPoint{pointOf(r, "")}
	return r
}

func TestHTMLOfAnAttestedRun(t *testing.T) {
	rep := attestedReport()
	pub := Published{ReportURL: "file:///r/report.json"}
	b, err := rep.HTML(pub)
	if err != nil {
		t.Fatal(err)
	}
	d := parseDoc(t, b)
	checkReportPage(t, d, rep, pub)
	if h := d.byID("headline"); h == nil || !hasClass(h, "ok") || text(h) != "Attested: the pair is attested; 0 exceptions." {
		t.Errorf("headline: %+v, want the ok class and the text 'Attested: the pair is attested; 0 exceptions.'", h)
	}
	if n := d.byID("exceptions"); n == nil || !strings.Contains(text(n), "No exceptions") {
		t.Error("the exceptions section does not say there are none")
	}
}
