package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/parityproof/parityproof/internal/ledger"
)

// chart is an inline SVG chart's geometry; html.tmpl draws it, escaping
// every text.
type chart struct {
	// Title names the chart for screen readers; Desc says what it shows.
	Title, Desc string
	W, H        int
	Bars        []bar
	Labels      []label
	Lines       []line
}

// bar is one filled rectangle; Title is its tooltip.
type bar struct {
	X, Y, W, H  float64
	Fill, Title string
}

// label is one text; Anchor is start, middle or end.
type label struct {
	X, Y         float64
	Text, Anchor string
	// Light is white text, for use on a colored bar.
	Light bool
}

type line struct{ X1, Y1, X2, Y2 float64 }

const chartWidth = 720

// verdictChart draws a pair's keys and bytes as two bars, each cut into
// its verdicts' shares.
func verdictChart(p *PairReport) chart {
	const left, rowH, gap, top = 64, 28, 12, 4
	width := float64(chartWidth - left - 8)
	c := chart{
		Title: "Verdicts of pair " + p.Name,
		Desc:  "Two bars: the pair's keys and their bytes, each divided into the verdicts' shares, colored as in the table.",
		W:     chartWidth, H: top + 2*rowH + gap + 4,
	}
	rows := []struct {
		name   string
		counts map[ledger.Verdict]int64
		format func(int64) string
	}{
		{"keys", p.Verdicts, formatCount},
		{"bytes", p.Bytes, HumanBytes},
	}
	for i, row := range rows {
		y := float64(top + i*(rowH+gap))
		c.Labels = append(c.Labels, label{X: left - 8, Y: y + rowH/2 + 5, Text: row.name, Anchor: "end"})
		var total int64
		for _, v := range ledger.Verdicts {
			total += row.counts[v]
		}
		if total == 0 {
			c.Bars = append(c.Bars, bar{X: left, Y: y, W: width, H: rowH, Fill: "#eeeeee", Title: "no " + row.name})
			continue
		}
		x := float64(left)
		for _, v := range ledger.Verdicts {
			n := row.counts[v]
			if n == 0 {
				continue
			}
			w := math.Max(2, width*float64(n)/float64(total))
			c.Bars = append(c.Bars, bar{X: x, Y: y, W: w, H: rowH, Fill: fillOf(v),
				Title: fmt.Sprintf("%s: %s %s (%s)", v, row.format(n), row.name, percent(n, total))})
			if text := row.format(n); w > float64(8*len(text)+8) {
				c.Labels = append(c.Labels, label{X: x + w/2, Y: y + rowH/2 + 5, Text: text, Anchor: "middle", Light: v != ledger.Unproven && v != ledger.Extra})
			}
			x += w
		}
	}
	return c
}

// evidenceChart draws how many keys rest on each kind of evidence, most
// first.
func evidenceChart(p *PairReport) chart {
	rows := evidenceRows(p)
	const left, rowH, gap = 140, 20, 6
	width := float64(chartWidth - left - 90)
	c := chart{
		Title: "Evidence of pair " + p.Name,
		Desc:  "One bar per kind of evidence: how many of the pair's keys rest on it.",
		W:     chartWidth, H: max(1, len(rows))*(rowH+gap) + 4,
	}
	var most int64
	for _, r := range rows {
		most = max(most, r.Keys)
	}
	for i, r := range rows {
		y := float64(2 + i*(rowH+gap))
		fill := "#1e6fb8"
		if !r.Strong {
			fill = "#9e9e9e"
		}
		w := math.Max(2, width*float64(r.Keys)/float64(max(1, most)))
		c.Labels = append(c.Labels, label{X: left - 8, Y: y + rowH/2 + 5, Text: string(r.Kind), Anchor: "end"})
		c.Bars = append(c.Bars, bar{X: left, Y: y, W: w, H: rowH, Fill: fill, Title: fmt.Sprintf("%s: %d keys", r.Kind, r.Keys)})
		c.Labels = append(c.Labels, label{X: left + w + 6, Y: y + rowH/2 + 5, Text: strconv.FormatInt(r.Keys, 10), Anchor: "start"})
	}
	return c
}

// evidenceRow is one kind of evidence and the keys resting on it.
type evidenceRow struct {
	Kind    ledger.Evidence
	Keys    int64
	Strong  bool
	Proves  string
	Meaning string
}

func evidenceRows(p *PairReport) []evidenceRow {
	var rows []evidenceRow
	for e, n := range p.Evidence {
		if n > 0 {
			rows = append(rows, evidenceRow{Kind: e, Keys: n, Strong: e.Strong(), Proves: evidenceProves(e), Meaning: evidenceMeaning(e)})
		}
	}
	slices.SortFunc(rows, func(a, b evidenceRow) int {
		if c := cmp.Compare(b.Keys, a.Keys); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	return rows
}

// burnSeries are the burn-down's stacked amounts, bottom first.
var burnSeries = []struct {
	name, color string
	hatched     bool
	of          func(PairProgress) Amount
}{
	{"legacy remaining", "#ef6c00", false, func(p PairProgress) Amount { return p.Remaining }},
	{"gone unsafely (critical)", verdictColor[ledger.DeletedUnverified], true, func(p PairProgress) Amount { return p.Unsafe }},
	{"deleted with parity proven", "#2e7d32", false, func(p PairProgress) Amount { return p.Deleted }},
}

// burnChart draws one pair's burn-down across runs: a column per run,
// stacked from the legacy objects (or bytes) remaining to those deleted.
func burnChart(pair string, points []HistoryPoint, bytes bool) chart {
	const left, right, top, bottom = 80, 12, 20, 36
	h := 220
	unit, format := "objects", formatCount
	if bytes {
		unit, format = "bytes", HumanBytes
	}
	c := chart{
		Title: fmt.Sprintf("Burn-down of pair %s, in %s", pair, unit),
		Desc:  fmt.Sprintf("One column per run, oldest first: the %s whose legacy copies remain at the bottom, those gone unsafely in the middle, those deleted with parity proven on top.", unit),
		W:     chartWidth, H: h,
	}
	plotW, plotH := float64(chartWidth-left-right), float64(h-top-bottom)
	amount := func(pt HistoryPoint, of func(PairProgress) Amount) int64 {
		for _, pp := range pt.Pairs {
			if pp.Name == pair {
				if a := of(pp); bytes {
					return a.Bytes
				} else {
					return a.Objects
				}
			}
		}
		return 0
	}
	var most int64
	for _, pt := range points {
		var total int64
		for _, s := range burnSeries {
			total += amount(pt, s.of)
		}
		most = max(most, total)
	}
	scale := niceCeil(most)
	if bytes {
		scale = niceCeilBytes(most)
	}
	base := float64(top) + plotH
	for _, f := range []float64{0, 0.5, 1} {
		y := base - plotH*f
		c.Lines = append(c.Lines, line{X1: left, Y1: y, X2: left + plotW, Y2: y})
		c.Labels = append(c.Labels, label{X: left - 6, Y: y + 4, Text: format(int64(float64(scale) * f)), Anchor: "end"})
	}
	c.Labels = append(c.Labels, label{X: 4, Y: top - 2, Text: unit, Anchor: "start"})
	n := max(1, len(points))
	slot := plotW / float64(n)
	colW := math.Min(48, slot*0.7)
	every := (n + 9) / 10 // at most about ten date labels
	for i, pt := range points {
		x := left + slot*float64(i) + (slot-colW)/2
		y := base
		for _, s := range burnSeries {
			v := amount(pt, s.of)
			if v == 0 || scale == 0 {
				continue
			}
			bh := plotH * float64(v) / float64(scale)
			y -= bh
			fill := s.color
			if s.hatched {
				fill = "url(#" + hatchID(ledger.DeletedUnverified) + ")"
			}
			c.Bars = append(c.Bars, bar{X: x, Y: y, W: colW, H: bh, Fill: fill,
				Title: fmt.Sprintf("run %s: %s %s", pt.RunID, format(v), s.name)})
		}
		if i%every == 0 || i == n-1 {
			c.Labels = append(c.Labels, label{X: x + colW/2, Y: base + 18, Text: pt.FinishedAt.UTC().Format("Jan 2"), Anchor: "middle"})
		}
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten.
func niceCeil(n int64) int64 {
	if n <= 0 {
		return 0
	}
	p := int64(1)
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

// niceCeilBytes rounds n up to 1, 2 or 5 times a binary unit's multiple
// of a power of ten (5 MiB, 200 GiB), so that axis labels read well.
func niceCeilBytes(n int64) int64 {
	unit := int64(1)
	for unit < 1<<60 && n/unit >= 1024 {
		unit *= 1024
	}
	return niceCeil((n+unit-1)/unit) * unit
}

func percent(n, total int64) string {
	if total == 0 {
		return "0%"
	}
	f := 100 * float64(n) / float64(total)
	if f < 1 && n > 0 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", f)
}

// formatCount writes n with thousands separators: 1,234,567.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + formatCount(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
