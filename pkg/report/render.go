package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/parityproof/parityproof/pkg/ledger"
	"github.com/parityproof/parityproof/pkg/storage"
)

// JSON renders report.json.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report.json: %w", err)
	}
	return append(b, '\n'), nil
}

// CSVHeader is exceptions.csv's header row.
var CSVHeader = []string{"pair", "key", "verdict", "severity", "evidence", "detail", "stores"}

// CSV renders exceptions.csv: one row per exception; the stores column
// lists, per store, its role, presence, size and checksums.
func (r *Report) CSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(CSVHeader)
	for _, x := range r.Exceptions {
		w.Write([]string{x.Pair, x.Key, string(x.Verdict), string(x.Severity), string(x.Evidence), x.Detail, storesCell(x.Stores)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("encoding exceptions.csv: %w", err)
	}
	return buf.Bytes(), nil
}

func storesCell(ss []ExceptionStore) string {
	var parts []string
	for _, s := range ss {
		p := fmt.Sprintf("%s (%s, %s): %d bytes", s.Store, s.Role, s.Presence, s.Size)
		if len(s.Checksums) > 0 {
			p += "; " + strings.Join(s.Checksums, ", ")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " | ")
}

// AttestCommand is the command that checks a report's digests.
func AttestCommand(reportURL string) string { return "parityproof attest verify " + reportURL }

// Summary renders summary.md: the statement and counts, ready for a ticket.
func (r *Report) Summary(reportURL string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# parityproof run %s\n\n", r.RunID)
	for _, p := range r.Pairs {
		fmt.Fprintf(&b, "%s\n\n", p.Statement)
	}
	fmt.Fprintf(&b, "| verdict | keys |\n| --- | ---: |\n")
	for _, v := range ledger.Verdicts {
		fmt.Fprintf(&b, "| %s | %d |\n", v, r.Totals.Verdicts[v])
	}
	fmt.Fprintf(&b, "| **total** | **%d** |\n\n", r.Totals.Objects)
	fmt.Fprintf(&b, "%d exceptions. Run %s, %s to %s, parityproof %s.\n\n", len(r.Exceptions), r.RunID,
		r.StartedAt.Format("2006-01-02 15:04:05Z"), r.FinishedAt.Format("2006-01-02 15:04:05Z"), r.ToolVersion)
	fmt.Fprintf(&b, "Evidence: manifest %s, SHA-256 `%s`. Check it with:\n\n    %s\n", r.Ledger.Manifest, r.Ledger.SHA256, AttestCommand(reportURL))
	return []byte(b.String())
}

// htmlExceptionsShown bounds the exceptions the HTML lists; the CSV and
// JSON hold them all.
const htmlExceptionsShown = 5000

// HTML renders report.html: one self-contained file.
func (r *Report) HTML(reportURL string) ([]byte, error) {
	data := struct {
		*Report
		Verdicts   []ledger.Verdict
		Shown      []Exception
		Hidden     int
		AttestCmd  string
		Critical   int64
		Exceptions int
	}{Report: r, Verdicts: ledger.Verdicts, AttestCmd: AttestCommand(reportURL), Exceptions: len(r.Exceptions)}
	data.Shown = r.Exceptions
	if len(data.Shown) > htmlExceptionsShown {
		data.Shown, data.Hidden = data.Shown[:htmlExceptionsShown], len(r.Exceptions)-htmlExceptionsShown
	}
	for _, v := range ledger.Verdicts {
		if v.Severity() == ledger.Critical {
			data.Critical += r.Totals.Verdicts[v]
		}
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("rendering report.html: %w", err)
	}
	return buf.Bytes(), nil
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"bytes": humanBytes,
	"count": func(m map[ledger.Verdict]int64, v ledger.Verdict) int64 { return m[v] },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>parityproof report {{.RunID}}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #1a1a1a; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.attested { background: #e7f6e7; border-left: 6px solid #2e7d32; padding: .6em 1em; }
.not-attested { background: #fdecea; border-left: 6px solid #c62828; padding: .6em 1em; }
.critical { color: #b71c1c; font-weight: bold; } .exception { color: #e65100; }
code { font-size: .9em; word-break: break-all; }
@media print { body { max-width: none; } }
</style>
</head>
<body>
<h1>parityproof report</h1>
<p>Run <code>{{.RunID}}</code>, {{.StartedAt.Format "2006-01-02 15:04:05Z"}} to {{.FinishedAt.Format "2006-01-02 15:04:05Z"}}, parityproof {{.ToolVersion}}.</p>

<section id="statements">
<h2>Attestation</h2>
{{range .Pairs}}<p class="{{if .Attested}}attested{{else}}not-attested{{end}}">{{.Statement}}</p>
{{end}}
</section>

<section id="counts">
<h2>Verdicts</h2>
<table>
<tr><th>verdict</th><th>severity</th>{{range .Pairs}}<th>{{.Name}}: keys</th><th>{{.Name}}: bytes</th>{{end}}</tr>
{{range $v := .Verdicts}}<tr><td>{{$v}}</td><td>{{$v.Severity}}</td>{{range $.Pairs}}<td class="n">{{count .Verdicts $v}}</td><td class="n">{{bytes (count .Bytes $v)}}</td>{{end}}</tr>
{{end}}<tr><th>total</th><td></td>{{range .Pairs}}<td class="n">{{.Objects}}</td><td></td>{{end}}</tr>
</table>
{{if .Critical}}<p class="critical">{{.Critical}} critical verdicts: legacy copies deleted without proven parity, or proven copies lost.</p>{{end}}
</section>

<section id="scope">
<h2>Scope</h2>
<table><tr><th>pair</th><th>legacy stores</th><th>target</th></tr>
{{range .Pairs}}<tr><td>{{.Name}}</td><td>{{range $i, $l := .Legacy}}{{if $i}}, {{end}}{{$l}}{{end}}</td><td>{{.Target}}</td></tr>{{end}}
</table>
</section>

<section id="exceptions">
<h2>Exceptions ({{.Exceptions}})</h2>
{{if .Shown}}<table>
<tr><th>pair</th><th>key</th><th>verdict</th><th>evidence</th><th>detail</th></tr>
{{range .Shown}}<tr><td>{{.Pair}}</td><td><code>{{.Key}}</code></td><td class="{{.Severity}}">{{.Verdict}}</td><td>{{.Evidence}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
{{if .Hidden}}<p>{{.Hidden}} more exceptions are in exceptions.csv and report.json.</p>{{end}}
{{else}}<p>No exceptions.</p>{{end}}
</section>

<section id="evidence">
<h2>Evidence</h2>
<p>Every number above is recomputed from the ledger files listed in the manifest
<code>{{.Ledger.Manifest}}</code>, whose SHA-256 is <code>{{.Ledger.SHA256}}</code>.
Configuration SHA-256: <code>{{.ConfigDigest}}</code>.</p>
<p>Check the digests and counts independently with:</p>
<pre><code>{{.AttestCmd}}</code></pre>
</section>
</body>
</html>
`))

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Published says where a report went.
type Published struct {
	// ReportURL is report.json's location; HTMLURL report.html's.
	ReportURL string
	HTMLURL   string
}

// Publish writes the report's four files under <run_id>/ at the reports
// location and points latest.json at them.
func Publish(ctx context.Context, st storage.Store, r *Report) (Published, error) {
	dir := r.RunID + "/"
	pub := Published{ReportURL: st.URL(dir + "report.json"), HTMLURL: st.URL(dir + "report.html")}
	js, err := r.JSON()
	if err != nil {
		return pub, err
	}
	csvb, err := r.CSV()
	if err != nil {
		return pub, err
	}
	html, err := r.HTML(pub.ReportURL)
	if err != nil {
		return pub, err
	}
	for _, f := range []struct {
		name, ctype string
		body        []byte
	}{
		{"exceptions.csv", "text/csv; charset=utf-8", csvb},
		{"summary.md", "text/markdown; charset=utf-8", r.Summary(pub.ReportURL)},
		{"report.html", "text/html; charset=utf-8", html},
		{"report.json", "application/json", js}, // last: its presence means the report is whole
	} {
		if err := st.Put(ctx, dir+f.name, bytes.NewReader(f.body), storage.PutOptions{ContentType: f.ctype}); err != nil {
			return pub, err
		}
	}
	latest, err := json.Marshal(map[string]string{"run_id": r.RunID, "report": pub.ReportURL})
	if err != nil {
		return pub, err
	}
	return pub, st.Put(ctx, "latest.json", bytes.NewReader(append(latest, '\n')), storage.PutOptions{ContentType: "application/json"})
}
