package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
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

const testConfig = `
stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1}
  legacy-sg: {type: s3, bucket: legacy-sg, region: ap-southeast-1}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
policy:
  deep_verify_budget: 1MiB
run:
  workers: 3
  checkpoint_every: 7
`

// world holds the memory stores a test's runs read.
type world struct {
	stores map[string]*memory.Store
	// wrap, when set, stands between a run and the stores it opens.
	wrap func(name string, s inventory.Store) inventory.Store
}

func newWorld(n int) *world {
	w := &world{stores: map[string]*memory.Store{
		"legacy-us": memory.New("legacy-us", memory.WithPageSize(5)),
		"legacy-sg": memory.New("legacy-sg", memory.WithPageSize(4)),
		"oci-us":    memory.New("oci-us", memory.WithPageSize(6)),
	}}
	for i := range n {
		key := fmt.Sprintf("%02d/backup-%03d.bin", i%5, i)
		content := []byte(fmt.Sprintf("content of %s", key))
		w.stores["legacy-us"].Put(key, content)
		w.stores["legacy-sg"].Put(key, content)
		w.stores["oci-us"].Put(key, content)
	}
	return w
}

func (w *world) open(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
	st, ok := w.stores[s.Name]
	if !ok {
		return nil, fmt.Errorf("no memory store %q", s.Name)
	}
	if w.wrap != nil {
		return w.wrap(s.Name, st), nil
	}
	return st, nil
}

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "c.yaml"), []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newRunner(t *testing.T, cfg *config.Config, w *world, st storage.Store, at time.Time) *Verifier {
	return New(Options{Config: cfg, Open: w.open, State: state.New(st), Now: func() time.Time { return at }, ToolVersion: "test"})
}

func verdicts(t *testing.T, st storage.Store, res *Result) map[string]ledger.Verdict {
	t.Helper()
	m, digest, err := state.New(st).ReadManifest(context.Background(), res.Record.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if digest != res.ManifestSHA256 {
		t.Errorf("manifest digest %s, result says %s", digest, res.ManifestSHA256)
	}
	out := map[string]ledger.Verdict{}
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			for _, f := range s.Files {
				if err := state.New(st).ReadLedger(context.Background(), res.Record.RunID, f, func(e *ledger.Entry) error {
					out[e.Key] = e.Verdict
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return out
}

var (
	day1 = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	day2 = day1.Add(24 * time.Hour)
)

func TestTwoRunsThroughDeletion(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(40)
	st, _ := storage.NewDir(t.TempDir())

	// Plant faults: a missing copy, a corrupt copy, an extra.
	w.stores["oci-us"].Delete("00/backup-000.bin")
	w.stores["oci-us"].Put("01/backup-001.bin", []byte("corrupted content of 01/backup-001.bi"))
	w.stores["oci-us"].Put("zz/extra.bin", []byte("only in the target"))

	res, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := verdicts(t, st, res)
	if got["00/backup-000.bin"] != ledger.Missing || got["01/backup-001.bin"] != ledger.Mismatch || got["zz/extra.bin"] != ledger.Extra || got["02/backup-002.bin"] != ledger.Verified {
		t.Errorf("first run verdicts: %v", got)
	}
	if n := len(got); n != 41 {
		t.Errorf("first run judged %d keys, want 41", n)
	}
	shards := res.Record.CountShards()
	if shards != 6 {
		t.Errorf("planned %d shards from 6 top-level prefixes, want 6", shards)
	}

	// Delete every legacy copy; run again.
	for _, name := range []string{"legacy-us", "legacy-sg"} {
		for _, k := range w.stores[name].Keys() {
			w.stores[name].Delete(k)
		}
	}
	res2, err := newRunner(t, cfg, w, st, day2).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Record.PreviousRunID != res.Record.RunID {
		t.Errorf("second run's previous run is %q, want %q", res2.Record.PreviousRunID, res.Record.RunID)
	}
	got2 := verdicts(t, st, res2)
	want := map[ledger.Verdict]int{ledger.Deleted: 38, ledger.DeletedUnverified: 2, ledger.Extra: 1}
	count := map[ledger.Verdict]int{}
	for _, v := range got2 {
		count[v]++
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("second run verdict counts (-want +got):\n%s", diff)
	}
	latest, err := state.New(st).Latest(ctx)
	if err != nil || latest != res2.Record.RunID {
		t.Errorf("latest.json names %q (%v), want %q", latest, err, res2.Record.RunID)
	}
}

// crashingStore fails every Put after a number of them, as a process killed
// mid-run would stop writing.
type crashingStore struct {
	storage.Store
	left atomic.Int64
}

var errCrash = errors.New("simulated crash")

func (c *crashingStore) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	if c.left.Add(-1) < 0 {
		return errCrash
	}
	return c.Store.Put(ctx, name, r, o)
}

// A run stopped after any number of writes and resumed ends with the
// manifest of an uninterrupted run.
func TestResumedRunEqualsUninterruptedRun(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(60)
	w.stores["oci-us"].Delete("03/backup-003.bin")

	refDir, _ := storage.NewDir(t.TempDir())
	ref := &crashingStore{Store: refDir}
	ref.left.Store(1 << 40)
	want, err := newRunner(t, cfg, w, ref, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	writes := 1<<40 - ref.left.Load()
	if writes < 20 {
		t.Fatalf("an uninterrupted run made only %d writes", writes)
	}
	for _, crashAfter := range []int64{0, 1, 2, 3, 5, 8, 13, writes / 2, writes - 3, writes - 1} {
		t.Run(fmt.Sprintf("crash after %d writes", crashAfter), func(t *testing.T) {
			dir, _ := storage.NewDir(t.TempDir())
			cs := &crashingStore{Store: dir}
			cs.left.Store(crashAfter)
			_, err := newRunner(t, cfg, w, cs, day1).Run(ctx, false)
			if !errors.Is(err, errCrash) {
				t.Fatalf("interrupted run: %v, want the simulated crash", err)
			}
			cs.left.Store(1 << 40)
			// Once the run's record and current.json are written (its first
			// two writes), a resumed run keeps the run's clock, whatever the
			// time is now; before that, a new run begins, here at the same
			// time.
			again := day1
			if crashAfter >= 2 {
				again = day1.Add(time.Hour)
			}
			got, err := newRunner(t, cfg, w, cs, again).Run(ctx, false)
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			if got.ManifestSHA256 != want.ManifestSHA256 {
				t.Errorf("resumed manifest %s, uninterrupted %s", got.ManifestSHA256, want.ManifestSHA256)
			}
			if diff := cmp.Diff(verdicts(t, ref, want), verdicts(t, cs, got)); diff != "" {
				t.Errorf("verdicts (-uninterrupted +resumed):\n%s", diff)
			}
		})
	}
}

func TestRunRefusesToResumeWithAnotherConfiguration(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(10)
	dir, _ := storage.NewDir(t.TempDir())
	cs := &crashingStore{Store: dir}
	cs.left.Store(3)
	if _, err := newRunner(t, cfg, w, cs, day1).Run(ctx, false); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	cs.left.Store(1 << 40)
	other, err := config.Parse(cfg.Path, []byte(strings.Replace(testConfig, "workers: 3", "workers: 2", 1)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newRunner(t, other, w, cs, day1).Run(ctx, false)
	if !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("got %v, want ErrConfigChanged", err)
	}
	if _, err := newRunner(t, other, w, cs, day1).Run(ctx, true); err != nil {
		t.Fatalf("--restart: %v", err)
	}
}

// A shard whose context ends checkpoints at the last whole part and says
// where to resume; the next invocation finishes it.
func TestShardStopsAtDeadlineAndResumes(t *testing.T) {
	cfg := loadConfig(t)
	w := newWorld(50) // 10 keys a shard: a part of 7 entries, then 3
	st, _ := storage.NewDir(t.TempDir())
	r := newRunner(t, cfg, w, st, day1)
	rec, err := r.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	pair, shard := rec.Pairs[0].Name, rec.Pairs[0].Shards[0].ID
	ctx, cancel := context.WithCancel(context.Background())
	gate := &cancelAfterPuts{Store: st, cancel: cancel}
	gate.left.Store(2) // the first part and its checkpoint
	r2 := newRunner(t, cfg, w, gate, day1)
	res, err := r2.RunShard(ctx, rec, pair, shard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Done || res.Cursor == "" {
		t.Fatalf("a shard cut short: %+v, want not done with a cursor", res)
	}
	res2, err := newRunner(t, cfg, w, st, day1).RunShard(context.Background(), rec, pair, shard)
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Done || res2.Tally.Objects != 10 || res2.Tally.Count(ledger.Verified) != 10 {
		t.Errorf("resumed shard: %+v, want done with 10 verified", res2)
	}
	again, err := newRunner(t, cfg, w, st, day1).RunShard(context.Background(), rec, pair, shard)
	if err != nil || !again.Done || again.Tally.Objects != 10 {
		t.Errorf("re-running a finished shard: %+v, %v", again, err)
	}
}

// cancelAfterPuts cancels a context once some Puts have gone through, as a
// Lambda deadline would.
type cancelAfterPuts struct {
	storage.Store
	cancel func()
	left   atomic.Int64
}

func (c *cancelAfterPuts) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	if c.left.Add(-1) < 0 {
		c.cancel()
		return ctx.Err()
	}
	return c.Store.Put(ctx, name, r, o)
}

// A run whose context is cancelled (Ctrl-C, SIGTERM) stops at its shards'
// checkpoints with an error that says so, and completes when run again.
func TestInterruptedRunSaysSoAndResumes(t *testing.T) {
	cfg := loadConfig(t)
	w := newWorld(50)
	st, _ := storage.NewDir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	gate := &cancelAfterPuts{Store: st, cancel: cancel}
	gate.left.Store(6)
	_, err := newRunner(t, cfg, w, gate, day1).Run(ctx, false)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "could not complete (it resumes where it stopped)") {
		t.Fatalf("interrupted run: %v", err)
	}
	res, err := newRunner(t, cfg, w, st, day1).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(verdicts(t, st, res)); n != 50 {
		t.Errorf("resumed run judged %d keys, want 50", n)
	}
}

// A previous ledger file that no longer matches its manifest digest stops
// the next run: wrong history never feeds the verdicts.
func TestChangedPreviousLedgerStopsTheRun(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t)
	w := newWorld(20)
	st, _ := storage.NewDir(t.TempDir())
	res, err := newRunner(t, cfg, w, st, day1).Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := state.New(st).ReadManifest(ctx, res.Record.RunID)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite one part as a valid ledger that says something else.
	part := m.Pairs[0].Shards[0].Files[0]
	var entries []ledger.Entry
	if err := state.New(st).ReadLedger(ctx, res.Record.RunID, part, func(e *ledger.Entry) error {
		entries = append(entries, e.Clone())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	entries[0].Verdict, entries[0].ProvenAt = ledger.Unproven, nil
	var buf bytes.Buffer
	lw := ledger.NewWriter(&buf)
	for i := range entries {
		if err := lw.Write(&entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, state.RunDir(res.Record.RunID)+part.Path, &buf, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = newRunner(t, cfg, w, st, day2).Run(ctx, false)
	if err == nil || !strings.Contains(err.Error(), "ledger file://") || !strings.Contains(err.Error(), "but the manifest says") {
		t.Errorf("a run over a changed previous ledger: %v", err)
	}
	if !errors.Is(err, state.ErrLedgerDamaged) {
		t.Errorf("a run over a changed previous ledger: %v does not wrap state.ErrLedgerDamaged", err)
	}
}
