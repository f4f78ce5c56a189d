package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// slowStore delays reads and counts them.
type slowStore struct {
	storage.Store
	mu    sync.Mutex
	gets  []string
	delay time.Duration
}

func (s *slowStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	s.mu.Lock()
	s.gets = append(s.gets, name)
	s.mu.Unlock()
	time.Sleep(s.delay)
	return s.Store.Get(ctx, name)
}

func (s *slowStore) count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.gets {
		if strings.HasPrefix(g, prefix) {
			n++
		}
	}
	return n
}

// aRun records a run of two pairs of ten shards each; every shard has one
// ledger part of keys <shard>/0 … <shard>/3, whose second is an
// exception. The shards of done are done.
func aRun(t *testing.T, st *State, done func(pair string, i int) bool) *Record {
	t.Helper()
	ctx := context.Background()
	rec := &Record{Schema: RecordSchema, RunID: "20261128T220000Z-1a2b", StartedAt: time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)}
	for _, pair := range []string{"us-users", "sg-users"} {
		pp := PlannedPair{Name: pair}
		for i := range 10 {
			rng := inventory.KeyRange{Start: fmt.Sprintf("%02d/", i), End: fmt.Sprintf("%02d/", i+1)}
			if i == 0 {
				rng.Start = ""
			}
			if i == 9 {
				rng.End = ""
			}
			pp.Shards = append(pp.Shards, PlannedShard{ID: fmt.Sprintf("%04d", i+1), Range: rng})
		}
		rec.Pairs = append(rec.Pairs, pp)
	}
	if err := st.WriteRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	for _, p := range rec.Pairs {
		for i, sh := range p.Shards {
			var buf, xbuf bytes.Buffer
			w, xw := ledger.NewWriter(&buf), ledger.NewWriter(&xbuf)
			cp := Checkpoint{Tally: ledger.NewTally(), Evidence: map[ledger.Evidence]int64{}, SplitEvery: 2}
			for k := range 4 {
				e := &ledger.Entry{Key: fmt.Sprintf("%02d/%d", i, k), Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5}
				if k == 1 {
					e.Verdict, e.Evidence = ledger.Missing, ledger.EvidenceNone
					if err := xw.Write(e); err != nil {
						t.Fatal(err)
					}
				}
				if k == 2 {
					cp.SplitPoints = append(cp.SplitPoints, e.Key)
				}
				if err := w.Write(e); err != nil {
					t.Fatal(err)
				}
				cp.Tally.Add(e)
				cp.Evidence[e.Evidence]++
			}
			d, _ := w.Close()
			xd, _ := xw.Close()
			path, xpath := PartPath(p.Name, sh.ID, 1), ExceptionPartPath(p.Name, sh.ID, 1)
			if err := st.WritePart(ctx, rec.RunID, path, buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			if err := st.WritePart(ctx, rec.RunID, xpath, xbuf.Bytes()); err != nil {
				t.Fatal(err)
			}
			cp.Parts = []ledger.ManifestFile{{Path: path, Digest: d}}
			cp.Exceptions = []ledger.ManifestFile{{Path: xpath, Digest: xd}}
			cp.Cursor = d.Last
			cp.Done = done(p.Name, i)
			if err := st.WriteCheckpoint(ctx, rec.RunID, p.Name, sh.ID, cp); err != nil {
				t.Fatal(err)
			}
		}
	}
	return rec
}

func TestCheckpointsComeInThePlansOrder(t *testing.T) {
	dir, _ := storage.NewDir(t.TempDir())
	slow := &slowStore{Store: dir, delay: 2 * time.Millisecond}
	st := New(slow)
	rec := aRun(t, st, func(string, int) bool { return true })
	var got, want []string
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			want = append(want, p.Name+"/"+s.ID)
		}
	}
	err := st.Checkpoints(context.Background(), rec, func(pair string, sh PlannedShard, cp Checkpoint) error {
		if cp.Cursor != sh.Range.Start+"3" && !(sh.ID == "0001" && cp.Cursor == "00/3") {
			t.Errorf("shard %s/%s came with the checkpoint of %s", pair, sh.ID, cp.Cursor)
		}
		got = append(got, pair+"/"+sh.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-plan +called):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	if err := st.Checkpoints(context.Background(), rec, func(string, PlannedShard, Checkpoint) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Checkpoints returned %v after %d calls, want the callback's error after 1", err, n)
	}
}

// A run some of whose shards failed gets a manifest of the shards done,
// named by its digest, and the shards not done, each with the failure
// recorded for it; the run stays in progress.
func TestFinishPartial(t *testing.T) {
	ctx := context.Background()
	dir, _ := storage.NewDir(t.TempDir())
	st := New(dir)
	rec := aRun(t, st, func(pair string, i int) bool { return !(pair == "sg-users" && (i == 3 || i == 9)) })
	if err := st.SetCurrent(ctx, rec.RunID); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)
	failure := Failure{Pair: "sg-users", Shard: rec.Pairs[1].Shards[3], Error: "ShardStalled", Cause: "no checkpoint in 3 invocations", At: at}
	if err := st.WriteFailure(ctx, rec.RunID, failure); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish(ctx, rec, at); !errors.Is(err, ErrShardsPending) {
		t.Fatalf("Finish of a run with shards not done: %v", err)
	}
	p, err := st.FinishPartial(ctx, rec, at)
	if err != nil {
		t.Fatal(err)
	}
	want := []PendingShard{
		{Pair: "sg-users", Shard: rec.Pairs[1].Shards[3], Cursor: "03/3", Failure: &failure},
		{Pair: "sg-users", Shard: rec.Pairs[1].Shards[9], Cursor: "09/3"},
	}
	if diff := cmp.Diff(want, p.Pending); diff != "" {
		t.Errorf("pending shards (-want +got):\n%s", diff)
	}
	if p.ManifestName != PartialManifestName(rec.RunID, p.ManifestSHA256) || p.ManifestURL != dir.URL(p.ManifestName) {
		t.Errorf("partial manifest at %s (%s), digest %s", p.ManifestName, p.ManifestURL, p.ManifestSHA256)
	}
	shards := map[string]int{}
	digest, err := st.WalkManifest(ctx, p.ManifestName, func(pair string, sh *ledger.ManifestShard) error {
		shards[pair]++
		return nil
	})
	if err != nil || digest != p.ManifestSHA256 {
		t.Fatalf("walking the partial manifest: %v, digest %s, want %s", err, digest, p.ManifestSHA256)
	}
	if diff := cmp.Diff(map[string]int{"us-users": 10, "sg-users": 8}, shards); diff != "" {
		t.Errorf("shards in the partial manifest (-want +got):\n%s", diff)
	}
	if cur, _ := st.Current(ctx); cur != rec.RunID {
		t.Errorf("current.json names %q after a partial finish, want the run in progress", cur)
	}
	if latest, _ := st.Latest(ctx); latest != "" {
		t.Errorf("latest.json names %q after a partial finish", latest)
	}
	if complete, _ := st.Complete(ctx, rec.RunID); complete {
		t.Error("the run is complete after a partial finish")
	}
}

// LedgerEntry finds a key's ledger part in an index of the manifest read
// once, and reads that part only.
func TestLedgerEntryReadsTheManifestOnce(t *testing.T) {
	ctx := context.Background()
	dir, _ := storage.NewDir(t.TempDir())
	slow := &slowStore{Store: dir}
	st := New(slow)
	rec := aRun(t, st, func(string, int) bool { return true })
	if _, err := st.Finish(ctx, rec, time.Now()); err != nil {
		t.Fatal(err)
	}
	fresh := New(slow)
	for i, key := range []string{"04/1", "04/3", "09/0", "04/9", "10/0", "00/0"} {
		e, err := fresh.LedgerEntry(ctx, rec.RunID, "sg-users", key)
		if err != nil {
			t.Fatal(err)
		}
		found := e != nil && e.Key == key
		if want := i < 3 || i == 5; found != want {
			t.Errorf("LedgerEntry(%q) = %+v", key, e)
		}
	}
	if n := slow.count(ManifestName(rec.RunID)); n != 1 {
		t.Errorf("the manifest was read %d times for six keys", n)
	}
	// Keys of one part, one after the other, read the part once.
	before := slow.count(RunDir(rec.RunID) + "ledger/")
	for _, key := range []string{"07/0", "07/1", "07/2", "07/3"} {
		if e, err := fresh.LedgerEntry(ctx, rec.RunID, "us-users", key); err != nil || e == nil || e.Key != key {
			t.Fatalf("LedgerEntry(%q) = %+v, %v", key, e, err)
		}
	}
	if n := slow.count(RunDir(rec.RunID)+"ledger/") - before; n != 1 {
		t.Errorf("four keys of one part read %d parts", n)
	}
	if e, _ := fresh.LedgerEntry(ctx, rec.RunID, "nobody", "04/1"); e != nil {
		t.Errorf("an unknown pair's entry: %+v", e)
	}
}

func TestOpenLedgerStreamsTheRangesFiles(t *testing.T) {
	ctx := context.Background()
	dir, _ := storage.NewDir(t.TempDir())
	st := New(dir)
	rec := aRun(t, st, func(string, int) bool { return true })
	if _, err := st.Finish(ctx, rec, time.Now()); err != nil {
		t.Fatal(err)
	}
	ls, err := st.OpenLedger(ctx, rec.RunID, "us-users", inventory.KeyRange{Start: "03/2", End: "05/"})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	var keys []string
	for {
		page, err := ls.NextPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			keys = append(keys, e.Key)
		}
	}
	// Whole parts that overlap the range: the caller's merge skips what
	// lies before its start.
	want := []string{"03/0", "03/1", "03/2", "03/3", "04/0", "04/1", "04/2", "04/3"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("streamed keys (-want +got):\n%s", diff)
	}
}
