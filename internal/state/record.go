package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// RecordSchema names the run record format.
const RecordSchema = "parityproof.run/v1"

// Record is a run's identity and plan, written when the run begins and
// read by every later step (another worker, a resumed process, a Lambda
// invocation, the report). It is never rewritten.
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
	// Clock says how the run's clock was not the wall clock, as the
	// demo's is simulated; empty for a real run.
	Clock string `json:"clock,omitempty"`
	// RanBy is who began the run: the identities its clouds know the
	// caller by. The report names it, whoever builds the report.
	RanBy *Identity `json:"ran_by,omitempty"`
	// Rebased is set when the run was begun without the previous run's
	// ledger (parityproof run --rebase): which run's evidence was not
	// used, and why.
	Rebased *Rebase       `json:"rebased,omitempty"`
	Pairs   []PlannedPair `json:"pairs"`
	// Baselines are the legacy stores' S3 Inventories the run's ledger
	// rests on: those a pair's first run reads (ReadBy is the run), and
	// those an earlier run read, carried from its record.
	Baselines []Baseline `json:"baselines,omitempty"`
}

// Rebase says which complete run's ledger a run did not continue, and why:
// its keys are judged from the listings alone.
type Rebase struct {
	// RunID is the newest complete run, whose ledger would have been the
	// history.
	RunID string `json:"run_id"`
	// Reason says why its evidence was not used.
	Reason string `json:"reason"`
}

// Baseline is one legacy store's S3 Inventory, as a run records it.
type Baseline struct {
	Pair  string `json:"pair"`
	Store string `json:"store"`
	// Inventory is the manifest's location; Date its creationTimestamp;
	// Format CSV or Parquet.
	Inventory string    `json:"inventory"`
	Date      time.Time `json:"date"`
	Format    string    `json:"format"`
	// ReadBy is the run that read it: the pair's first.
	ReadBy string `json:"read_by"`
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

// Shard returns the planned shard of pair with the id shard.
func (r *Record) Shard(pair, shard string) (PlannedShard, error) {
	for _, p := range r.Pairs {
		if p.Name != pair {
			continue
		}
		for _, s := range p.Shards {
			if s.ID == shard {
				return s, nil
			}
		}
	}
	return PlannedShard{}, fmt.Errorf("run %s has no shard %s of pair %q", r.RunID, shard, pair)
}

// ShardByRange returns the id of the planned shard of pair covering
// exactly rng, as Distributed Map items name them.
func (r *Record) ShardByRange(pair string, rng inventory.KeyRange) (string, error) {
	for _, p := range r.Pairs {
		if p.Name != pair {
			continue
		}
		for _, s := range p.Shards {
			if s.Range == rng {
				return s.ID, nil
			}
		}
		return "", fmt.Errorf("run %s: pair %q has no shard %s", r.RunID, pair, rng)
	}
	return "", fmt.Errorf("run %s has no pair %q", r.RunID, pair)
}

// CountShards counts the run's shards.
func (r *Record) CountShards() int {
	n := 0
	for _, p := range r.Pairs {
		n += len(p.Shards)
	}
	return n
}

// ReadRecord reads a run's record; an error wraps storage.ErrNotExist when
// no such run is recorded.
func (s *State) ReadRecord(ctx context.Context, runID string) (*Record, error) {
	rec, _, err := s.ReadRecordDigest(ctx, runID)
	return rec, err
}

// ReadRecordDigest reads a run's record and returns it with the SHA-256 of
// its bytes as stored, which the report carries.
func (s *State) ReadRecordDigest(ctx context.Context, runID string) (*Record, string, error) {
	name := RecordName(runID)
	b, err := s.readAll(ctx, name)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, "", fmt.Errorf("run %s: %w", runID, storage.ErrNotExist)
	}
	if err != nil {
		return nil, "", err
	}
	rec, err := DecodeRecord(b)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", s.st.URL(name), err)
	}
	sum := sha256.Sum256(b)
	return rec, hex.EncodeToString(sum[:]), nil
}

// DecodeRecord decodes a run record strictly: unknown fields, another
// schema, or no run id are errors.
func DecodeRecord(b []byte) (*Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("not a run record: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a run record: data after the record")
	}
	if rec.Schema != RecordSchema {
		return nil, fmt.Errorf("not a run record: schema %q, want %q", rec.Schema, RecordSchema)
	}
	if rec.RunID == "" {
		return nil, errors.New("not a run record: no run_id")
	}
	// An empty list and an absent one mean the same, and encode the same
	// (omitempty): decode them the same, so that a record decodes to what
	// it encodes to.
	if len(rec.Baselines) == 0 {
		rec.Baselines = nil
	}
	if rec.RanBy != nil && len(rec.RanBy.OCI) == 0 {
		rec.RanBy.OCI = nil
	}
	return &rec, nil
}

// WriteRecord writes a new run's record.
func (s *State) WriteRecord(ctx context.Context, rec *Record) error {
	return s.putJSON(ctx, RecordName(rec.RunID), rec)
}

// Identity says who ran parityproof: the identities its clouds know it by.
type Identity struct {
	AWS *AWSIdentity  `json:"aws,omitempty"`
	OCI []OCIIdentity `json:"oci,omitempty"`
}

// AWSIdentity is STS GetCallerIdentity's answer.
type AWSIdentity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"user_id"`
}

// OCIIdentity is an OCI principal: a user from an API key's configuration
// file, or an instance or resource principal, whose OCIDs the
// configuration does not name.
type OCIIdentity struct {
	Auth    string `json:"auth"`
	User    string `json:"user,omitempty"`
	Tenancy string `json:"tenancy,omitempty"`
	// Profile and ConfigFile locate an API key's configuration.
	Profile    string `json:"profile,omitempty"`
	ConfigFile string `json:"config_file,omitempty"`
}

// IsZero reports whether nothing is known.
func (id *Identity) IsZero() bool { return id == nil || (id.AWS == nil && len(id.OCI) == 0) }

// String says who ran parityproof in one line, "" when unknown.
func (id *Identity) String() string {
	if id.IsZero() {
		return ""
	}
	var parts []string
	if id.AWS != nil {
		parts = append(parts, "AWS "+id.AWS.ARN)
	}
	for _, o := range id.OCI {
		switch {
		case o.User != "":
			parts = append(parts, "OCI "+o.User)
		case o.Auth == "api_key":
			parts = append(parts, "OCI profile "+o.Profile+" (user unknown)")
		default:
			parts = append(parts, "OCI "+strings.ReplaceAll(o.Auth, "_", " "))
		}
	}
	return strings.Join(parts, " and ")
}
