package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// ReadManifest reads a run's manifest and returns it with its digest.
func (s *State) ReadManifest(ctx context.Context, runID string) (*ledger.Manifest, string, error) {
	name := ManifestName(runID)
	b, err := s.readAll(ctx, name)
	if err != nil {
		return nil, "", err
	}
	m, err := ledger.DecodeManifest(b, s.st.URL(name))
	if err != nil {
		return nil, "", &DamagedError{URL: s.st.URL(name), Problem: err.Error()}
	}
	return m, ledger.ManifestDigest(b), nil
}

// ManifestURL returns where a run's manifest is.
func (s *State) ManifestURL(runID string) string { return s.st.URL(ManifestName(runID)) }

// Finished is what Finish wrote.
type Finished struct {
	ManifestURL    string
	ManifestSHA256 string
	// Tallies holds each pair's counts.
	Tallies map[string]*ledger.Tally
}

// ErrShardsPending is wrapped by Finish's error when a shard is not done.
var ErrShardsPending = errors.New("not done")

// Finish completes a run whose shards are all done: it writes the manifest
// of their ledger parts and the finish time, points latest.json at the run
// and clears current.json. Finishing a finished run again writes the same
// manifest.
func (s *State) Finish(ctx context.Context, rec *Record, at time.Time) (*Finished, error) {
	m := &ledger.Manifest{Schema: ledger.ManifestSchema}
	out := &Finished{Tallies: map[string]*ledger.Tally{}}
	for _, p := range rec.Pairs {
		mp := ledger.ManifestPair{Name: p.Name}
		t := ledger.NewTally()
		for _, sh := range p.Shards {
			cp, err := s.ReadCheckpoint(ctx, rec.RunID, p.Name, sh.ID)
			if err != nil {
				return nil, err
			}
			if !cp.Done {
				return nil, fmt.Errorf("run %s: shard %s of pair %s is %w", rec.RunID, sh.ID, p.Name, ErrShardsPending)
			}
			t.Merge(cp.Tally)
			mp.Shards = append(mp.Shards, ledger.ManifestShard{ID: sh.ID, Range: sh.Range, Files: cp.Parts})
		}
		out.Tallies[p.Name] = &t
		m.Pairs = append(m.Pairs, mp)
	}
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if err := s.st.Put(ctx, ManifestName(rec.RunID), bytes.NewReader(b), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return nil, err
	}
	digest := ledger.ManifestDigest(b)
	if err := s.putJSON(ctx, finishedName(rec.RunID), finished{FinishedAt: at.UTC().Truncate(time.Second), ManifestSHA256: digest}); err != nil {
		return nil, err
	}
	if err := s.SetLatest(ctx, rec.RunID); err != nil {
		return nil, err
	}
	// Clear the pointer only if it still names this run: a run begun
	// meanwhile (parityproof run --restart, while the functions finish
	// this one) stays in progress.
	cur, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	if cur == rec.RunID {
		if err := s.SetCurrent(ctx, ""); err != nil {
			return nil, err
		}
	}
	out.ManifestURL = s.ManifestURL(rec.RunID)
	out.ManifestSHA256 = digest
	return out, nil
}

// finished records when a run's manifest was written, and its digest.
type finished struct {
	FinishedAt     time.Time `json:"finished_at"`
	ManifestSHA256 string    `json:"manifest_sha256,omitempty"`
}

// CheckManifest checks that the complete run runID's manifest reads, and
// that its SHA-256 is the one recorded when the run finished (runs
// finished before the digest was recorded are checked for reading only).
// A manifest that fails wraps ErrLedgerDamaged.
func (s *State) CheckManifest(ctx context.Context, runID string) error {
	var f finished
	ok, err := s.getJSON(ctx, finishedName(runID), &f)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("run %s has no finish time: %w", runID, storage.ErrNotExist)
	}
	_, digest, err := s.ReadManifest(ctx, runID)
	if errors.Is(err, storage.ErrNotExist) {
		return &DamagedError{URL: s.ManifestURL(runID), Problem: "the manifest is missing"}
	}
	if err != nil {
		return err
	}
	if f.ManifestSHA256 != "" && digest != f.ManifestSHA256 {
		return &DamagedError{URL: s.ManifestURL(runID), Problem: fmt.Sprintf("its SHA-256 is %s, but %s was recorded when the run finished", digest, f.ManifestSHA256)}
	}
	return nil
}

// CheckLedgerSizes checks, without reading them, that every ledger part
// the complete run runID's manifest lists is there with the size the
// manifest gives (a listing of the run's ledger, where the location lists
// sizes): a part truncated, grown or missing wraps ErrLedgerDamaged. The
// parts' digests are checked as runs read them.
func (s *State) CheckLedgerSizes(ctx context.Context, runID string) error {
	sl, ok := s.st.(storage.SizeLister)
	if !ok {
		return nil
	}
	m, _, err := s.ReadManifest(ctx, runID)
	if err != nil {
		return err
	}
	sizes, err := sl.ListSizes(ctx, RunDir(runID)+"ledger/")
	if err != nil {
		return err
	}
	for _, p := range m.Pairs {
		for _, sh := range p.Shards {
			for _, f := range sh.Files {
				got, found := sizes[RunDir(runID)+f.Path]
				switch {
				case !found:
					return &DamagedError{URL: s.LedgerURL(runID, f.Path), Problem: "the ledger part the manifest lists is missing"}
				case got != f.Bytes:
					return &DamagedError{URL: s.LedgerURL(runID, f.Path), Problem: fmt.Sprintf("%d bytes, but the manifest says %d (SHA-256 %s)", got, f.Bytes, f.SHA256)}
				}
			}
		}
	}
	return nil
}

// FinishedAt returns when a complete run finished; the error wraps
// storage.ErrNotExist when it has not.
func (s *State) FinishedAt(ctx context.Context, runID string) (time.Time, error) {
	var f finished
	ok, err := s.getJSON(ctx, finishedName(runID), &f)
	if err == nil && !ok {
		err = fmt.Errorf("run %s has no finish time: %w", runID, storage.ErrNotExist)
	}
	return f.FinishedAt, err
}

// Complete reports whether the run runID has been finished.
func (s *State) Complete(ctx context.Context, runID string) (bool, error) {
	_, err := s.FinishedAt(ctx, runID)
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// pointer names a run, as current.json and latest.json do.
type pointer struct {
	RunID string `json:"run_id"`
}

// Current returns the run in progress, "" if none.
func (s *State) Current(ctx context.Context) (string, error) {
	var p pointer
	_, err := s.getJSON(ctx, currentName, &p)
	return p.RunID, err
}

// SetCurrent records runID as the run in progress; "" records none.
func (s *State) SetCurrent(ctx context.Context, runID string) error {
	return s.putRewritten(ctx, currentName, pointer{RunID: runID})
}

// Latest returns the newest complete run, "" if none.
func (s *State) Latest(ctx context.Context) (string, error) {
	var p pointer
	_, err := s.getJSON(ctx, latestName, &p)
	return p.RunID, err
}

// SetLatest records runID as the newest complete run.
func (s *State) SetLatest(ctx context.Context, runID string) error {
	return s.putRewritten(ctx, latestName, pointer{RunID: runID})
}
