package parity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// testBudget is a Budget that records the bytes each key took.
type testBudget struct {
	mu    sync.Mutex
	left  int64
	taken map[string]int64
}

func newTestBudget(n int64) *testBudget { return &testBudget{left: n, taken: map[string]int64{}} }

func (b *testBudget) Reserve(key string, n, keep int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if keep > b.left || n > b.left-keep {
		return false
	}
	b.left -= n
	b.taken[key] += n
	return true
}

// jitterResolver answers as the resolver it wraps, after a delay that
// depends on the request and a seed, so that answers come back in another
// order than they were asked; it counts the requests.
type jitterResolver struct {
	r    Resolver
	seed string

	mu    sync.Mutex
	calls map[string]int
}

func (j *jitterResolver) wait(call string) {
	j.mu.Lock()
	j.calls[call]++
	j.mu.Unlock()
	h := fnv.New64a()
	h.Write([]byte(j.seed + call))
	switch d := h.Sum64() % 16; {
	case d < 8:
	case d < 15:
		for range d - 7 {
			runtime.Gosched()
		}
	default:
		time.Sleep(20 * time.Microsecond)
	}
}

func (j *jitterResolver) Head(ctx context.Context, store, key string) (inventory.Fingerprint, error) {
	j.wait("head " + store + "/" + key)
	return j.r.Head(ctx, store, key)
}

func (j *jitterResolver) Read(ctx context.Context, req ReadRequest) ([]inventory.Checksum, error) {
	j.wait(fmt.Sprintf("read %s/%s parts of %d", req.Store, req.Key, req.PartSize))
	return j.r.Read(ctx, req)
}

// reusedPages is a listing that hands out every page in one buffer, and
// scribbles over the last page before it fills the next: a key that keeps
// a pointer into a page it does not own reads garbage.
type reusedPages struct {
	fps  []inventory.Fingerprint
	size int
	page []inventory.Fingerprint
}

func reusing(fps []inventory.Fingerprint, size int) *reusedPages {
	return &reusedPages{fps: fps, size: size, page: make([]inventory.Fingerprint, 0, size)}
}

func (r *reusedPages) NextPage() ([]inventory.Fingerprint, error) {
	for i := range r.page {
		r.page[i] = inventory.Fingerprint{Key: "\xff scribbled", Size: -1, ETag: "scribbled"}
	}
	if len(r.fps) == 0 {
		return nil, io.EOF
	}
	n := min(r.size, len(r.fps))
	r.page = append(r.page[:0], r.fps[:n]...)
	r.fps = r.fps[n:]
	return r.page, nil
}

func (r *reusedPages) Close() error { return nil }

// reusedEntries is the same for a ledger stream.
type reusedEntries struct {
	es   []ledger.Entry
	page []ledger.Entry
}

func (r *reusedEntries) NextPage() ([]ledger.Entry, error) {
	for i := range r.page {
		r.page[i] = ledger.Entry{Key: "\xff scribbled", Verdict: ledger.Error, HeldBy: []string{"scribbled"}}
	}
	if len(r.es) == 0 {
		return nil, io.EOF
	}
	n := min(3, len(r.es))
	r.page = append(r.page[:0], r.es[:n]...)
	r.es = r.es[n:]
	return r.page, nil
}

// encodeLedger is the ledger file entries make.
func encodeLedger(t interface{ Fatalf(string, ...any) }, entries []ledger.Entry) []byte {
	var buf bytes.Buffer
	w := ledger.NewWriter(&buf)
	for i := range entries {
		if err := w.Write(&entries[i]); err != nil {
			t.Fatalf("writing ledger: %v", err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatalf("closing ledger: %v", err)
	}
	return buf.Bytes()
}

// verifyOnce runs one engine over the world's listings and the previous
// ledger, and returns what it emitted, its tally, the bytes each key took
// from the budget (nil without one) and the requests it made.
func verifyOnce(t *rapid.T, w *world, listed [3][]inventory.Fingerprint, base *inventorySnapshot, pair Pair, prev []ledger.Entry, at time.Time, deep bool, budget int64, concurrency, window int, seed string) ([]ledger.Entry, ledger.Tally, map[string]int64, map[string]int) {
	res := &jitterResolver{r: worldResolver{w}, seed: seed, calls: map[string]int{}}
	cfg := Config{Pair: pair, Policy: Policy{DeepVerify: deep}, Now: at, Resolver: res, Concurrency: concurrency}
	var b *testBudget
	if budget >= 0 {
		b = newTestBudget(budget)
		cfg.Budget = b
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.window = window
	us, sg, tg := listed[0], listed[1], listed[2]
	ctx := context.Background()
	// Sources that reuse their pages, as real ones may.
	in := Inputs{
		Legacy:   []inventory.Listing{reusing(us, 2), reusing(sg, 3)},
		Target:   reusing(tg, 1),
		Previous: &reusedEntries{es: prev},
	}
	if base != nil {
		for _, st := range []string{"legacy-sg", "legacy-us"} {
			in.Baselines = append(in.Baselines, Baseline{Store: st, Source: "inventory of " + st, Date: earlier, Listing: reusing(base.rows[st], 2)})
		}
	}
	var got []ledger.Entry
	last := ""
	tally, err := e.Verify(ctx, inventory.KeyRange{}, in, func(en *ledger.Entry) error {
		if last != "" && en.Key <= last {
			t.Fatalf("emitted %q after %q", en.Key, last)
		}
		last = en.Key
		got = append(got, en.Clone())
		return nil
	})
	if err != nil {
		t.Fatalf("verify (concurrency %d): %v", concurrency, err)
	}
	var taken map[string]int64
	if b != nil {
		taken = b.taken
	}
	return got, tally, taken, res.calls
}

// Resolving keys concurrently changes nothing but the time it takes: on
// random histories, with random budgets, windows and answer orders, the
// concurrent engine emits the very ledger the serial one does, makes the
// same requests and spends the same bytes of the budget on the same keys.
func TestPropertyConcurrentResolutionAgreesWithSerial(t *testing.T) {
	keys := make([]string, 24)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%02d", i)
	}
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorldOf(keys)
		if rapid.Bool().Draw(rt, "every key uploaded and migrated first") {
			// Many keys needing HEADs and reads at once.
			for _, k := range keys {
				put := op{kind: "put", store: rapid.SampledFrom([]string{"legacy-us", "legacy-sg"}).Draw(rt, "store of "+k), key: k,
					content: rapid.SampledFrom(propContents).Draw(rt, "content of "+k), multipart: rapid.Bool().Draw(rt, "multipart "+k), kms: rapid.Bool().Draw(rt, "kms "+k)}
				w.apply(put)
				w.apply(op{kind: "migrate", store: put.store, key: k, sha: rapid.Bool().Draw(rt, "sha "+k)})
			}
		}
		// Sometimes S3 Inventories of the legacy stores, taken before the
		// first run and given to it as baselines.
		var base *inventorySnapshot
		if rapid.Bool().Draw(rt, "baselines") {
			for _, o := range rapid.SliceOfN(genOpOn(keys), 0, 24).Draw(rt, "ops before the inventory") {
				w.apply(o)
			}
			base = w.takeInventory(rapid.Bool().Draw(rt, "inventory with EncryptionStatus"))
		}
		var prev []ledger.Entry
		runs := rapid.IntRange(2, 4).Draw(rt, "runs")
		for run := range runs {
			for _, o := range rapid.SliceOfN(genOpOn(keys), 0, 24).Draw(rt, fmt.Sprintf("ops before run %d", run)) {
				w.apply(o)
			}
			deep := rapid.Bool().Draw(rt, fmt.Sprintf("deep verify in run %d", run))
			budget := rapid.Int64Range(-1, 120).Draw(rt, fmt.Sprintf("budget of run %d (-1: none)", run))
			concurrency := rapid.IntRange(2, 8).Draw(rt, fmt.Sprintf("concurrency of run %d", run))
			window := rapid.IntRange(1, 12).Draw(rt, fmt.Sprintf("window of run %d", run))
			seed := rapid.StringN(1, 4, 4).Draw(rt, fmt.Sprintf("answer order of run %d", run))
			at := now.Add(time.Duration(run) * 24 * time.Hour)
			// Stores that cannot HEAD (or read) change which requests a
			// key needs, and let later keys' reads past earlier ones.
			pair := testPair()
			for i := range pair.Legacy {
				pair.Legacy[i].Features.Head = rapid.Bool().Draw(rt, fmt.Sprintf("%s heads in run %d", pair.Legacy[i].Name, run))
			}
			pair.Target.Features.Head = rapid.Bool().Draw(rt, fmt.Sprintf("target heads in run %d", run))
			pair.Legacy[1].Features.Read = rapid.Bool().Draw(rt, fmt.Sprintf("legacy-sg reads in run %d", run))

			// Objects that change after they were listed: their HEADs and
			// reads tell what is there now.
			var listed [3][]inventory.Fingerprint
			listed[0], listed[1], listed[2] = w.listings()
			for _, o := range rapid.SliceOfN(genOpOn(keys), 0, 4).Draw(rt, fmt.Sprintf("changes during run %d", run)) {
				w.apply(o)
			}

			runBase := base
			if run > 0 {
				runBase = nil // a first run reads the baselines
			}
			serial, serialTally, serialTaken, serialCalls := verifyOnce(rt, w, listed, runBase, pair, prev, at, deep, budget, 1, 0, seed)
			conc, concTally, concTaken, concCalls := verifyOnce(rt, w, listed, runBase, pair, prev, at, deep, budget, concurrency, window, seed)
			if !bytes.Equal(encodeLedger(rt, serial), encodeLedger(rt, conc)) {
				rt.Fatalf("run %d: the ledgers differ (-serial +concurrent):\n%s", run, cmp.Diff(serial, conc))
			}
			if diff := cmp.Diff(serialTally.Verdicts(), concTally.Verdicts()); diff != "" || serialTally.Objects != concTally.Objects {
				rt.Fatalf("run %d: tallies (-serial +concurrent):\n%s", run, diff)
			}
			if diff := cmp.Diff(serialTaken, concTaken); diff != "" {
				rt.Fatalf("run %d: budget taken per key (-serial +concurrent):\n%s", run, diff)
			}
			if diff := cmp.Diff(serialCalls, concCalls); diff != "" {
				rt.Fatalf("run %d: requests (-serial +concurrent):\n%s", run, diff)
			}
			prev = roundTrip(rt, serial)
		}
	})
}

// gateResolver holds the HEADs of chosen keys until released, and tells
// when a HEAD arrives; other requests are answered at once from heads.
type gateResolver struct {
	heads   map[string]inventory.Fingerprint // "store/key"
	hold    map[string]chan struct{}         // key → closed to release its HEADs
	arrived chan string                      // "store/key" of every HEAD, as it arrives

	mu       sync.Mutex
	inFlight map[string]int // HEADs of a key in flight now
	most     map[string]int // most HEADs of a key in flight at once
	all      int            // HEADs in flight now
	mostAll  int            // most HEADs in flight at once
}

func newGateResolver() *gateResolver {
	return &gateResolver{heads: map[string]inventory.Fingerprint{}, hold: map[string]chan struct{}{}, arrived: make(chan string, 1000),
		inFlight: map[string]int{}, most: map[string]int{}}
}

func (g *gateResolver) Head(ctx context.Context, store, key string) (inventory.Fingerprint, error) {
	g.mu.Lock()
	g.inFlight[key]++
	g.most[key] = max(g.most[key], g.inFlight[key])
	g.all++
	g.mostAll = max(g.mostAll, g.all)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight[key]--
		g.all--
		g.mu.Unlock()
	}()
	g.arrived <- store + "/" + key
	if c, ok := g.hold[key]; ok {
		select {
		case <-c:
		case <-ctx.Done():
			return inventory.Fingerprint{}, ctx.Err()
		}
	}
	f, ok := g.heads[store+"/"+key]
	if !ok {
		return inventory.Fingerprint{}, fmt.Errorf("no HEAD fixture for %s/%s", store, key)
	}
	return f, nil
}

func (g *gateResolver) Read(ctx context.Context, req ReadRequest) ([]inventory.Checksum, error) {
	return nil, fmt.Errorf("no read expected of %s/%s", req.Store, req.Key)
}

// s3Pair is one legacy S3 store and an S3 target: both list ETags.
func s3Pair() Pair {
	return Pair{Name: "s3", Legacy: []StoreInfo{{Name: "legacy", Features: legacyFeatures}}, Target: StoreInfo{Name: "target", Features: legacyFeatures}}
}

// changedKeys lists n keys in a legacy and a target S3 store, with the
// target copy of the keys in changed changed at the same size, and gives
// their HEADs to g.
func changedKeys(g *gateResolver, n int, changed ...int) (legacy, target []inventory.Fingerprint, keys []string) {
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		keys = append(keys, k)
		tc := content
		if slices.Contains(changed, i) {
			tc = strings.ToUpper(content)
			g.heads["legacy/"+k] = inventory.Fingerprint{Key: k, Size: size, Encryption: inventory.EncryptionNone, Checksums: []inventory.Checksum{etag(content)}}
			g.heads["target/"+k] = inventory.Fingerprint{Key: k, Size: size, Encryption: inventory.EncryptionNone, Checksums: []inventory.Checksum{etag(tc)}}
		}
		legacy = append(legacy, *fp(k, size, etag(content)))
		target = append(target, *fp(k, size, etag(tc)))
	}
	return legacy, target, keys
}

// A key whose legacy and target ETags differ has both HEADs in flight at
// once.
func TestConcurrentHeadsOfOneKeyGoTogether(t *testing.T) {
	g := newGateResolver()
	legacy, target, _ := changedKeys(g, 3, 1)
	release := make(chan struct{})
	g.hold["k001"] = release
	e, err := New(Config{Pair: s3Pair(), Now: now, Resolver: g, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := make(chan error, 1)
	var got []ledger.Entry
	go func() {
		_, err := e.Verify(ctx, inventory.KeyRange{}, Inputs{Legacy: []inventory.Listing{memory.NewListing(ctx, legacy, 2)}, Target: memory.NewListing(ctx, target, 2)},
			func(en *ledger.Entry) error { got = append(got, en.Clone()); return nil })
		done <- err
	}()
	var arrived []string
	for range 2 {
		select {
		case a := <-g.arrived:
			arrived = append(arrived, a)
		case <-time.After(10 * time.Second):
			t.Fatalf("HEADs in flight: %v, want both of k001's at once", arrived)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	slices.Sort(arrived)
	if diff := cmp.Diff([]string{"legacy/k001", "target/k001"}, arrived); diff != "" {
		t.Errorf("HEADs in flight together (-want +got):\n%s", diff)
	}
	if g.most["k001"] != 2 {
		t.Errorf("at most %d HEADs of k001 in flight at once, want 2", g.most["k001"])
	}
	var verdicts []string
	for _, en := range got {
		verdicts = append(verdicts, en.Key+" "+string(en.Verdict))
	}
	if diff := cmp.Diff([]string{"k000 verified", "k001 mismatch", "k002 verified"}, verdicts); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// At most Concurrency requests are in flight at once, and as many as that
// are: keys waiting for a place get one as soon as a request ends.
func TestConcurrentRequestsStayWithinConcurrency(t *testing.T) {
	g := newGateResolver()
	changed := make([]int, 20)
	for i := range changed {
		changed[i] = i
	}
	legacy, target, keys := changedKeys(g, 20, changed...)
	release := make(chan struct{})
	for _, k := range keys {
		g.hold[k] = release
	}
	e, err := New(Config{Pair: s3Pair(), Now: now, Resolver: g, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var emitted []string
	done := make(chan error, 1)
	go func() {
		_, err := e.Verify(ctx, inventory.KeyRange{}, Inputs{Legacy: []inventory.Listing{memory.NewListing(ctx, legacy, 4)}, Target: memory.NewListing(ctx, target, 4)},
			func(en *ledger.Entry) error { emitted = append(emitted, en.Key); return nil })
		done <- err
	}()
	for range 3 {
		select {
		case <-g.arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("fewer than 3 HEADs in flight: requests were not issued concurrently")
		}
	}
	select {
	case a := <-g.arrived:
		t.Errorf("a fourth HEAD (%s) arrived while 3 were held", a)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.mostAll != 3 {
		t.Errorf("at most %d HEADs in flight at once, want 3", g.mostAll)
	}
	if diff := cmp.Diff(keys, emitted); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
}

// While a key waits for its HEADs the merge goes on and later keys are
// resolved, but nothing after it is emitted until it is settled: entries
// leave in key order.
func TestConcurrentMergeGoesOnWhileAKeyResolves(t *testing.T) {
	g := newGateResolver()
	legacy, target, keys := changedKeys(g, 50, 0, 30)
	release := make(chan struct{})
	g.hold["k000"] = release
	e, err := New(Config{Pair: s3Pair(), Now: now, Resolver: g, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	var emitted []string
	done := make(chan error, 1)
	go func() {
		_, err := e.Verify(ctx, inventory.KeyRange{}, Inputs{Legacy: []inventory.Listing{memory.NewListing(ctx, legacy, 7)}, Target: memory.NewListing(ctx, target, 5)},
			func(en *ledger.Entry) error {
				mu.Lock()
				emitted = append(emitted, en.Key)
				mu.Unlock()
				return nil
			})
		done <- err
	}()
	// k030's HEADs arrive while k000's are held.
	for waiting := true; waiting; {
		select {
		case a := <-g.arrived:
			waiting = !strings.HasSuffix(a, "/k030")
		case <-time.After(10 * time.Second):
			t.Fatal("k030 was not resolved while k000 waited: the merge stopped")
		}
	}
	mu.Lock()
	if len(emitted) != 0 {
		t.Errorf("emitted %v before k000 was settled", emitted)
	}
	mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys, emitted); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
}

// Cancelling a Verify whose keys wait for requests stops it at once with
// the context's error, having emitted only settled keys in order, and
// leaves no goroutine behind.
func TestConcurrentVerifyStopsWhenCancelled(t *testing.T) {
	g := newGateResolver()
	legacy, target, _ := changedKeys(g, 40, 5, 6, 7, 20)
	never := make(chan struct{})
	for _, k := range []string{"k005", "k006", "k007", "k020"} {
		g.hold[k] = never
	}
	e, err := New(Config{Pair: s3Pair(), Now: now, Resolver: g, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var emitted []string
	done := make(chan error, 1)
	go func() {
		_, err := e.Verify(ctx, inventory.KeyRange{}, Inputs{Legacy: []inventory.Listing{memory.NewListing(ctx, legacy, 7)}, Target: memory.NewListing(ctx, target, 5)},
			func(en *ledger.Entry) error { emitted = append(emitted, en.Key); return nil })
		done <- err
	}()
	for range 8 { // both HEADs of the four held keys
		select {
		case <-g.arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the held keys' HEADs did not all arrive")
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Verify returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Verify did not stop when cancelled")
	}
	if diff := cmp.Diff([]string{"k000", "k001", "k002", "k003", "k004"}, emitted); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Verify returned, %d before", n, before)
	}
}
