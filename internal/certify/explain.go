package certify

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// KeyHistory is one key of one pair across runs, for an engineer chasing
// an exception.
type KeyHistory struct {
	Pair string `json:"pair"`
	Key  string `json:"key"`
	// Runs are newest first; a run whose ledger lacks the key has no
	// Entry.
	Runs []KeyInRun `json:"runs"`
}

// KeyInRun is what one run's ledger says of a key.
type KeyInRun struct {
	RunID     string        `json:"run_id"`
	StartedAt string        `json:"started_at"`
	Clock     string        `json:"clock,omitempty"`
	Part      string        `json:"part,omitempty"`
	Entry     *ledger.Entry `json:"entry,omitempty"`
}

// Explain returns the history of key in every pair whose ledgers hold it
// (or in pair alone), over the newest runs complete runs (every one when
// runs is 0). Only the ledger part that may hold the key is read in each
// run, checked against its manifest. No history means no ledger holds it.
func Explain(ctx context.Context, st *state.State, pair, key string, runs int) ([]KeyHistory, error) {
	if key == "" {
		return nil, fmt.Errorf("explain needs a key")
	}
	data, err := collect(ctx, st, Subject{Key: key, Pair: pair}, runs)
	if err != nil {
		return nil, err
	}
	var pairs []string
	for _, r := range data {
		for id := range r.entries {
			if !slices.Contains(pairs, id.Pair) {
				pairs = append(pairs, id.Pair)
			}
		}
	}
	slices.Sort(pairs)
	var out []KeyHistory
	for _, p := range pairs {
		h := KeyHistory{Pair: p, Key: key}
		for i := len(data) - 1; i >= 0; i-- {
			r := data[i]
			kr := KeyInRun{RunID: r.ref.RunID, StartedAt: dateOf(r.ref.StartedAt), Clock: r.ref.Clock, Entry: r.entries[objectID{p, key}]}
			for _, part := range r.ref.Parts {
				if part.Pair == p && kr.Entry != nil {
					kr.Part = part.URL
				}
			}
			h.Runs = append(h.Runs, kr)
		}
		out = append(out, h)
	}
	return out, nil
}

// WriteExplanation writes histories as text: per run, the verdict and
// evidence, the detail, what every store held, the comparisons, and the
// proof and deletion the ledger carries.
func WriteExplanation(w io.Writer, hs []KeyHistory) error {
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteString("\n")
		}
		judged := 0
		for _, r := range h.Runs {
			if r.Entry != nil {
				judged++
			}
		}
		fmt.Fprintf(&b, "key %q, pair %s: in %d of the %s read, newest first\n", h.Key, h.Pair, judged, count(len(h.Runs), "run", "runs"))
		for _, r := range h.Runs {
			fmt.Fprintf(&b, "\nrun %s (%s)", r.RunID, r.StartedAt)
			if r.Clock != "" {
				b.WriteString(", simulated clock")
			}
			b.WriteString(":")
			e := r.Entry
			if e == nil {
				b.WriteString(" not in this run's ledger\n")
				continue
			}
			fmt.Fprintf(&b, " %s (%s), evidence %s\n", e.Verdict, e.Verdict.Severity(), e.Evidence)
			if e.Detail != "" {
				fmt.Fprintf(&b, "  detail:   %s\n", e.Detail)
			}
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			for _, s := range e.Stores {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Role, s.Store, describe(&s))
			}
			for _, held := range e.HeldBy {
				if _, ok := e.Store(held); !ok {
					fmt.Fprintf(tw, "  legacy\t%s\tgone (held it before)\n", held)
				}
			}
			tw.Flush()
			for _, c := range e.Comparisons {
				carried := ""
				if c.Carried {
					carried = ", carried from the proof"
				}
				fmt.Fprintf(&b, "  compared: %s with the target by %s: %s (%s vs %s%s)\n", c.Store, c.Evidence, c.Result, c.Legacy, c.Target, carried)
			}
			if p := e.ProvenAt; p != nil {
				var sums []string
				for _, cs := range p.Checksums {
					sums = append(sums, ledger.ChecksumValue(cs).String())
				}
				fmt.Fprintf(&b, "  proven:   %s by %s: target size %d %s\n", dateOf(p.At), p.Evidence, p.Size, strings.Join(sums, " "))
			}
			if e.DeletedAt != nil {
				fmt.Fprintf(&b, "  deleted:  %s (every legacy copy found gone)\n", dateOf(*e.DeletedAt))
			}
			if r.Part != "" {
				fmt.Fprintf(&b, "  ledger:   %s\n", r.Part)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describe says what a store held of the key.
func describe(s *ledger.StoreFingerprint) string {
	parts := []string{s.Presence.String(), fmt.Sprintf("%d bytes", s.Size)}
	if s.VersionID != "" {
		parts = append(parts, "version "+s.VersionID)
	}
	if s.NoncurrentVersions > 0 {
		parts = append(parts, fmt.Sprintf("%d noncurrent versions", s.NoncurrentVersions))
	}
	if s.UnfinishedUploads > 0 {
		parts = append(parts, fmt.Sprintf("%d unfinished uploads", s.UnfinishedUploads))
	}
	if s.StorageTier != "" {
		parts = append(parts, "tier "+s.StorageTier)
	}
	for _, cs := range s.Checksums {
		parts = append(parts, ledger.ChecksumValue(cs).String()+" ("+string(cs.Source)+")")
	}
	return strings.Join(parts, ", ")
}
