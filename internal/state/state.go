// Package state keeps a run's files at the state location, and is the one
// place that knows where they go. The orchestrator (internal/run) and the
// shard verifier (internal/verify) write them; the report (internal/report)
// reads them. Every name is relative to the location:
//
//	current.json                                           the run in progress ({"run_id": ""} when none)
//	latest.json                                            the newest complete run
//	runs/<run>/run.json                                    the run's record: id, clock, configuration digest, who began it, plan
//	runs/<run>/shards/<pair>/<shard>.json                  a shard's checkpoint
//	runs/<run>/ledger/<pair>/<shard>/part-NNNNNN.jsonl.gz  the shard's ledger, in parts
//	runs/<run>/exceptions/<pair>/<shard>/part-NNNNNN.jsonl.gz  the exceptions of the ledger part of the same number, if it has any
//	runs/<run>/map/shards.jsonl                            the shard tasks, one JSON object a line, for the Distributed Map's ItemReader
//	runs/<run>/map/results/…                               the Distributed Map's ResultWriter output (Step Functions writes it)
//	runs/<run>/failures/<pair>/<shard>.json                why a shard's last attempt failed (the state machine's Catch)
//	runs/<run>/manifest.json                               every ledger part and its digest, written when every shard is done
//	runs/<run>/finished.json                               when the manifest was written
//	runs/<run>/partial-manifest-<sha256>.json              the manifest of the shards done, for the report of a run some of whose shards failed
//	rejudged/<run>/<pair>/<sha256 of key>/<time>-<events>.json   a key re-judged after deletion events
//	lease.json                                             the state location's lease: who may begin and finish runs
//	runs/<run>/shards/<pair>/<shard>.lease.json            a shard's lease: who may write its parts and checkpoint
//	runs/<run>/damaged.json                                why a complete run's ledger can no longer be used as history
//
// Every file is written whole or not at all (storage.Store's contract) and
// nothing is ever deleted. The files rewritten in place — pointers,
// checkpoints, leases — carry storage.RewrittenTags, which the state
// bucket's lifecycle rules select to expire their old versions.
package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/parityproof/parityproof/internal/storage"
)

// State is a state location.
type State struct {
	st storage.Store

	mu    sync.Mutex
	index *manifestIndex // the newest manifest index asked for
	part  *partEntries   // the ledger part LedgerEntry read last
}

// New returns the state location kept in st.
func New(st storage.Store) *State { return &State{st: st} }

// Store returns the storage the state is kept in.
func (s *State) Store() storage.Store { return s.st }

// URL returns where name is, for reports and messages.
func (s *State) URL(name string) string { return s.st.URL(name) }

// Names of the files at the state location.
const (
	currentName = "current.json"
	latestName  = "latest.json"
)

// RunDir is the folder of a run's files, ending in "/".
func RunDir(runID string) string { return "runs/" + runID + "/" }

// RecordName is where a run's record is.
func RecordName(runID string) string { return RunDir(runID) + "run.json" }

// ManifestName is where a run's manifest is.
func ManifestName(runID string) string { return RunDir(runID) + "manifest.json" }

// CheckpointName is where a shard's checkpoint is.
func CheckpointName(runID, pair, shard string) string {
	return fmt.Sprintf("%sshards/%s/%s.json", RunDir(runID), pair, shard)
}

func finishedName(runID string) string { return RunDir(runID) + "finished.json" }

// ShardListName is where a run's shard tasks are listed for the
// Distributed Map: one JSON object a line.
func ShardListName(runID string) string { return RunDir(runID) + "map/shards.jsonl" }

// MapResultsPrefix is where the Distributed Map writes its results
// (ResultWriter's Prefix), ending in "/".
func MapResultsPrefix(runID string) string { return RunDir(runID) + "map/results/" }

// FailureName is where the failure of a shard's last attempt is recorded.
func FailureName(runID, pair, shard string) string {
	return fmt.Sprintf("%sfailures/%s/%s.json", RunDir(runID), pair, shard)
}

// PartialManifestName is where the manifest of a run's done shards is
// kept, by its SHA-256, for the report of a run some of whose shards
// failed.
func PartialManifestName(runID, sha256 string) string {
	return RunDir(runID) + "partial-manifest-" + sha256 + ".json"
}

// putJSON writes v as indented JSON.
func (s *State) putJSON(ctx context.Context, name string, v any) error {
	return s.putJSONOpts(ctx, name, v, storage.PutOptions{ContentType: "application/json"})
}

// putRewritten writes v as indented JSON under a name rewritten in place.
func (s *State) putRewritten(ctx context.Context, name string, v any) error {
	return s.putJSONOpts(ctx, name, v, storage.PutOptions{ContentType: "application/json", Tags: storage.RewrittenTags})
}

func (s *State) putJSONOpts(ctx context.Context, name string, v any, o storage.PutOptions) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return s.st.Put(ctx, name, bytes.NewReader(append(b, '\n')), o)
}

// getJSON reads name into v strictly. It returns false when name holds
// nothing.
func (s *State) getJSON(ctx context.Context, name string, v any) (bool, error) {
	b, err := s.readAll(ctx, name)
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("reading %s: %w", s.st.URL(name), err)
	}
	return true, nil
}

// readAll reads the whole of a small file (a pointer, a record, a
// checkpoint, a manifest). A body cut short on the way — a transient fault
// of the network — is read again, twice at most. Nothing under name is an
// error wrapping storage.ErrNotExist.
func (s *State) readAll(ctx context.Context, name string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		rc, err := s.st.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err == nil {
			return b, nil
		}
		if attempt == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("reading %s: %w", s.st.URL(name), err)
		}
	}
}
