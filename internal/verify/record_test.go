package verify

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// configWith returns the test configuration with its run options replaced.
func configWith(t *testing.T, run string) *config.Config {
	t.Helper()
	text := regexp.MustCompile(`(?s)run:.*`).ReplaceAllString(testConfig, run)
	cfg, err := config.Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// shardRecord is what a test recounts of a manifest shard.
type shardRecord struct {
	Objects     int64
	Verdicts    map[ledger.Verdict]int64
	Evidence    map[ledger.Evidence]int64
	Exceptions  []string
	SplitPoints []string
}

// Every shard records, as it writes its ledger, its tally, its evidence,
// its exceptions in files of their own, and a split point every shard
// size entries; the manifest carries them, and they are what the ledger
// says.
func TestShardsRecordWhatTheirLedgerHolds(t *testing.T) {
	ctx := context.Background()
	cfg := configWith(t, "run: {workers: 3, checkpoint_every: 4, shard_size: 3}\n")
	w := newWorld(40)
	w.stores["oci-us"].Delete("00/backup-000.bin")
	w.stores["oci-us"].Delete("00/backup-010.bin")
	w.stores["oci-us"].Put("01/backup-001.bin", []byte("corrupted content of 01/backup-001.bi"))
	w.stores["oci-us"].Put("zz/extra.bin", []byte("only in the target"))
	st, _ := storage.NewDir(t.TempDir())
	res, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s := state.New(st)
	var recorded, recounted []shardRecord
	digest, err := s.WalkManifest(ctx, state.ManifestName(res.Record.RunID), func(pair string, sh *ledger.ManifestShard) error {
		if sh.Tally == nil {
			t.Fatalf("shard %s has no tally", sh.ID)
		}
		rec := shardRecord{Objects: sh.Tally.Objects, Verdicts: sh.Tally.Verdicts(), Evidence: sh.Evidence, SplitPoints: sh.SplitPoints}
		for _, f := range sh.Exceptions {
			if err := s.ReadLedger(ctx, res.Record.RunID, f, func(e *ledger.Entry) error {
				rec.Exceptions = append(rec.Exceptions, e.Key+" "+string(e.Verdict))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if sh.SplitEvery != 3 {
			t.Errorf("shard %s: split every %d, want the shard size 3", sh.ID, sh.SplitEvery)
		}
		recorded = append(recorded, rec)

		t := ledger.NewTally()
		again := shardRecord{Evidence: map[ledger.Evidence]int64{}}
		var n int64
		for _, f := range sh.Files {
			if err := s.ReadLedger(ctx, res.Record.RunID, f, func(e *ledger.Entry) error {
				t.Add(e)
				again.Evidence[e.Evidence]++
				if e.Verdict.IsException() {
					again.Exceptions = append(again.Exceptions, e.Key+" "+string(e.Verdict))
				}
				if n > 0 && n%3 == 0 {
					again.SplitPoints = append(again.SplitPoints, e.Key)
				}
				n++
				return nil
			}); err != nil {
				return err
			}
		}
		again.Objects, again.Verdicts = t.Objects, t.Verdicts()
		recounted = append(recounted, again)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if digest != res.ManifestSHA256 {
		t.Errorf("walked manifest SHA-256 %s, Finish said %s", digest, res.ManifestSHA256)
	}
	if diff := cmp.Diff(recounted, recorded, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("shard records (-recounted from the ledger +recorded):\n%s", diff)
	}
	var exceptions []string
	for _, r := range recorded {
		exceptions = append(exceptions, r.Exceptions...)
	}
	want := []string{"00/backup-000.bin missing", "00/backup-010.bin missing", "01/backup-001.bin mismatch"}
	if diff := cmp.Diff(want, exceptions); diff != "" {
		t.Errorf("exception files (-want +got):\n%s", diff)
	}
}

// countingStore counts the reads of names matching a pattern.
type countingStore struct {
	storage.Store
	match *regexp.Regexp
	mu    sync.Mutex
	reads []string
}

func (c *countingStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if c.match.MatchString(name) {
		c.mu.Lock()
		c.reads = append(c.reads, name)
		c.mu.Unlock()
	}
	return c.Store.Get(ctx, name)
}

func (c *countingStore) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = nil
	return r
}

func planned(rec *state.Record) []inventory.KeyRange {
	var out []inventory.KeyRange
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			out = append(out, s.Range)
		}
	}
	return out
}

// The next run cuts the shards that grew past twice the shard size at the
// split points the previous run recorded, and reads no ledger to plan.
func TestNextPlanCutsAtRecordedSplitPoints(t *testing.T) {
	ctx := context.Background()
	cfg := configWith(t, "run: {workers: 2, checkpoint_every: 4, shard_size: 3}\n")
	w := newWorld(40) // 8 keys under each of 00/ … 04/
	dir, _ := storage.NewDir(t.TempDir())
	st := &countingStore{Store: dir, match: regexp.MustCompile(`/ledger/|/exceptions/`)}
	first, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	st.reset()
	rec, err := newRunner(t, cfg, w, st, day2).Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if reads := st.reset(); len(reads) != 0 {
		t.Errorf("planning the next run read %d ledger files: %v", len(reads), reads)
	}
	// Each 8-key prefix is cut at its 4th and 7th keys (3 + 3 + 2).
	var want []inventory.KeyRange
	start := ""
	for p := range 5 {
		keys := w.stores["legacy-us"].Keys()
		var in []string
		for _, k := range keys {
			if strings.HasPrefix(k, "0"+string(rune('0'+p))+"/") {
				in = append(in, k)
			}
		}
		end := ""
		if p < 4 {
			end = "0" + string(rune('0'+p+1)) + "/"
		}
		want = append(want, inventory.KeyRange{Start: start, End: in[3]}, inventory.KeyRange{Start: in[3], End: in[6]}, inventory.KeyRange{Start: in[6], End: end})
		start = end
	}
	if diff := cmp.Diff(want, planned(rec)); diff != "" {
		t.Errorf("the next plan (-want +got):\n%s", diff)
	}
	if rec.PreviousRunID != first.Record.RunID {
		t.Errorf("previous run %q, want %q", rec.PreviousRunID, first.Record.RunID)
	}
}

// A manifest written before split points were recorded is cut at the
// first keys of its shards' ledger parts, still without reading them.
func TestNextPlanFromAnEarlierManifestCutsAtParts(t *testing.T) {
	ctx := context.Background()
	cfg := configWith(t, "run: {workers: 2, checkpoint_every: 2, shard_size: 3}\n")
	w := newWorld(40)
	dir, _ := storage.NewDir(t.TempDir())
	st := &countingStore{Store: dir, match: regexp.MustCompile(`/ledger/|/exceptions/`)}
	first, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the manifest as an earlier version wrote it: files only.
	s := state.New(dir)
	var buf bytes.Buffer
	mw := ledger.NewManifestWriter(&buf)
	pair := ""
	if _, err := s.WalkManifest(ctx, state.ManifestName(first.Record.RunID), func(p string, sh *ledger.ManifestShard) error {
		if p != pair {
			pair = p
			if err := mw.Pair(p); err != nil {
				return err
			}
		}
		return mw.Shard(&ledger.ManifestShard{ID: sh.ID, Range: sh.Range, Files: sh.Files})
	}); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dir.Put(ctx, state.ManifestName(first.Record.RunID), &buf, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// An earlier version recorded no manifest digest when the run finished.
	if err := dir.Put(ctx, state.RunDir(first.Record.RunID)+"finished.json", strings.NewReader(`{"finished_at": "2026-11-27T22:00:00Z"}`), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	st.reset()
	rec, err := newRunner(t, cfg, w, st, day2).Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if reads := st.reset(); len(reads) != 0 {
		t.Errorf("planning the next run read %d ledger files: %v", len(reads), reads)
	}
	// Parts of 2 keys: each 8-key prefix is cut at its 5th key (4 + 4).
	ranges := planned(rec)
	if len(ranges) != 10 {
		t.Fatalf("planned %v, want each of the 5 shards cut in two", ranges)
	}
	for i := 1; i < len(ranges); i++ {
		if ranges[i-1].End != ranges[i].Start {
			t.Errorf("shards %v and %v do not meet", ranges[i-1], ranges[i])
		}
	}
	got := map[inventory.KeyRange]int{}
	for _, r := range ranges {
		for _, k := range w.stores["legacy-us"].Keys() {
			if r.Contains(k) {
				got[r]++
			}
		}
	}
	for r, n := range got {
		if n != 4 {
			t.Errorf("shard %v holds %d keys, want 4", r, n)
		}
	}
}
