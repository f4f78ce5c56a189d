package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// manyExceptions runs one pair of n keys whose every tenth key is missing
// from the target and every 97th key was deleted from the legacy store
// without ever being proven (critical), and returns the world.
type bigRun struct {
	stores map[string]*memory.Store
	cfg    *config.Config
	dir    storage.Store
	st     *state.State
	verify *verify.Verifier
	runID  string
}

func newBigRun(t *testing.T, n int, run func(v *verify.Verifier, rec *state.Record)) *bigRun {
	t.Helper()
	return newRunOf(t, n, func(i int) (legacy, target bool) { return i%97 != 5, i%10 != 3 }, run)
}

// newRunOf runs one pair of n keys, key i in the legacy store and in the
// target as has says, and returns the world.
func newRunOf(t *testing.T, n int, has func(i int) (legacy, target bool), run func(v *verify.Verifier, rec *state.Record)) *bigRun {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "c.yaml"), []byte(`
stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
run: {checkpoint_every: 500, workers: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for i := range n {
		key := fmt.Sprintf("%d/%06d.bin", i%4, i)
		body := []byte("content " + key)
		legacy, target := has(i)
		if legacy {
			stores["legacy-us"].Put(key, body)
		}
		if target {
			stores["oci-us"].Put(key, body)
		}
	}
	dir, _ := storage.NewDir(t.TempDir())
	b := &bigRun{stores: stores, cfg: cfg, dir: dir, st: state.New(dir)}
	b.verify = verify.New(verify.Options{Config: cfg, State: b.st, Now: func() time.Time { return time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC) },
		Open: func(ctx context.Context, s config.Store, _ int) (inventory.Store, error) {
			return prefixesOnly{stores[s.Name], stores[s.Name]}, nil
		}})
	rec, err := b.verify.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	b.runID = rec.RunID
	run(b.verify, rec)
	return b
}

// prefixesOnly is a store that lists its prefixes but cannot sample its
// keys, so that a first run is cut at its four top-level prefixes.
type prefixesOnly struct {
	inventory.Store
	inventory.PrefixLister
}

func runAll(t *testing.T) func(v *verify.Verifier, rec *state.Record) {
	return func(v *verify.Verifier, rec *state.Record) {
		if err := v.RunShards(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Finish(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// A report Build makes holds the exceptions the HTML shows, no more; it
// streams them all, in ledger order, into report.json — the bytes
// json.MarshalIndent gives for the report with all of them in memory —
// and exceptions.csv.
func TestReportStreamsItsExceptions(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 60_000, runAll(t))
	rep, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Exceptions) != 0 || len(rep.worst) != htmlExceptionsShown {
		t.Errorf("the report holds %d exceptions and %d to show, want none and %d", len(rep.Exceptions), len(rep.worst), htmlExceptionsShown)
	}
	all := allExceptions(t, rep)
	if int64(len(all)) != rep.ExceptionCount() || len(all) < 5_900 {
		t.Fatalf("streamed %d exceptions, the report counts %d", len(all), rep.ExceptionCount())
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Key >= all[i].Key {
			t.Fatalf("exceptions out of ledger order: %q before %q", all[i-1].Key, all[i].Key)
		}
	}
	// The worst first: every critical one (about 600), then the others.
	if diff := cmp.Diff(WorstFirst(all)[:htmlExceptionsShown], rep.Worst(htmlExceptionsShown)); diff != "" {
		t.Errorf("the exceptions shown (-WorstFirst of all +Worst):\n%s", diff)
	}
	inMemory := *rep
	inMemory.stream, inMemory.Exceptions = nil, all
	want, err := json.MarshalIndent(&inMemory, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := rep.WriteJSON(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(want, '\n'), got.Bytes()) {
		t.Errorf("streamed report.json (%d bytes) differs from json.MarshalIndent's (%d bytes)", got.Len(), len(want)+1)
	}
	csvb, err := rep.CSV()
	if err != nil {
		t.Fatal(err)
	}
	// Written together, in one pass, they are the same bytes.
	var csvTogether, jsonTogether bytes.Buffer
	if err := rep.writeCSVAndJSON(ctx, &csvTogether, &jsonTogether); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(csvb, csvTogether.Bytes()) || !bytes.Equal(got.Bytes(), jsonTogether.Bytes()) {
		t.Errorf("writeCSVAndJSON wrote %d and %d bytes, not WriteCSV's %d and WriteJSON's %d", csvTogether.Len(), jsonTogether.Len(), len(csvb), got.Len())
	}
	parsed, err := ParseCSV(bytes.NewReader(csvb))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, parsed); diff != "" {
		t.Errorf("exceptions.csv (-report +csv):\n%s", diff)
	}

	// The page shows the first 5,000, says how many more there are and
	// links to the CSV.
	page, err := rep.HTML(Published{ReportURL: "file:///r/report.json"})
	if err != nil {
		t.Fatal(err)
	}
	d := parseDoc(t, page)
	if n := len(rows(d.byID("exceptions"))); n != htmlExceptionsShown {
		t.Errorf("the page lists %d exceptions, want %d", n, htmlExceptionsShown)
	}
	more := fmt.Sprintf("%s more exceptions are not shown here", formatCount(rep.ExceptionCount()-htmlExceptionsShown))
	if s := text(d.byID("exceptions")); !strings.Contains(s, more) || !strings.Contains(string(page), `<a href="exceptions.csv">exceptions.csv</a> and report.json`) {
		t.Errorf("the exceptions section does not say %q with a link to the CSV", more)
	}
	if s := text(d.byID("exceptions")); !strings.Contains(s, fmt.Sprintf("Exceptions (%s)", formatCount(rep.ExceptionCount()))) {
		t.Errorf("the exceptions section does not count them all")
	}

	// WriteHTML writes that page as the template makes it, never the
	// whole of it (5.6 MB here) at once.
	var w writeSizes
	if err := rep.WriteHTML(&w, Published{ReportURL: "file:///r/report.json"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(page, w.buf.Bytes()) {
		t.Errorf("WriteHTML wrote %d bytes, not HTML's page of %d", w.buf.Len(), len(page))
	}
	if len(page) < 1<<20 || w.largest > 64<<10 {
		t.Errorf("WriteHTML wrote the page of %d bytes with writes of up to %d bytes; want a page over 1 MiB, no write over 64 KiB", len(page), w.largest)
	}
}

// writeSizes keeps what is written to it and the largest single write.
type writeSizes struct {
	buf     bytes.Buffer
	largest int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	return w.buf.Write(p)
}

// Build reads exception files only until the rows report.html shows are
// settled, and after that only the shards whose tallies hold a critical
// exception, which could still take a row. The rows are those WorstFirst
// gives of every exception.
func TestBuildReadsOnlyTheExceptionsItShows(t *testing.T) {
	ctx := context.Background()
	// Four shards (prefixes 0/ to 3/, key i under i%4) of 10,000 keys,
	// every fifth missing from the target: 2,000 exceptions a shard, so
	// the 5,000 rows are taken in the third.
	b := newRunOf(t, 40_000, func(i int) (bool, bool) { return true, i%5 != 1 }, runAll(t))
	// The next run finds three of the fourth shard's legacy copies gone,
	// their parity never proven: critical, and they take the first rows.
	for _, key := range []string{"3/000011.bin", "3/000031.bin", "3/000051.bin"} {
		if !b.stores["legacy-us"].Delete(key) {
			t.Fatalf("no %s to delete", key)
		}
	}
	rec, err := b.verify.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	runAll(t)(b.verify, rec)

	files, shards := exceptionFiles(t, b.st, rec.RunID)
	if shards != 4 || len(files) != 80 {
		t.Fatalf("the run has %d shards and %d exception files, want 4 and 80 (one a part of 500 keys)", shards, len(files))
	}
	reads := &getCounter{Store: b.dir, counts: map[string]int{}}
	rep, err := Build(ctx, b.cfg, state.New(reads), rec.RunID)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, f := range files {
		read += reads.counts[f]
	}
	// Shards 0/ and 1/ whole (20 files each, 100 exceptions a file), 2/
	// to its 1,000th exception (10 files), and 3/ to its third critical
	// exception, the last its tally counts (in its first file).
	if read != 51 {
		t.Errorf("Build read exception files %d times, want 51 (of 80 files)", read)
	}
	all := allExceptions(t, rep)
	if diff := cmp.Diff(WorstFirst(all)[:htmlExceptionsShown], rep.Worst(htmlExceptionsShown)); diff != "" {
		t.Errorf("the exceptions shown (-WorstFirst of all +Worst):\n%s", diff)
	}
	var first []string
	for _, x := range rep.Worst(4) {
		first = append(first, x.Key+" "+string(x.Verdict))
	}
	want := []string{"3/000011.bin deleted_unverified", "3/000031.bin deleted_unverified", "3/000051.bin deleted_unverified", "0/000016.bin missing"}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("the first rows shown (-want +got):\n%s", diff)
	}
	if rep.ExceptionCount() != int64(len(all)) || len(all) != 8_000 {
		t.Errorf("the report counts %d exceptions and streams %d, want 8,000", rep.ExceptionCount(), len(all))
	}
}

// Publish reads each exception file once, signed or not: one pass writes
// exceptions.csv and report.json (and, signed, hashes report.json for its
// signature). report.json is stored last, after every other file. What it
// publishes attests, with the signature checked against the signing key.
func TestPublishReadsEachExceptionFileOnce(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	files, _ := exceptionFiles(t, b.st, b.runID)
	dir := t.TempDir()
	signer, pub := newKey(t, filepath.Join(dir, "signing.pem"))
	for _, c := range []struct {
		name string
		opts []PublishOption
		key  []byte // the key attest verify requires
	}{
		{"unsigned", nil, nil},
		{"signed", []PublishOption{SignWith(signer)}, pub},
	} {
		t.Run(c.name, func(t *testing.T) {
			reads := &getCounter{Store: b.dir, counts: map[string]int{}}
			rep, err := Build(ctx, b.cfg, state.New(reads), b.runID)
			if err != nil {
				t.Fatal(err)
			}
			reads.mu.Lock()
			clear(reads.counts)
			reads.mu.Unlock()
			reportsDir, _ := storage.NewDir(filepath.Join(dir, c.name))
			reports := &storedInOrder{Store: reportsDir}
			published, err := Publish(ctx, reports, rep, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			want, got := map[string]int{}, map[string]int{}
			for _, f := range files {
				want[f], got[f] = 1, reads.counts[f]
			}
			if n := len(reports.stored); n < 4 || reports.stored[n-2] != rep.RunID+"/report.json" || reports.stored[n-1] != "latest.json" {
				t.Errorf("the files were stored in the order %v: report.json not last before latest.json", reports.stored)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("reads of each exception file while publishing (-want +got):\n%s", diff)
			}
			if checks, err := AttestWith(ctx, FetchFile, published.ReportURL, AttestOptions{PublicKey: c.key}); err != nil {
				t.Errorf("attest verify: %v (%+v)", err, checks[len(checks)-1])
			}
		})
	}
}

// exceptionFiles returns the names, at the state location, of the
// exception files of run runID's manifest, and its number of shards.
func exceptionFiles(t *testing.T, st *state.State, runID string) (names []string, shards int) {
	t.Helper()
	if _, err := st.WalkManifest(context.Background(), state.ManifestName(runID), func(_ string, sh *ledger.ManifestShard) error {
		shards++
		for _, f := range sh.Exceptions {
			names = append(names, state.RunDir(runID)+f.Path)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names, shards
}

// getCounter counts the Gets of each name.
type getCounter struct {
	storage.Store
	mu     sync.Mutex
	counts map[string]int
}

func (g *getCounter) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	g.mu.Lock()
	g.counts[name]++
	g.mu.Unlock()
	return g.Store.Get(ctx, name)
}

// Published, the streamed report holds: attest verify recounts it from
// the ledger.
func TestStreamedReportAttests(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	rep, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	reports, _ := storage.NewDir(t.TempDir())
	pub, err := Publish(ctx, reports, rep)
	if err != nil {
		t.Fatal(err)
	}
	page, err := rep.HTML(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := readString(t, reports, rep.RunID+"/report.html"); got != string(page) {
		t.Errorf("the published report.html (%d bytes) is not the page HTML renders (%d bytes)", len(got), len(page))
	}
	checks, err := Attest(ctx, FetchFile, pub.ReportURL)
	if err != nil {
		t.Fatalf("attest verify: %v (%+v)", err, checks[len(checks)-1])
	}
}

// A manifest written before shards recorded their tallies is reported by
// reading its ledger: the same report.
func TestReportOfAnEarlierManifest(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	want, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	wantExceptions := allExceptions(t, want)
	var buf bytes.Buffer
	mw := ledger.NewManifestWriter(&buf)
	pair := ""
	if _, err := b.st.WalkManifest(ctx, state.ManifestName(b.runID), func(p string, sh *ledger.ManifestShard) error {
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
	if err := b.dir.Put(ctx, state.ManifestName(b.runID), &buf, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Pairs, got.Pairs); diff != "" {
		t.Errorf("pairs (-recorded +recounted):\n%s", diff)
	}
	if diff := cmp.Diff(wantExceptions, allExceptions(t, got)); diff != "" {
		t.Errorf("exceptions (-recorded +recounted):\n%s", diff)
	}
	if diff := cmp.Diff(want.Worst(100), got.Worst(100)); diff != "" {
		t.Errorf("exceptions shown (-recorded +recounted):\n%s", diff)
	}
}

// A run some of whose shards failed is reported from the shards done: not
// complete, no pair attested, each shard not verified named with its
// error; latest.json stays on the last complete run; attest verify holds.
func TestReportOfARunWithFailedShards(t *testing.T) {
	ctx := context.Background()
	var failed state.PlannedShard
	b := newBigRun(t, 4_000, func(v *verify.Verifier, rec *state.Record) {
		for i, s := range rec.Pairs[0].Shards {
			if i == 2 {
				failed = s
				continue
			}
			if _, err := v.RunShard(ctx, rec, "us-users", s.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
	rec, err := b.st.ReadRecord(ctx, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.st.WriteFailure(ctx, b.runID, state.Failure{Pair: "us-users", Shard: failed, Error: "ShardStalled", Cause: "no checkpoint in 3 invocations"}); err != nil {
		t.Fatal(err)
	}
	p, err := b.st.FinishPartial(ctx, rec, time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(ctx, b.cfg, b.st, b.runID, FromPartial(p), WithFailure(&RunFailure{State: "Shards", Error: "States.ExceedToleratedFailureThreshold", Cause: "…"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []UnverifiedShard{{Pair: "us-users", Shard: failed.ID, Start: failed.Range.Start, End: failed.Range.End, Error: "ShardStalled", Cause: "no checkpoint in 3 invocations"}}
	if diff := cmp.Diff(want, rep.UnverifiedShards); diff != "" {
		t.Errorf("unverified shards (-want +got):\n%s", diff)
	}
	if rep.Complete || rep.Pairs[0].Attested || rep.Pairs[0].UnverifiedShards != 1 || rep.Failure == nil ||
		rep.Pairs[0].Statement != "Pair us-users is not attested: 1 of its shards was not verified in this run, and the keys in them are not counted here." {
		t.Errorf("report of a run with a failed shard: complete %v, pair %+v, failure %+v", rep.Complete, rep.Pairs[0], rep.Failure)
	}
	var done int64
	if err := b.st.Checkpoints(ctx, rec, func(_ string, _ state.PlannedShard, cp state.Checkpoint) error {
		if cp.Done {
			done += cp.Tally.Objects
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Objects != done || done < 2_900 || rep.Ledger.Manifest != p.ManifestURL || rep.Ledger.SHA256 != p.ManifestSHA256 {
		t.Errorf("totals %+v over %+v, want the %d keys of the three shards done", rep.Totals, rep.Ledger, done)
	}
	reports, _ := storage.NewDir(t.TempDir())
	pub, err := Publish(ctx, reports, rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reports.Get(ctx, "latest.json"); err == nil {
		t.Error("latest.json points at a run that is not complete")
	}
	if checks, err := Attest(ctx, FetchFile, pub.ReportURL); err != nil {
		t.Errorf("attest verify of the partial report: %v (%+v)", err, checks)
	}
}

// An exception file that no longer holds what the manifest says fails the
// publication as it streams: no report.json, no exceptions.csv.
func TestPublishStopsAtAChangedExceptionFile(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	rep, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	var last ledger.ManifestFile
	if _, err := b.st.WalkManifest(ctx, state.ManifestName(b.runID), func(_ string, sh *ledger.ManifestShard) error {
		if len(sh.Exceptions) > 0 {
			last = sh.Exceptions[len(sh.Exceptions)-1]
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	damage(t, b.dir, state.RunDir(b.runID)+last.Path)
	reports, _ := storage.NewDir(t.TempDir())
	if _, err := Publish(ctx, reports, rep); err == nil || !strings.Contains(err.Error(), last.Path) {
		t.Fatalf("publishing over a changed exception file: %v", err)
	}
	if names, _ := reports.List(ctx, ""); len(names) != 0 {
		t.Errorf("a failed publication stored %v", names)
	}
}

// damage appends a byte to the file name at dir: its content still
// decodes, but no longer matches its digest.
func damage(t *testing.T, dir storage.Store, name string) {
	t.Helper()
	ctx := context.Background()
	rc, err := dir.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Put(ctx, name, bytes.NewReader(append(body, 0)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// publish builds the report of b's run and publishes it at a new reports
// location.
func (b *bigRun) publish(t *testing.T) (*Report, *storage.Dir) {
	t.Helper()
	ctx := context.Background()
	rep, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := storage.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, reports, rep); err != nil {
		t.Fatal(err)
	}
	return rep, reports
}

// storedInOrder is a store that records the order in which its Puts
// ended.
type storedInOrder struct {
	storage.Store
	mu     sync.Mutex
	stored []string
}

func (s *storedInOrder) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	err := s.Store.Put(ctx, name, r, o)
	if err == nil {
		s.mu.Lock()
		s.stored = append(s.stored, name)
		s.mu.Unlock()
	}
	return err
}

// refusesReportJSON is a store whose Put of report.json fails after
// reading a little of it.
type refusesReportJSON struct{ storage.Store }

var errRefused = errors.New("the store refuses report.json")

func (s refusesReportJSON) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	if strings.HasSuffix(name, "/report.json") {
		_, _ = io.ReadFull(r, make([]byte, 1000))
		return errRefused
	}
	return s.Store.Put(ctx, name, r, o)
}

// When report.json's Put fails while the exceptions are being written,
// Publish fails with that store's error, and stores no report.json.
func TestPublishFailsWithReportJSONsPut(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	rep, err := Build(ctx, b.cfg, b.st, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := storage.NewDir(t.TempDir())
	_, err = Publish(ctx, refusesReportJSON{dir}, rep)
	if !errors.Is(err, errRefused) {
		t.Fatalf("publishing where report.json is refused: %v", err)
	}
	if names, _ := dir.List(ctx, ""); slices.Contains(names, rep.RunID+"/report.json") {
		t.Errorf("a failed publication stored report.json: %v", names)
	}
}
