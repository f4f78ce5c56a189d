package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// The state location's layout:
//
//	current.json                              the run in progress, if any
//	latest.json                               the newest complete run
//	runs/<run>/run.json                       the run's record and plan
//	runs/<run>/shards/<pair>/<shard>.json     a shard's checkpoint
//	runs/<run>/ledger/<pair>/<shard>/part-NNNNNN.jsonl.gz
//	runs/<run>/manifest.json                  written when every shard is done

// RecordSchema names the run record format.
const RecordSchema = "parityproof.run/v1"

// Record is a run's identity and plan, written when the run begins and
// read by every later step (another worker, a resumed process, a Lambda).
type Record struct {
	Schema string `json:"schema"`
	RunID  string `json:"run_id"`
	// StartedAt is the run's clock: every proof and deletion it records is
	// stamped with it, so a resumed run writes what an uninterrupted one
	// would have.
	StartedAt     time.Time `json:"started_at"`
	ConfigDigest  string    `json:"config_digest"`
	PreviousRunID string    `json:"previous_run_id,omitempty"`
	ToolVersion   string    `json:"tool_version"`
	// RanBy is who began the run (the caller's identities in its clouds),
	// as the caller described it; the report names it.
	RanBy json.RawMessage `json:"ran_by,omitempty"`
	Pairs []PlannedPair   `json:"pairs"`
}

// PlannedPair is a pair's shards.
type PlannedPair struct {
	Name   string         `json:"name"`
	Shards []PlannedShard `json:"shards"`
}

// PlannedShard is one key range of one pair.
type PlannedShard struct {
	ID    string             `json:"id"`
	Range inventory.KeyRange `json:"range"`
}

// Checkpoint is a shard's progress: the ledger parts written so far, each
// ending at a multiple of the checkpoint interval, so that where a run was
// interrupted never shows in what it writes.
type Checkpoint struct {
	// Cursor is the last key of the last part; "" before the first.
	Cursor string `json:"cursor"`
	// Parts are the ledger parts written, in order.
	Parts []ledger.ManifestFile `json:"parts"`
	// Tally counts the verdicts in Parts.
	Tally ledger.Tally `json:"tally"`
	// DeepBytes counts the bytes read for the keys in Parts, against the
	// run's deep verification budget.
	DeepBytes int64 `json:"deep_bytes"`
	// Done is set when the shard's whole range is judged.
	Done bool `json:"done"`
}

// pointer names a run, as current.json and latest.json do.
type pointer struct {
	RunID string `json:"run_id"`
}

func runDir(runID string) string { return "runs/" + runID + "/" }

func recordName(runID string) string { return runDir(runID) + "run.json" }

func manifestName(runID string) string { return runDir(runID) + "manifest.json" }

func checkpointName(runID, pair, shard string) string {
	return fmt.Sprintf("%sshards/%s/%s.json", runDir(runID), pair, shard)
}

// partPath is a ledger part's path relative to the run's folder.
func partPath(pair, shard string, n int) string {
	return fmt.Sprintf("ledger/%s/%s/part-%06d%s", pair, shard, n, ledger.FileExt)
}

func putJSON(ctx context.Context, st storage.Store, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return st.Put(ctx, name, bytes.NewReader(append(b, '\n')), storage.PutOptions{ContentType: "application/json"})
}

// getJSON reads name into v strictly. It returns false when name holds
// nothing.
func getJSON(ctx context.Context, st storage.Store, name string, v any) (bool, error) {
	rc, err := st.Get(ctx, name)
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", st.URL(name), err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("reading %s: %w", st.URL(name), err)
	}
	return true, nil
}

// ReadManifest reads a run's manifest and returns it with its digest.
func ReadManifest(ctx context.Context, st storage.Store, runID string) (*ledger.Manifest, string, error) {
	name := manifestName(runID)
	rc, err := st.Get(ctx, name)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", st.URL(name), err)
	}
	m, err := ledger.DecodeManifest(b, st.URL(name))
	if err != nil {
		return nil, "", err
	}
	return m, ledger.ManifestDigest(b), nil
}

// ReadRecord reads a run's record.
func ReadRecord(ctx context.Context, st storage.Store, runID string) (*Record, error) {
	var rec Record
	ok, err := getJSON(ctx, st, recordName(runID), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("run %s: %w", runID, storage.ErrNotExist)
	}
	return &rec, nil
}

// LatestRunID returns the newest complete run, "" if none.
func LatestRunID(ctx context.Context, st storage.Store) (string, error) {
	var p pointer
	_, err := getJSON(ctx, st, "latest.json", &p)
	return p.RunID, err
}

// ManifestURL returns where a run's manifest is.
func ManifestURL(st storage.Store, runID string) string { return st.URL(manifestName(runID)) }

// OpenLedgerFile opens one of a run's ledger files by its manifest path.
func OpenLedgerFile(ctx context.Context, st storage.Store, runID, path string) (io.ReadCloser, error) {
	return st.Get(ctx, runDir(runID)+path)
}

// finished records when a run's manifest was written.
type finished struct {
	FinishedAt time.Time `json:"finished_at"`
}

func finishedName(runID string) string { return runDir(runID) + "finished.json" }

// FinishedAt returns when a complete run finished.
func FinishedAt(ctx context.Context, st storage.Store, runID string) (time.Time, error) {
	var f finished
	ok, err := getJSON(ctx, st, finishedName(runID), &f)
	if err == nil && !ok {
		err = fmt.Errorf("run %s has no finish time: %w", runID, storage.ErrNotExist)
	}
	return f.FinishedAt, err
}
