package verify

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// newResolvingWorld is newWorld with every legacy-us copy encrypted with
// SSE-KMS: its listing ETag is no MD5, so each key needs a HEAD of legacy-us
// and of the target, then a read of both copies, to be proven. Every
// seventh target copy is changed at the same size.
func newResolvingWorld(n int) *world {
	w := newWorld(n)
	for i, key := range w.stores["legacy-us"].Keys() {
		content := []byte(fmt.Sprintf("content of %s", key))
		sum := md5.Sum([]byte("kms:" + key))
		etag := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hex.EncodeToString(sum[:]), Source: inventory.FromETag}
		listed := inventory.Fingerprint{Key: key, Size: int64(len(content)), ETag: etag.Value, Checksums: []inventory.Checksum{etag}}
		head := listed
		head.Encryption = "aws:kms"
		w.stores["legacy-us"].Set(memory.Object{Listed: listed, Head: &head, Content: content})
		if i%7 == 3 {
			w.stores["oci-us"].Put(key, []byte(strings.ToUpper(string(content))))
		}
	}
	return w
}

// resolvingConfig is testConfig with one worker (shards one after the
// other, so that a tight budget is spent on the same keys in every run),
// a budget that runs out part way and the given requests in flight.
func resolvingConfig(t *testing.T, budget string, concurrency int) *config.Config {
	t.Helper()
	text := strings.NewReplacer("deep_verify_budget: 1MiB", "deep_verify_budget: "+budget, "workers: 3", "workers: 1").Replace(testConfig)
	cfg, err := config.Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Run.HeadConcurrency = concurrency // the digest stays the file's
	return cfg
}

// spent is the deep verification bytes a run's checkpoints recorded.
func spent(t *testing.T, st storage.Store, rec *state.Record) int64 {
	t.Helper()
	n, err := state.New(st).Spent(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// serialRun runs w to its end resolving one key at a time with the deep
// read budget given, the reference the concurrent runs are held to.
func serialRun(t *testing.T, w *world, budget string) (storage.Store, *Result) {
	t.Helper()
	dir, _ := storage.NewDir(t.TempDir())
	res, err := newRunner(t, resolvingConfig(t, budget, 1), w, dir, day1).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return dir, res
}

// Resolving keys concurrently writes the serial path's ledger, with the
// budget spent on the same keys, whatever the number of requests in
// flight; and a run so resolved and stopped after any number of writes
// resumes to that ledger too.
func TestConcurrentRunWritesTheSerialLedger(t *testing.T) {
	ctx := context.Background()
	w := newResolvingWorld(60)
	// Each key's two copies are about 56 bytes: the budget proves about
	// 30 of the 60 keys.
	const budget = "1700"
	refDir, want := serialRun(t, w, budget)
	wantVerdicts := verdicts(t, refDir, want)
	count := map[ledger.Verdict]int{}
	for _, v := range wantVerdicts {
		count[v]++
	}
	if count[ledger.Verified] < 10 || count[ledger.Unproven] < 10 || count[ledger.Mismatch] < 3 {
		t.Fatalf("the serial run's verdicts %v: want deep proofs, keys left unproven by the spent budget and mismatches", count)
	}
	wantSpent := spent(t, refDir, want.Record)

	for _, concurrency := range []int{2, 8, 64} {
		t.Run(fmt.Sprintf("%d in flight", concurrency), func(t *testing.T) {
			dir, _ := storage.NewDir(t.TempDir())
			got, err := newRunner(t, resolvingConfig(t, budget, concurrency), w, dir, day1).Run(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if got.ManifestSHA256 != want.ManifestSHA256 {
				t.Errorf("manifest %s, the serial run's %s", got.ManifestSHA256, want.ManifestSHA256)
			}
			if diff := cmp.Diff(wantVerdicts, verdicts(t, dir, got)); diff != "" {
				t.Errorf("verdicts (-serial +concurrent):\n%s", diff)
			}
			if n := spent(t, dir, got.Record); n != wantSpent {
				t.Errorf("spent %d bytes of the budget, the serial run %d", n, wantSpent)
			}
		})
	}

	ref := &crashingStore{Store: refDir}
	ref.left.Store(1 << 40)
	if _, err := newRunner(t, resolvingConfig(t, budget, 8), w, ref, day2).Run(ctx, false); err != nil {
		t.Fatal(err)
	}
	writes := 1<<40 - ref.left.Load()
	for _, crashAfter := range []int64{2, 3, 5, 8, writes / 2, writes - 2} {
		t.Run(fmt.Sprintf("crash after %d writes", crashAfter), func(t *testing.T) {
			dir, _ := storage.NewDir(t.TempDir())
			cs := &crashingStore{Store: dir}
			cs.left.Store(crashAfter)
			if _, err := newRunner(t, resolvingConfig(t, budget, 8), w, cs, day1).Run(ctx, false); !errors.Is(err, errCrash) {
				t.Fatalf("interrupted run: %v, want the simulated crash", err)
			}
			cs.left.Store(1 << 40)
			got, err := newRunner(t, resolvingConfig(t, budget, 8), w, cs, day1.Add(time.Hour)).Run(ctx, false)
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			if got.ManifestSHA256 != want.ManifestSHA256 {
				t.Errorf("resumed manifest %s, the serial run's %s", got.ManifestSHA256, want.ManifestSHA256)
			}
			if n := spent(t, cs, got.Record); n != wantSpent {
				t.Errorf("spent %d bytes of the budget, the serial run %d", n, wantSpent)
			}
		})
	}
}

// stallingStore holds HEADs and reads from the n-th on until the context
// ends, and cancels the run when the n-th arrives: a shard stopped while
// keys are being resolved.
type stallingStore struct {
	inventory.Store
	n      int64
	seen   *atomic.Int64
	cancel func()
}

func (s *stallingStore) stall(ctx context.Context) error {
	if s.seen.Add(1) < s.n {
		return nil
	}
	s.cancel()
	<-ctx.Done()
	return ctx.Err()
}

func (s *stallingStore) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	if err := s.stall(ctx); err != nil {
		return inventory.Fingerprint{}, err
	}
	return s.Store.Head(ctx, key)
}

func (s *stallingStore) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	if err := s.stall(ctx); err != nil {
		return nil, err
	}
	return s.Store.Open(ctx, key, r)
}

// A shard cancelled while keys are being resolved stops at its last
// checkpoint, and the run resumes to the ledger of an uninterrupted one.
func TestShardCancelledMidResolutionResumes(t *testing.T) {
	ctx := context.Background()
	w := newResolvingWorld(60)
	const budget = "1700"
	refDir, want := serialRun(t, w, budget)
	wantSpent := spent(t, refDir, want.Record)
	for _, stallAt := range []int64{1, 9, 40, 70} {
		t.Run(fmt.Sprintf("cancelled at request %d", stallAt), func(t *testing.T) {
			dir, _ := storage.NewDir(t.TempDir())
			// Planned with the stores as they are (the wrapper below hides
			// how they list prefixes).
			if _, err := newRunner(t, resolvingConfig(t, budget, 16), w, dir, day1).Begin(ctx, false); err != nil {
				t.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			var seen atomic.Int64
			stalled := &world{stores: w.stores, wrap: func(name string, s inventory.Store) inventory.Store {
				if name == "oci-us" {
					return s
				}
				return &stallingStore{Store: s, n: stallAt, seen: &seen, cancel: cancel}
			}}
			_, err := newRunner(t, resolvingConfig(t, budget, 16), stalled, dir, day1).Run(runCtx, false)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run: %v, want context.Canceled", err)
			}
			got, err := newRunner(t, resolvingConfig(t, budget, 16), w, dir, day1).Run(ctx, false)
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			if got.ManifestSHA256 != want.ManifestSHA256 {
				t.Errorf("resumed manifest %s, an uninterrupted run's %s", got.ManifestSHA256, want.ManifestSHA256)
			}
			if n := spent(t, dir, got.Record); n != wantSpent {
				t.Errorf("spent %d bytes of the budget, an uninterrupted run %d", n, wantSpent)
			}
		})
	}
}

// A checkpoint counts the budget spent on the keys it covers, not on keys
// after its cursor that were reserved for while they are still resolved.
func TestCheckpointCountsOnlyTheBytesOfTheKeysItCovers(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	st, _ := storage.NewDir(t.TempDir())
	r := newRunner(t, cfg, newWorld(10), st, day1)
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	pair, shard := rec.Pairs[0].Name, rec.Pairs[0].Shards[0].ID
	spentBy := newShardBudget(&r.budget)
	var cp state.Checkpoint
	pw := &partWriter{ctx: ctx, r: r, rec: rec, pair: pair, shard: shard, cp: &cp, spent: spentBy, every: 2,
		guard: func() error { return nil }} // the shard's lease held throughout
	pw.start()
	for key, n := range map[string]int64{"a": 100, "b": 20, "c": 3000, "d": 400} {
		if !spentBy.Reserve(key, n, 0) {
			t.Fatalf("the budget refused %d bytes for %s", n, key)
		}
	}
	var written []int64
	for _, key := range []string{"a", "b", "c"} {
		if err := pw.add(&ledger.Entry{Key: key, Verdict: ledger.Verified, Evidence: ledger.EvidenceDeep}); err != nil {
			t.Fatal(err)
		}
		got, err := state.New(st).ReadCheckpoint(ctx, rec.RunID, pair, shard)
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, got.DeepBytes)
	}
	// A part of two entries: the checkpoint after "b" covers a and b; "c"
	// and "d" are not written yet.
	if diff := cmp.Diff([]int64{0, 120, 120}, written); diff != "" {
		t.Errorf("deep bytes in the checkpoint after each entry (-want +got):\n%s", diff)
	}
	if err := pw.flush(); err != nil {
		t.Fatal(err)
	}
	if cp.DeepBytes != 3120 {
		t.Errorf("after c, the checkpoint counts %d bytes, want 3120 (d is not written)", cp.DeepBytes)
	}
}
