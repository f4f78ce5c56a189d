package verify

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// JudgeKey re-judges single keys against the stores and the latest ledger,
// as the verify function does for S3 ObjectRemoved events.
func TestJudgeKeyAgainstTheLatestLedger(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(10)
	w.stores["oci-us"].Delete("03/backup-003.bin")
	st, _ := storage.NewDir(t.TempDir())
	res, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	runID := res.Record.RunID

	// Both legacy copies of a verified key go: deleted. Only one goes:
	// deletion_incomplete. A key never migrated goes: deleted_unverified.
	// The target copy of a verified key goes too: copy_lost.
	for _, s := range []string{"legacy-us", "legacy-sg"} {
		w.stores[s].Delete("00/backup-000.bin")
		w.stores[s].Delete("03/backup-003.bin")
		w.stores[s].Delete("02/backup-002.bin")
	}
	w.stores["oci-us"].Delete("02/backup-002.bin")
	w.stores["legacy-us"].Delete("01/backup-001.bin")

	for _, tc := range []struct {
		key         string
		want        ledger.Verdict
		wantDeleted bool
	}{
		{"00/backup-000.bin", ledger.Deleted, true},
		{"01/backup-001.bin", ledger.DeletionIncomplete, false},
		{"02/backup-002.bin", ledger.CopyLost, true},
		{"03/backup-003.bin", ledger.DeletedUnverified, true},
		{"04/backup-004.bin", ledger.Verified, false},
	} {
		t.Run(tc.key, func(t *testing.T) {
			r := newRunner(t, cfg, w, st, day2)
			e, skip, err := r.JudgeKey(ctx, "us-users", tc.key, runID, day2)
			if err != nil || skip {
				t.Fatalf("JudgeKey: skip %v, %v", skip, err)
			}
			if diff := cmp.Diff(struct {
				Key     string
				Verdict ledger.Verdict
				Deleted bool
			}{tc.key, tc.want, tc.wantDeleted}, struct {
				Key     string
				Verdict ledger.Verdict
				Deleted bool
			}{e.Key, e.Verdict, e.DeletedAt != nil}); diff != "" {
				t.Errorf("entry (-want +got):\n%s\n%+v", diff, e)
			}
		})
	}

	// A key no store holds and no ledger kept deserves no entry.
	_, skip, err := newRunner(t, cfg, w, st, day2).JudgeKey(ctx, "us-users", "99/never.bin", runID, day2)
	if err != nil || !skip {
		t.Errorf("a key nobody holds: skip %v, %v; want skipped", skip, err)
	}
	// An unknown pair is an error.
	if _, _, err := newRunner(t, cfg, w, st, day2).JudgeKey(ctx, "eu-users", "00/backup-000.bin", runID, day2); !errors.Is(err, config.ErrNotFound) {
		t.Errorf("unknown pair: %v, want config.ErrNotFound", err)
	}
}

// Resume reads a run another invocation began, refuses another
// configuration, and says nothing of runs never recorded.
func TestResumeNamedRun(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(10)
	st, _ := storage.NewDir(t.TempDir())
	rec, err := newRunner(t, cfg, w, st, day1).Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newRunner(t, cfg, w, st, day1).Resume(ctx, rec.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("resumed record (-want +got):\n%s", diff)
	}
	if done, err := state.New(st).Complete(ctx, rec.RunID); err != nil || done {
		t.Errorf("Complete before Finish: %v, %v; want false", done, err)
	}

	other, err := config.Parse(filepath.Join(t.TempDir(), "c.yaml"), []byte(testConfig+"\n# changed\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newRunner(t, other, w, st, day1).Resume(ctx, rec.RunID); !errors.Is(err, ErrConfigChanged) {
		t.Errorf("another configuration: %v, want ErrConfigChanged", err)
	}
	if _, err := newRunner(t, cfg, w, st, day1).Resume(ctx, "20261127T220000Z-ffff"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("a run never recorded: %v, want storage.ErrNotExist", err)
	}

	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			if _, err := newRunner(t, cfg, w, st, day1).RunShard(ctx, rec, p.Name, s.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := newRunner(t, cfg, w, st, day1.Add(time.Minute)).Finish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if done, err := state.New(st).Complete(ctx, rec.RunID); err != nil || !done {
		t.Errorf("Complete after Finish: %v, %v; want true", done, err)
	}
}
