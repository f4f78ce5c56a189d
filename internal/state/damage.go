package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/storage"
)

// ErrLedgerDamaged is wrapped by the errors of a complete run's ledger —
// its manifest or a ledger part — that is missing, does not decode, or
// does not match its digest: evidence that can no longer be used. A
// *DamagedError names the file.
var ErrLedgerDamaged = errors.New("the ledger is damaged")

// DamagedError names a ledger file that fails its checks.
type DamagedError struct {
	// URL is the file's location; Problem what is wrong with it.
	URL, Problem string
}

func (e *DamagedError) Error() string { return fmt.Sprintf("ledger %s: %s", e.URL, e.Problem) }

// Unwrap returns ErrLedgerDamaged.
func (e *DamagedError) Unwrap() error { return ErrLedgerDamaged }

// Damage is damaged.json: why a complete run's ledger can no longer be
// used as the history of later runs, as the run that found it out
// recorded.
type Damage struct {
	RunID   string    `json:"run_id"`
	FoundAt time.Time `json:"found_at"`
	// FoundBy is the run that was reading the ledger as its history.
	FoundBy string `json:"found_by,omitempty"`
	// File is the ledger file that fails, and Problem how.
	File    string `json:"file"`
	Problem string `json:"problem"`
}

func damagedName(runID string) string { return RunDir(runID) + "damaged.json" }

// MarkDamaged records that the ledger of the complete run runID is
// damaged, as err (wrapping a *DamagedError) says, so that later runs stop
// before they begin rather than read it again. It is written once: the
// first finding stands.
func (s *State) MarkDamaged(ctx context.Context, runID, foundBy string, at time.Time, err error) error {
	var de *DamagedError
	if !errors.As(err, &de) {
		return fmt.Errorf("marking run %s damaged: %w is not a ledger's damage", runID, err)
	}
	if d, derr := s.Damaged(ctx, runID); derr == nil && d != nil {
		return nil
	}
	return s.putJSON(ctx, damagedName(runID), Damage{RunID: runID, FoundAt: at.UTC().Truncate(time.Second), FoundBy: foundBy, File: de.URL, Problem: de.Problem})
}

// Damaged returns what damaged.json records of the run runID, nil when its
// ledger has not been found damaged.
func (s *State) Damaged(ctx context.Context, runID string) (*Damage, error) {
	var d Damage
	ok, err := s.getJSON(ctx, damagedName(runID), &d)
	if err != nil || !ok {
		return nil, err
	}
	return &d, nil
}

// Err is the damage as an error wrapping ErrLedgerDamaged.
func (d *Damage) Err() error { return &DamagedError{URL: d.File, Problem: d.Problem} }

// Leases of the state location.

// LeaseName is the state location's lease: its holder alone begins runs,
// finishes them and moves current.json.
const LeaseName = "lease.json"

// ShardLeaseName is a shard's lease: its holder alone writes the shard's
// ledger parts and checkpoint.
func ShardLeaseName(runID, pair, shard string) string {
	return fmt.Sprintf("%sshards/%s/%s.lease.json", RunDir(runID), pair, shard)
}

// AcquireLease takes the state location's lease (storage.AcquireLease).
func (s *State) AcquireLease(ctx context.Context, o storage.LeaseOptions) (*storage.Lease, error) {
	return storage.AcquireLease(ctx, s.st, LeaseName, o)
}

// AcquireShardLease takes a shard's lease.
func (s *State) AcquireShardLease(ctx context.Context, runID, pair, shard string, o storage.LeaseOptions) (*storage.Lease, error) {
	return storage.AcquireLease(ctx, s.st, ShardLeaseName(runID, pair, shard), o)
}

// ReadLease returns the state location's lease record, nil when none was
// ever taken.
func (s *State) ReadLease(ctx context.Context) (*storage.LeaseRecord, error) {
	return storage.ReadLease(ctx, s.st, LeaseName)
}

// LeaseHeld returns the state location's lease record and whether it is
// held now: by a live process's file lock on a folder (tried and let go at
// once), or by a record that has neither been released nor expired.
func (s *State) LeaseHeld(ctx context.Context, now time.Time) (*storage.LeaseRecord, bool, error) {
	rec, err := storage.ReadLease(ctx, s.st, LeaseName)
	if err != nil {
		return nil, false, err
	}
	if lk, ok := s.st.(storage.Locker); ok {
		unlock, err := lk.TryLock(LeaseName)
		if errors.Is(err, storage.ErrLocked) {
			return rec, true, nil
		}
		if err != nil {
			return rec, false, err
		}
		return rec, false, unlock()
	}
	return rec, rec.Held(now), nil
}
