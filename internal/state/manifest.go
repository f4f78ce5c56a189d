package state

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
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
// manifest. The manifest is written a shard at a time from the
// checkpoints, each shard with what its checkpoint recorded: its tally,
// evidence, exception files and split points.
func (s *State) Finish(ctx context.Context, rec *Record, at time.Time) (*Finished, error) {
	out := &Finished{Tallies: map[string]*ledger.Tally{}}
	_, digest, err := s.putManifest(ctx, func(string) string { return ManifestName(rec.RunID) }, func(mw *ledger.ManifestWriter) error {
		return s.writeShards(ctx, rec, mw, out.Tallies, func(pair string, sh PlannedShard, cp Checkpoint) (bool, error) {
			if !cp.Done {
				return false, fmt.Errorf("run %s: shard %s of pair %s is %w", rec.RunID, sh.ID, pair, ErrShardsPending)
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
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

// writeShards writes the manifest entries of the run's shards that keep
// says to keep, counting each pair's tally into tallies.
func (s *State) writeShards(ctx context.Context, rec *Record, mw *ledger.ManifestWriter, tallies map[string]*ledger.Tally,
	keep func(pair string, sh PlannedShard, cp Checkpoint) (bool, error)) error {
	pair := ""
	return s.Checkpoints(ctx, rec, func(p string, sh PlannedShard, cp Checkpoint) error {
		ok, err := keep(p, sh, cp)
		if err != nil {
			return err
		}
		if p != pair {
			if err := mw.Pair(p); err != nil {
				return err
			}
			pair = p
			t := ledger.NewTally()
			tallies[p] = &t
		}
		if !ok {
			return nil
		}
		tallies[p].Merge(cp.Tally)
		ms := &ledger.ManifestShard{ID: sh.ID, Range: sh.Range, Files: cp.Parts}
		if cp.Recorded() {
			t := cp.Tally
			ms.Tally, ms.Evidence, ms.Exceptions, ms.SplitEvery, ms.SplitPoints = &t, cp.Evidence, cp.Exceptions, cp.SplitEvery, cp.SplitPoints
		}
		return mw.Shard(ms)
	})
}

// putManifest writes the manifest fill writes through a temporary file (a
// manifest grows with the number of ledger parts), then stores it at the
// name nameFor gives its SHA-256, and returns that name and digest.
func (s *State) putManifest(ctx context.Context, nameFor func(sha256 string) string, fill func(*ledger.ManifestWriter) error) (string, string, error) {
	f, err := os.CreateTemp("", "parityproof-manifest-*.json")
	if err != nil {
		return "", "", fmt.Errorf("writing a manifest: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(f, h))
	mw := ledger.NewManifestWriter(bw)
	if err := fill(mw); err != nil {
		return "", "", err
	}
	if err := mw.Close(); err != nil {
		return "", "", fmt.Errorf("writing a manifest: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return "", "", fmt.Errorf("writing a manifest: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", "", fmt.Errorf("writing a manifest: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	name := nameFor(digest)
	if err := s.st.Put(ctx, name, f, storage.PutOptions{ContentType: "application/json"}); err != nil {
		return "", "", err
	}
	return name, digest, nil
}

// Partial is the manifest of the done shards of a run that is not
// complete, and the shards that are not done.
type Partial struct {
	// ManifestName is where the manifest is (PartialManifestName);
	// ManifestURL and ManifestSHA256 as in Finished.
	ManifestName   string
	ManifestURL    string
	ManifestSHA256 string
	// At is when it was written.
	At time.Time
	// Pending are the shards not done, with the failure recorded for each,
	// if any.
	Pending []PendingShard
}

// PendingShard is a shard of a run that is not done.
type PendingShard struct {
	Pair  string       `json:"pair"`
	Shard PlannedShard `json:"shard"`
	// Cursor is the last key of its last checkpoint, "" if none.
	Cursor string `json:"cursor"`
	// Failure is why its last attempt failed, nil when none is recorded.
	Failure *Failure `json:"failure,omitempty"`
}

// FinishPartial writes the manifest of the done shards of a run some of
// whose shards are not done — the run stays in progress, resumable, and
// latest.json is left as it is — and returns it with the shards not done.
// The manifest is named by its SHA-256, so that each partial report keeps
// the manifest it was built from.
func (s *State) FinishPartial(ctx context.Context, rec *Record, at time.Time) (*Partial, error) {
	out := &Partial{At: at.UTC().Truncate(time.Second)}
	name, digest, err := s.putManifest(ctx, func(d string) string { return PartialManifestName(rec.RunID, d) }, func(mw *ledger.ManifestWriter) error {
		return s.writeShards(ctx, rec, mw, map[string]*ledger.Tally{}, func(pair string, sh PlannedShard, cp Checkpoint) (bool, error) {
			if cp.Done {
				return true, nil
			}
			p := PendingShard{Pair: pair, Shard: sh, Cursor: cp.Cursor}
			f, err := s.ReadFailure(ctx, rec.RunID, pair, sh.ID)
			if err != nil {
				return false, err
			}
			p.Failure = f
			out.Pending = append(out.Pending, p)
			return false, nil
		})
	})
	if err != nil {
		return nil, err
	}
	out.ManifestName, out.ManifestURL, out.ManifestSHA256 = name, s.st.URL(name), digest
	return out, nil
}

// WalkManifest reads the manifest at name (ManifestName,
// PartialManifestName) a shard at a time, calling fn with each (as
// ledger.WalkManifest), and returns the SHA-256 of its bytes.
func (s *State) WalkManifest(ctx context.Context, name string, fn func(pair string, sh *ledger.ManifestShard) error) (string, error) {
	rc, err := s.st.Get(ctx, name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	r := io.TeeReader(bufio.NewReaderSize(rc, 1<<16), h)
	if err := ledger.WalkManifest(r, s.st.URL(name), fn); err != nil {
		return "", err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", fmt.Errorf("reading %s: %w", s.st.URL(name), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
