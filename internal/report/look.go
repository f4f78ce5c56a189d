package report

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
)

// breakAtUnderscores lets a long verdict name wrap after its underscores
// ("deleted_unverified") rather than inside a word.
func breakAtUnderscores(v ledger.Verdict) template.HTML {
	parts := strings.Split(string(v), "_")
	for i := range parts {
		parts[i] = template.HTMLEscapeString(parts[i])
	}
	return template.HTML(strings.Join(parts, "_<wbr>"))
}

// hatch is an SVG fill pattern: a color crossed with light stripes.
type hatch struct{ ID, Color string }

// hatched reports whether a verdict is drawn hatched: the critical ones,
// so that no reader has to tell them from the others by color alone.
func hatched(v ledger.Verdict) bool { return v.Severity() == ledger.Critical }

// hatchID names the fill pattern of a hatched color.
func hatchID(v ledger.Verdict) string { return "hatch-" + string(v) }

// fillOf is how charts fill a verdict's bars.
func fillOf(v ledger.Verdict) string {
	if hatched(v) {
		return "url(#" + hatchID(v) + ")"
	}
	return verdictColor[v]
}

// hatches are the patterns report.html defines once for its charts.
func hatches() []hatch {
	var out []hatch
	for _, v := range ledger.Verdicts {
		if hatched(v) {
			out = append(out, hatch{ID: hatchID(v), Color: verdictColor[v]})
		}
	}
	return out
}

// durationText says how long the run took; with a simulated clock it
// says why start and finish are the same.
func durationText(r *Report) string {
	d := r.FinishedAt.Sub(r.StartedAt).Round(time.Second)
	switch {
	case d == 0 && r.Clock != "":
		return "the clock is simulated: start and finish are the same instant"
	case d < time.Second:
		return "under a second"
	}
	return d.String()
}

// reconcile says how the burn-down's amounts of a run add up to the
// attestation's statement: the legacy objects, those deleted with parity
// proven, and those that stand in the way, remaining or gone unsafely.
type reconcile struct {
	Pair string
	Text string
}

// reconcileOf is the sentence under a pair's burn-down that ties its
// numbers to the statement above.
func reconcileOf(p *PairReport, complete bool) *reconcile {
	pp := progressOf(p)
	legacy := p.Objects - p.Verdicts[ledger.Extra]
	if legacy <= 0 || !complete {
		return nil
	}
	blocking := pp.Remaining.Objects + pp.Unsafe.Objects
	text := fmt.Sprintf("In this run, pair %s has %s: %d deleted with parity proven, %d whose legacy copies remain or could not be judged, and %d gone unsafely (critical). ",
		p.Name, count(legacy, "1 legacy object", "%d legacy objects"), pp.Deleted.Objects, pp.Remaining.Objects, pp.Unsafe.Objects)
	if blocking == 0 {
		text += "None stands in the way of the attestation."
	} else {
		text += fmt.Sprintf("The %d not deleted with parity proven in the attestation above are the %d remaining and the %d gone unsafely.", blocking, pp.Remaining.Objects, pp.Unsafe.Objects)
	}
	return &reconcile{Pair: p.Name, Text: text}
}

// evidenceProves says what a kind of evidence can prove.
func evidenceProves(e ledger.Evidence) string {
	switch {
	case e.Strong():
		return "parity, or a difference"
	case e == ledger.EvidenceSize:
		return "a difference only (mismatch)"
	case e == ledger.EvidenceAsserted:
		return "parity only where the policy accepts it"
	}
	return "nothing"
}
