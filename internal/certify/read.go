package certify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// ErrNoRun is returned when the state location holds no complete run.
var ErrNoRun = errors.New("no run is complete")

// Subject is what a certificate is about: every key under a prefix, or one
// key, in every pair or in one.
type Subject struct {
	// Prefix selects the keys that begin with it ("" is every key); Key,
	// when set, selects that one key instead.
	Prefix string `json:"prefix"`
	Key    string `json:"key,omitempty"`
	// Pair limits the subject to one pair; "" is every pair.
	Pair string `json:"pair,omitempty"`
}

// Range is the key range the subject covers.
func (s Subject) Range() inventory.KeyRange {
	if s.Key != "" {
		return inventory.KeyRange{Start: s.Key, End: s.Key + "\x00"}
	}
	return inventory.KeyRange{Start: s.Prefix, End: prefixEnd(s.Prefix)}
}

// Holds reports whether key is the subject's.
func (s Subject) Holds(key string) bool {
	if s.Key != "" {
		return key == s.Key
	}
	return strings.HasPrefix(key, s.Prefix)
}

// String names the subject in words.
func (s Subject) String() string {
	var what string
	switch {
	case s.Key != "":
		what = fmt.Sprintf("key %q", s.Key)
	case s.Prefix == "":
		what = "every key"
	default:
		what = fmt.Sprintf("prefix %q", s.Prefix)
	}
	if s.Pair != "" {
		what += " of pair " + s.Pair
	}
	return what
}

// prefixEnd is the least key after every key that begins with p: p with
// its last byte below 0xff incremented; "" (no bound) when there is none.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// partsFor returns the ledger parts of a manifest whose keys (their first
// and last) may hold keys of the subject: the only parts a certificate
// reads, and the parts Verify expects it to name.
func partsFor(m *ledger.Manifest, subj Subject) []PartRef {
	rng := subj.Range()
	var out []PartRef
	for _, mp := range m.Pairs {
		if subj.Pair != "" && mp.Name != subj.Pair {
			continue
		}
		for _, sh := range mp.Shards {
			if !overlaps(sh.Range, rng) {
				continue
			}
			for _, f := range sh.Files {
				if f.Entries == 0 || (rng.End != "" && f.First >= rng.End) || f.Last < rng.Start {
					continue
				}
				out = append(out, PartRef{Pair: mp.Name, Path: f.Path, SHA256: f.SHA256, Entries: f.Entries, First: f.First, Last: f.Last})
			}
		}
	}
	return out
}

func overlaps(a, b inventory.KeyRange) bool {
	return (a.End == "" || b.Start < a.End) && (b.End == "" || a.Start < b.End)
}

// runData is what one run's ledgers say of the subject.
type runData struct {
	ref     RunRef
	pairs   []string // the run's pairs, as its manifest lists them
	entries map[objectID]*ledger.Entry
}

type objectID struct{ Pair, Key string }

// maxObjects bounds the objects of one certificate, which are held in
// memory: a data subject's objects, not a whole estate.
const maxObjects = 1_000_000

// collect reads, from every complete run at the state location (oldest
// first), the ledger parts that may hold the subject's keys, each checked
// against its manifest digest, and keeps the subject's entries.
func collect(ctx context.Context, st *state.State, subj Subject, newest int) ([]runData, error) {
	ids, err := completeRuns(ctx, st)
	if err != nil {
		return nil, err
	}
	if newest > 0 && len(ids) > newest {
		ids = ids[len(ids)-newest:]
	}
	var runs []runData
	objects := 0
	for _, id := range ids {
		rec, err := st.ReadRecord(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading the record of run %s: %w", id, err)
		}
		m, digest, err := st.ReadManifest(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading the manifest of run %s: %w", id, err)
		}
		finished, err := st.FinishedAt(ctx, id)
		if err != nil {
			return nil, err
		}
		rd := runData{
			ref: RunRef{RunID: id, StartedAt: rec.StartedAt, FinishedAt: finished, Clock: rec.Clock,
				Manifest: st.ManifestURL(id), SHA256: digest},
			entries: map[objectID]*ledger.Entry{},
		}
		for _, mp := range m.Pairs {
			rd.pairs = append(rd.pairs, mp.Name)
		}
		for _, p := range partsFor(m, subj) {
			p.URL = st.LedgerURL(id, p.Path)
			f := ledger.ManifestFile{Path: p.Path, Digest: ledger.Digest{Entries: p.Entries, SHA256: p.SHA256, First: p.First, Last: p.Last}}
			err := st.ReadLedger(ctx, id, f, func(e *ledger.Entry) error {
				if !subj.Holds(e.Key) {
					return nil
				}
				if objects++; objects > maxObjects*len(ids) {
					return fmt.Errorf("more than %d objects: narrow the prefix", maxObjects)
				}
				c := e.Clone()
				rd.entries[objectID{p.Pair, e.Key}] = &c
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("reading the ledger of run %s: %w", id, err)
			}
			rd.ref.Parts = append(rd.ref.Parts, p)
		}
		runs = append(runs, rd)
	}
	return runs, nil
}

// completeRuns lists the complete runs at the state location, oldest
// first: the newest, and each one's previous run in turn. A run that was
// abandoned (begun again with --restart) is no complete run's previous.
func completeRuns(ctx context.Context, st *state.State) ([]string, error) {
	latest, err := st.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the newest complete run: %w", err)
	}
	if latest == "" {
		return nil, fmt.Errorf("%w at %s", ErrNoRun, st.URL(""))
	}
	var ids []string
	seen := map[string]bool{}
	for id := latest; id != "" && !seen[id]; {
		seen[id] = true
		complete, err := st.Complete(ctx, id)
		if err != nil {
			return nil, err
		}
		rec, err := st.ReadRecord(ctx, id)
		if errors.Is(err, storage.ErrNotExist) {
			break // runs older than the state location's history
		}
		if err != nil {
			return nil, fmt.Errorf("reading the record of run %s: %w", id, err)
		}
		if complete {
			ids = append(ids, id)
		}
		id = rec.PreviousRunID
	}
	slices.Reverse(ids)
	return ids, nil
}

// dateOf formats an instant for statements.
func dateOf(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
