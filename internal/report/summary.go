package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// summaryExceptions bounds the exceptions summary.md names.
const summaryExceptions = 10

// AttestCommand is the command that checks a report's digests and counts,
// with the report's location quoted for a POSIX shell where it needs it.
func AttestCommand(reportURL string) string {
	return AttestCommandFor("parityproof", reportURL)
}

// AttestCommandFor is AttestCommand with another way of running
// parityproof, such as "go run ./cmd/parityproof".
func AttestCommandFor(program, reportURL string) string {
	return program + " attest verify " + ShellQuote(reportURL)
}

// ShellQuote quotes s for a POSIX shell where it needs it.
func ShellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-~", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Headline says in one sentence whether the run attests every pair, and
// how many exceptions stand in the way.
func (r *Report) Headline() string {
	attested, crit := r.AttestedPairs(), r.Critical()
	var b strings.Builder
	switch {
	case len(r.Pairs) > 0 && attested == len(r.Pairs):
		fmt.Fprintf(&b, "Attested: %s attested", count(int64(attested), "the pair is", "all %d pairs are"))
	default:
		fmt.Fprintf(&b, "Not attested: %d of %s attested", attested, count(int64(len(r.Pairs)), "1 pair", "%d pairs"))
	}
	fmt.Fprintf(&b, "; %s", count(r.ExceptionCount(), "1 exception", "%d exceptions"))
	if crit > 0 {
		fmt.Fprintf(&b, ", %d critical", crit)
	}
	return b.String() + "."
}

// WorstFirst returns the exceptions with the critical ones first, each
// group in ledger order.
func WorstFirst(xs []Exception) []Exception {
	out := slices.Clone(xs)
	slices.SortStableFunc(out, func(a, b Exception) int {
		return severityRank(a.Severity) - severityRank(b.Severity)
	})
	return out
}

func severityRank(s ledger.Severity) int {
	switch s {
	case ledger.Critical:
		return 0
	case ledger.Exception:
		return 1
	case ledger.Info:
		return 2
	}
	return 3
}

// Summary renders summary.md: the headline, every pair's statement, the
// counts, the worst exceptions and how to check it all, short enough for
// a ticket.
func (r *Report) Summary(pub Published) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# parityproof report: run %s\n\n", r.RunID)
	fmt.Fprintf(&b, "**%s**\n\n", r.Headline())
	for _, p := range r.Pairs {
		fmt.Fprintf(&b, "- %s\n", mdEscape(p.Statement))
	}
	fmt.Fprintf(&b, "\n| verdict | keys | bytes |\n| --- | ---: | ---: |\n")
	for _, v := range ledger.Verdicts {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", v, formatCount(r.Totals.Verdicts[v]), HumanBytes(byteTotal(r, v)))
	}
	fmt.Fprintf(&b, "| **total** | **%s** | **%s** |\n\n", formatCount(r.Totals.Objects), HumanBytes(r.Totals.Bytes))
	if n := r.ExceptionCount(); n > 0 {
		fmt.Fprintf(&b, "Exceptions, critical first:\n\n")
		for _, x := range r.Worst(summaryExceptions) {
			fmt.Fprintf(&b, "- %s %s (%s): %s\n", x.Verdict, codeSpan(x.Key), x.Pair, mdEscape(x.Detail))
		}
		if more := n - summaryExceptions; more > 0 {
			fmt.Fprintf(&b, "- and %d more in exceptions.csv\n", more)
		}
		b.WriteString("\n")
		b.WriteString(summaryActions(r))
	}
	fmt.Fprintf(&b, "Run %s, %s to %s, parityproof %s", r.RunID, r.StartedAt.UTC().Format(timeFormat), r.FinishedAt.UTC().Format(timeFormat), r.ToolVersion)
	if who := r.RanBy.String(); who != "" {
		fmt.Fprintf(&b, ", run by %s", who)
	}
	fmt.Fprintf(&b, ". Configuration SHA-256 `%s`.\n\n", r.ConfigDigest)
	if r.Clock != "" {
		fmt.Fprintf(&b, "The run's clock is %s.\n\n", mdEscape(r.Clock))
	}
	if pub.HTMLURL != "" {
		fmt.Fprintf(&b, "Report: %s  \nreport.json: %s  \nexceptions.csv: %s\n\n", pub.HTMLURL, pub.ReportURL, pub.CSVURL)
	}
	fmt.Fprintf(&b, "Evidence: manifest %s, SHA-256 `%s`. Check the digests and every count with:\n\n    %s\n\n(In a checkout of parityproof's source without the command installed: `go run ./cmd/parityproof attest verify …`.)\n", r.Ledger.Manifest, r.Ledger.SHA256, AttestCommand(pub.ReportURL))
	return []byte(b.String())
}

const timeFormat = "2006-01-02 15:04:05Z"

// summaryActions says what to do about each exception verdict the run
// found, worst first: who acts, what they do, when it clears.
func summaryActions(r *Report) string {
	var b strings.Builder
	b.WriteString("What to do, worst first:\n\n")
	for _, rs := range reasons {
		v := rs.verdict
		n := r.Totals.Verdicts[v]
		a, ok := ActionFor(v)
		if n == 0 || !ok || !v.IsException() {
			continue
		}
		sev := ""
		if v.Severity() == ledger.Critical {
			sev = ", critical"
		}
		fmt.Fprintf(&b, "- **%s** (%s%s). Who: %s Do: %s Clears: %s\n", v, formatCount(n), sev, mdEscape(a.Who), mdEscape(a.Check), mdEscape(a.Clears))
	}
	return b.String() + "\n"
}

// byteTotal sums a verdict's bytes over the pairs.
func byteTotal(r *Report, v ledger.Verdict) int64 {
	var n int64
	for _, p := range r.Pairs {
		n += p.Bytes[v]
	}
	return n
}

// mdEscape keeps text from being read as Markdown or HTML.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*[]<>|", r) {
			b.WriteByte('\\')
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// codeSpan writes s as Markdown code, with a fence longer than any run of
// backticks in it.
func codeSpan(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
