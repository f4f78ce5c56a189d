package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// MaxHistory bounds the points of a burn-down: this run and the newest
// earlier runs.
const MaxHistory = 60

// HistoryPoint is one run's place in the burn-down.
type HistoryPoint struct {
	RunID      string    `json:"run_id"`
	FinishedAt time.Time `json:"finished_at"`
	// Report is the report.json the point was read from; empty for the
	// report's own run.
	Report string         `json:"report,omitempty"`
	Pairs  []PairProgress `json:"pairs"`
}

// PairProgress is how far one pair's deletion had come in a run.
type PairProgress struct {
	Name string `json:"name"`
	// Remaining are the keys whose legacy copies were still there (or
	// could not be judged): every verdict but deleted, extra,
	// deleted_unverified and copy_lost.
	Remaining Amount `json:"remaining"`
	// Deleted are the keys deleted with parity proven.
	Deleted Amount `json:"deleted"`
	// Unsafe are the keys whose legacy copies are gone without parity
	// proven, or whose proven copies were since lost: the critical
	// verdicts.
	Unsafe Amount `json:"unsafe"`
}

// Amount is a number of objects and their bytes.
type Amount struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

// progressOf sorts a pair's counts into the burn-down's three amounts.
func progressOf(p *PairReport) PairProgress {
	pp := PairProgress{Name: p.Name}
	for _, v := range ledger.Verdicts {
		a := Amount{p.Verdicts[v], p.Bytes[v]}
		var into *Amount
		switch {
		case v == ledger.Deleted:
			into = &pp.Deleted
		case v.Severity() == ledger.Critical:
			into = &pp.Unsafe
		case v == ledger.Extra:
			continue
		default:
			into = &pp.Remaining
		}
		into.Objects += a.Objects
		into.Bytes += a.Bytes
	}
	return pp
}

// pointOf is a report's own point.
func pointOf(r *Report, reportURL string) HistoryPoint {
	h := HistoryPoint{RunID: r.RunID, FinishedAt: r.FinishedAt, Report: reportURL, Pairs: []PairProgress{}}
	for i := range r.Pairs {
		h.Pairs = append(h.Pairs, progressOf(&r.Pairs[i]))
	}
	return h
}

// history reads the burn-down: the complete reports of earlier runs found
// at the reports location, oldest first, then this run. A report that
// cannot be read is left out with a warning: the burn-down illustrates,
// the ledger proves.
func history(ctx context.Context, st storage.Store, r *Report, log *slog.Logger) ([]HistoryPoint, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var points []HistoryPoint
	if st != nil {
		names, err := st.List(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("listing earlier reports for the burn-down: %w", err)
		}
		var earlier []string
		for _, n := range names {
			id, ok := strings.CutSuffix(n, "/report.json")
			if ok && !strings.Contains(id, "/") && id < r.RunID {
				earlier = append(earlier, n)
			}
		}
		if len(earlier) > MaxHistory-1 {
			earlier = earlier[len(earlier)-(MaxHistory-1):]
		}
		for _, n := range earlier {
			p, err := readPoint(ctx, st, n)
			if err != nil {
				log.Warn("an earlier report is left out of the burn-down", "report", st.URL(n), "error", err)
				continue
			}
			if p != nil {
				points = append(points, *p)
			}
		}
	}
	points = append(points, pointOf(r, ""))
	slices.SortStableFunc(points, func(a, b HistoryPoint) int { return strings.Compare(a.RunID, b.RunID) })
	return points, nil
}

// readPoint reads the head of an earlier report.json — its id, finish
// time, completeness and pairs — without reading its exceptions. It
// returns nil for an incomplete run.
func readPoint(ctx context.Context, st storage.Store, name string) (*HistoryPoint, error) {
	rc, err := st.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := json.NewDecoder(bufio.NewReader(rc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("reading %s: not a JSON object", st.URL(name))
	}
	var head struct {
		Schema     string
		RunID      string
		FinishedAt time.Time
		Complete   bool
		Pairs      []PairReport
	}
	fields := map[string]any{
		"schema": &head.Schema, "run_id": &head.RunID, "finished_at": &head.FinishedAt,
		"complete": &head.Complete, "pairs": &head.Pairs,
	}
	for len(fields) > 0 && dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", st.URL(name), err)
		}
		key, _ := t.(string)
		dst, ok := fields[key]
		if !ok {
			var skip json.RawMessage
			dst = &skip
		}
		if err := dec.Decode(dst); err != nil {
			return nil, fmt.Errorf("reading %s: field %q: %w", st.URL(name), key, err)
		}
		delete(fields, key)
	}
	if len(fields) > 0 {
		return nil, fmt.Errorf("reading %s: not a parityproof report: %d of its fields are missing", st.URL(name), len(fields))
	}
	if head.Schema != Schema {
		return nil, fmt.Errorf("reading %s: schema %q, want %q", st.URL(name), head.Schema, Schema)
	}
	if want, _ := strings.CutSuffix(name, "/report.json"); head.RunID != want {
		return nil, fmt.Errorf("reading %s: it is the report of run %q", st.URL(name), head.RunID)
	}
	if !head.Complete {
		return nil, nil
	}
	p := HistoryPoint{RunID: head.RunID, FinishedAt: head.FinishedAt, Report: st.URL(name), Pairs: []PairProgress{}}
	for i := range head.Pairs {
		p.Pairs = append(p.Pairs, progressOf(&head.Pairs[i]))
	}
	return &p, nil
}
