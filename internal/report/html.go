package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
)

// htmlExceptionsShown bounds the exceptions report.html lists, critical
// first; past it the page gives the count of the rest and links to
// exceptions.csv, which (with report.json) holds them all.
const htmlExceptionsShown = 5000

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

// page is what report.html.tmpl draws.
type page struct {
	R             *Report
	Links         Published
	AttestCmd     string
	HeadlineClass string
	Pairs         []htmlPair
	Exceptions    []Exception
	Total         int64 // every exception; Hidden: those not shown
	Hidden        int64
	ScopeChanged  bool
	Duration      string
	BurnLegend    []legendItem
	Glossary      []verdictRow
	CSS           template.CSS
	Script        template.JS
	CSP           string
	// Hatches are the fill patterns of the critical verdicts, so that
	// charts do not tell them by color alone.
	Hatches []hatch
	// PrintStatus heads every printed page.
	PrintStatus string
}

type htmlPair struct {
	PairReport
	// Lead and Reasons are the statement's first sentence and the rest.
	Lead          string
	Reasons       []string
	TotalBytes    int64
	Rows          []verdictRow
	VerdictChart  chart
	Evidence      []evidenceRow
	EvidenceChart chart
	BurnObjects   chart
	BurnBytes     chart
	Burn          []burnRow
	// Reconcile says how this run's burn-down adds up to the statement.
	Reconcile *reconcile
}

type verdictRow struct {
	Verdict  ledger.Verdict
	Severity ledger.Severity
	Keys     int64
	Bytes    int64
	Share    string
	Color    string
	Hatched  bool
	Meaning  string
}

type burnRow struct {
	RunID      string
	FinishedAt time.Time
	// Report links to the run's report.html beside this one; "" for this
	// run.
	Report                     string
	Remaining, Unsafe, Deleted Amount
	// Blocking are the keys that stand in the way of the attestation:
	// Remaining and Unsafe together.
	Blocking int64
}

type legendItem struct {
	Name, Color string
	Hatched     bool
}

// The page's assets, read once: its template, style sheet and script, and
// the Content Security Policy that lets that script alone run and nothing
// load.
var (
	htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"bytes":     HumanBytes,
		"count":     func(n any) string { return formatCount(toInt64(n)) },
		"utc":       func(t time.Time) string { return t.UTC().Format(timeFormat) },
		"join":      func(s []string) string { return strings.Join(s, ", ") },
		"num":       func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"rank":      severityRank,
		"hasPrefix": strings.HasPrefix,
		"kind":      storeKind,
		"wbr":       breakAtUnderscores,
		"action": func(v ledger.Verdict) *Action {
			if a, ok := ActionFor(v); ok {
				return &a
			}
			return nil
		},
		"legacyOf": func(x Exception) []ExceptionStore { return storesOf(x, string(ledger.Legacy)) },
		"targetOf": func(x Exception) *ExceptionStore {
			if s := storesOf(x, string(ledger.Target)); len(s) > 0 {
				return &s[0]
			}
			return nil
		},
	}).ParseFS(assets, "assets/report.html.tmpl"))
	pageCSS    = mustRead("assets/report.css")
	pageScript = mustRead("assets/report.js")
	pageCSP    = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + sha256Base64(pageScript) + "'; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	panic(fmt.Sprintf("count of %T", n))
}

func storeKind(t string) string {
	switch t {
	case "s3":
		return "S3"
	case "oci":
		return "OCI Object Storage"
	}
	return t
}

func storesOf(x Exception, role string) []ExceptionStore {
	var out []ExceptionStore
	for _, s := range x.Stores {
		if s.Role == role {
			out = append(out, s)
		}
	}
	return out
}

// HTML renders report.html whole; see [Report.WriteHTML].
func (r *Report) HTML(pub Published) ([]byte, error) {
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, pub); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteHTML renders report.html to w as the template runs: one
// self-contained page that loads nothing, reads without its script and
// prints on paper. pub says where the report is published, for the
// command that checks it. The page shows at most htmlExceptionsShown
// exceptions, but that is still megabytes on a large run: written as it
// is made, it is never held whole.
func (r *Report) WriteHTML(w io.Writer, pub Published) error {
	p := page{
		R: r, Links: pub, AttestCmd: AttestCommand(pub.ReportURL),
		ScopeChanged: r.Scope.ConfigDigest != "" && r.Scope.ConfigDigest != r.ConfigDigest,
		Duration:     durationText(r),
		CSS:          template.CSS(pageCSS),
		Script:       template.JS(pageScript),
		CSP:          pageCSP,
		Hatches:      hatches(),
		PrintStatus:  r.Headline(),
	}
	switch {
	case r.Critical() > 0:
		p.HeadlineClass = "critical"
	case len(r.Pairs) == 0 || r.AttestedPairs() < len(r.Pairs):
		p.HeadlineClass = "bad"
	default:
		p.HeadlineClass = "ok"
	}
	for _, s := range burnSeries {
		p.BurnLegend = append(p.BurnLegend, legendItem{s.name, s.color, s.hatched})
	}
	for _, v := range ledger.Verdicts {
		p.Glossary = append(p.Glossary, verdictRow{Verdict: v, Severity: v.Severity(), Color: verdictColor[v], Hatched: hatched(v), Meaning: verdictMeaning[v]})
	}
	for i := range r.Pairs {
		p.Pairs = append(p.Pairs, htmlPairOf(r, &r.Pairs[i]))
	}
	p.Exceptions, p.Total = r.Worst(htmlExceptionsShown), r.ExceptionCount()
	p.Hidden = p.Total - int64(len(p.Exceptions))
	if err := htmlTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("rendering report.html: %w", err)
	}
	return nil
}

func htmlPairOf(r *Report, pr *PairReport) htmlPair {
	hp := htmlPair{PairReport: *pr, Evidence: evidenceRows(pr)}
	_, hp.Lead, hp.Reasons = statementParts(pr, r.Complete)
	for _, v := range ledger.Verdicts {
		hp.TotalBytes += pr.Bytes[v]
	}
	for _, v := range ledger.Verdicts {
		hp.Rows = append(hp.Rows, verdictRow{
			Verdict: v, Severity: v.Severity(), Keys: pr.Verdicts[v], Bytes: pr.Bytes[v],
			Share: percent(pr.Verdicts[v], pr.Objects), Color: verdictColor[v], Hatched: hatched(v), Meaning: verdictMeaning[v],
		})
	}
	hp.VerdictChart = verdictChart(pr)
	hp.EvidenceChart = evidenceChart(pr)
	hp.BurnObjects = burnChart(pr.Name, r.History, false)
	hp.BurnBytes = burnChart(pr.Name, r.History, true)
	for _, pt := range r.History {
		row := burnRow{RunID: pt.RunID, FinishedAt: pt.FinishedAt}
		if pt.Report != "" {
			row.Report = "../" + pt.RunID + "/report.html"
		}
		for _, pp := range pt.Pairs {
			if pp.Name == pr.Name {
				row.Remaining, row.Unsafe, row.Deleted = pp.Remaining, pp.Unsafe, pp.Deleted
				row.Blocking = pp.Remaining.Objects + pp.Unsafe.Objects
			}
		}
		hp.Burn = append(hp.Burn, row)
	}
	hp.Reconcile = reconcileOf(pr, r.Complete)
	return hp
}
