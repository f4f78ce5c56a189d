// Package storagetest is the conformance suite every [storage.Store]
// passes: the contract of parityproof's own files (put, get, replace
// atomically, list, not found, cancellation, conditional writes, leases)
// written once and run against
// the file:// (a folder), s3:// (moto_server) and oci:// (ocilocal) stores
// alike. A new kind of location is done when the suite passes.
//
// The suite uses stores from several goroutines at once, as a run's shards
// do.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/internal/storage"
)

// Harness tells the suite how to make stores of one backend.
type Harness struct {
	// NewPlace makes a new, empty place of the backend for the test t (a
	// folder, a bucket) and returns a function that opens stores in it:
	// open("") is the store of the whole place, open(sub), with sub a path
	// ending in "/", the store of the location sub within it, whose name n
	// is the name sub+n of the whole place's store. NewPlace registers its
	// own cleanup with t.
	NewPlace func(t *testing.T) (open func(sub string) storage.Store)
	// InvalidNames are names the backend must refuse: Put and Get fail,
	// and nothing is written anywhere in the place.
	InvalidNames []string
	// ManyNames is how many names the listing of many names stores, more
	// than the 1000 a page of S3 or OCI holds; 0 skips that case, and so
	// does -short.
	ManyNames int
}

// OddNames are names that stores and their SDKs mishandle most often. A
// store keeps each exactly (Put, Get and List agree on it) or refuses it.
var OddNames = []string{
	"double//slash",
	"/leading-slash",
	"trailing-slash/",
	"./dot-segment",
	"mid/./dot-segment",
	"up/../segment",
	"..",
	".hidden",
	"dir/.hidden",
	"back\\slash",
	"a b/c d.json",
	"plus+sign",
	"percent%20not-a-space",
	"question?mark",
	"hash#tag",
	"unicode/été.json",       // é precomposed
	"unicode/e\u0301te.json", // e + combining acute
	"unicode/日本語/ファイル.json",
	"unicode/emoji-😀",
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("PutFromAFileOrAStream", func(t *testing.T) { testPutFromFile(t, h) })
	t.Run("ReplaceKeepsTheLatest", func(t *testing.T) { testReplace(t, h) })
	t.Run("ReplaceIsAtomic", func(t *testing.T) { testAtomicReplace(t, h) })
	t.Run("FailedPutKeepsThePrevious", func(t *testing.T) { testFailedPut(t, h) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, h) })
	t.Run("ListSortedByPrefix", func(t *testing.T) { testList(t, h) })
	t.Run("ListManyNames", func(t *testing.T) { testListMany(t, h) })
	t.Run("ListStaysInTheLocation", func(t *testing.T) { testListInLocation(t, h) })
	t.Run("OddNamesKeptOrRefused", func(t *testing.T) { testOddNames(t, h) })
	t.Run("InvalidNamesRefused", func(t *testing.T) { testInvalidNames(t, h) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, h) })
	t.Run("ConditionalWrites", func(t *testing.T) { testConditional(t, h) })
	t.Run("ConditionalWriteRace", func(t *testing.T) { testConditionalRace(t, h) })
	t.Run("Lease", func(t *testing.T) { testLease(t, h) })
	t.Run("LeaseRace", func(t *testing.T) { testLeaseRace(t, h) })
	t.Run("StaleLeaseTakenOver", func(t *testing.T) { testStaleLease(t, h) })
}

// content returns size bytes that differ from those of every other seed.
func content(seed, size int) []byte {
	b := make([]byte, size)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func put(t *testing.T, st storage.Store, name string, body []byte) {
	t.Helper()
	if err := st.Put(context.Background(), name, bytes.NewReader(body), storage.PutOptions{}); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

// get returns the content under name, or the error of Get or of the read.
func get(ctx context.Context, st storage.Store, name string) ([]byte, error) {
	rc, err := st.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func mustGet(t *testing.T, st storage.Store, name string) []byte {
	t.Helper()
	b, err := get(context.Background(), st, name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return b
}

func list(t *testing.T, st storage.Store, prefix string) []string {
	t.Helper()
	names, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return names
}

// equateEmpty lets an empty listing be nil or empty.
var equateEmpty = cmpopts.EquateEmpty()

// same compares contents without printing megabytes.
func same(t *testing.T, what string, want, got []byte) {
	t.Helper()
	if !bytes.Equal(want, got) {
		t.Errorf("%s: got %d bytes (sha256 %x), want %d bytes (sha256 %x)", what, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	objects := map[string][]byte{
		"latest.json":                   []byte(`{"run_id":"r1"}` + "\n"),
		"runs/r1/run.json":              []byte("{}"),
		"runs/r1/ledger/p/part-1.jsonl": content(1, 70_000),
		"empty":                         {},
		"binary":                        content(2, 256),
		"runs/r1/big.bin":               content(3, 3<<20+17),
	}
	for name, body := range objects {
		if err := st.Put(context.Background(), name, bytes.NewReader(body), storage.PutOptions{ContentType: "application/octet-stream"}); err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
	}
	for name, want := range objects {
		same(t, fmt.Sprintf("Get(%q)", name), want, mustGet(t, st, name))
	}
}

// A body that can seek (a file) is stored from where it stands; one that
// cannot (a pipe, as reports are streamed) whole — both however large: a
// store sends what does not fit one request in parts.
func testPutFromFile(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	body := content(4, 11<<20+3)
	f, err := os.CreateTemp(t.TempDir(), "body")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(body); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   int64
		body []byte
	}{{"from-file", 100, body[100:]}, {"from-file-small", int64(len(body)) - 1000, body[len(body)-1000:]}} {
		if _, err := f.Seek(tc.at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(context.Background(), tc.name, f, storage.PutOptions{ContentType: "application/json"}); err != nil {
			t.Fatalf("Put from a file: %v", err)
		}
		same(t, "Get("+tc.name+")", tc.body, mustGet(t, st, tc.name))
	}
	for name, b := range map[string][]byte{"from-stream": body, "from-stream-small": body[:1000], "from-stream-empty": {}} {
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < len(b); i += 4096 {
				if _, err := pw.Write(b[i:min(len(b), i+4096)]); err != nil {
					return
				}
			}
			pw.Close()
		}()
		if err := st.Put(context.Background(), name, pr, storage.PutOptions{ContentType: "text/csv"}); err != nil {
			t.Fatalf("Put from a stream of %d bytes: %v", len(b), err)
		}
		same(t, "Get("+name+")", b, mustGet(t, st, name))
	}
}

func testReplace(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	for i, size := range []int{10_000, 100, 0, 200_000, 7} {
		want := content(i, size)
		put(t, st, "runs/r1/checkpoint.json", want)
		same(t, fmt.Sprintf("Get after replace %d", i), want, mustGet(t, st, "runs/r1/checkpoint.json"))
	}
	if diff := cmp.Diff([]string{"runs/r1/checkpoint.json"}, list(t, st, "")); diff != "" {
		t.Errorf("List after replaces (-want +got):\n%s", diff)
	}
}

// While one goroutine replaces a large object again and again, readers
// see one whole version or another, never a mix, a part or nothing, and
// listers see the object's name alone (no temporary file).
func testAtomicReplace(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	const name = "runs/r1/checkpoint.bin"
	const versions = 8
	known := map[[32]byte]int{}
	bodies := make([][]byte, versions)
	for v := range bodies {
		bodies[v] = content(100+v, 2<<20+v*4099) // sizes differ too
		known[sha256.Sum256(bodies[v])] = v
	}
	put(t, st, name, bodies[0])

	var done atomic.Bool
	var reads, lists atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	for range 2 {
		wg.Go(func() {
			for bad := 0; bad < 3; {
				got, err := get(ctx, st, name)
				if _, whole := known[sha256.Sum256(got)]; err != nil {
					t.Errorf("Get during replaces: %v", err)
					bad++
				} else if !whole {
					t.Errorf("Get during replaces read %d bytes that are no version whole", len(got))
					bad++
				} else {
					reads.Add(1)
				}
				if done.Load() {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for bad := 0; bad < 3; {
			for _, prefix := range []string{"", "runs/r1/"} {
				got, err := st.List(ctx, prefix)
				if err != nil {
					t.Errorf("List(%q) during replaces: %v", prefix, err)
					bad++
				} else if diff := cmp.Diff([]string{name}, got); diff != "" {
					t.Errorf("List(%q) during replaces (-want +got):\n%s", prefix, diff)
					bad++
				}
			}
			lists.Add(1)
			if done.Load() {
				return
			}
		}
	})
	for v := 1; v < versions; v++ {
		if err := st.Put(ctx, name, bytes.NewReader(bodies[v]), storage.PutOptions{}); err != nil {
			t.Errorf("replace %d: %v", v, err)
		}
	}
	done.Store(true)
	wg.Wait()
	same(t, "Get after the replaces", bodies[versions-1], mustGet(t, st, name))
	t.Logf("%d whole reads and %d listings during %d replaces", reads.Load(), lists.Load(), versions-1)
}

// failAfter yields its content, then fails.
type failAfter struct{ r io.Reader }

var errBroken = errors.New("source broke")

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

// A Put whose content cannot be read fails and leaves what was there, or
// nothing, and no trace in the listing.
func testFailedPut(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	old := content(1, 50_000)
	put(t, st, "kept.json", old)
	for _, name := range []string{"kept.json", "new.json"} {
		err := st.Put(context.Background(), name, &failAfter{bytes.NewReader(content(2, 300_000))}, storage.PutOptions{})
		if !errors.Is(err, errBroken) {
			t.Errorf("Put(%q) of a broken source: %v, want an error wrapping the source's", name, err)
		}
	}
	same(t, "Get of the object a failed Put replaced", old, mustGet(t, st, "kept.json"))
	if _, err := get(context.Background(), st, "new.json"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Get of the object a failed Put would have made: %v, want an error wrapping ErrNotExist", err)
	}
	if diff := cmp.Diff([]string{"kept.json"}, list(t, st, "")); diff != "" {
		t.Errorf("List after failed Puts (-want +got):\n%s", diff)
	}
}

func testNotFound(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	put(t, st, "runs/r1/run.json", []byte("{}"))
	for _, name := range []string{
		"absent.json",
		"nowhere/absent.json", // in a folder that does not exist
		"runs",                // a "folder"
		"runs/",
		"runs/r1",
		"runs/r1/",
		"runs/r1/run.json/under", // under an object
		"runs/r1/run",            // a prefix of a name
	} {
		rc, err := st.Get(context.Background(), name)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Get(%q): %v, want an error wrapping ErrNotExist", name, err)
		}
	}
}

func testList(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	names := []string{
		"latest.json",
		"runs/r1/run.json",
		"runs/r1/ledger/p a/part 1.jsonl",
		"runs/r1/ledger/été/日本語.jsonl",
		"runs/r10/run.json",
		"runs/r2/run.json",
		"runs/r1-b/run.json",
		"runs/R3/run.json",
		"runs.json",
	}
	for i, n := range names {
		put(t, st, n, content(i, 10))
	}
	sorted := slices.Sorted(slices.Values(names))
	for _, tt := range []struct {
		prefix string
		want   []string
	}{
		{"", sorted},
		{"runs/", []string{"runs/R3/run.json", "runs/r1-b/run.json", "runs/r1/ledger/p a/part 1.jsonl", "runs/r1/ledger/été/日本語.jsonl", "runs/r1/run.json", "runs/r10/run.json", "runs/r2/run.json"}},
		{"runs/r1/", []string{"runs/r1/ledger/p a/part 1.jsonl", "runs/r1/ledger/été/日本語.jsonl", "runs/r1/run.json"}},
		{"runs/r1", []string{"runs/r1-b/run.json", "runs/r1/ledger/p a/part 1.jsonl", "runs/r1/ledger/été/日本語.jsonl", "runs/r1/run.json", "runs/r10/run.json"}},
		{"runs/r1/ledger/p a/", []string{"runs/r1/ledger/p a/part 1.jsonl"}},
		{"runs/r1/ledger/é", []string{"runs/r1/ledger/été/日本語.jsonl"}},
		{"runs", slices.DeleteFunc(slices.Clone(sorted), func(n string) bool { return !strings.HasPrefix(n, "runs") })},
		{"latest.json", []string{"latest.json"}},
		{"runs/r3/", nil}, // names are case-sensitive
		{"nothing/", nil},
	} {
		if diff := cmp.Diff(tt.want, list(t, st, tt.prefix), equateEmpty); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}
}

// A listing of more names than a page holds has them all, once, sorted.
func testListMany(t *testing.T, h Harness) {
	if h.ManyNames == 0 {
		t.Skip("the harness does not list many names")
	}
	if testing.Short() {
		t.Skipf("storing %d names takes a while", h.ManyNames)
	}
	st := h.NewPlace(t)("")
	want := make([]string, h.ManyNames)
	for i := range want {
		want[i] = fmt.Sprintf("runs/r1/ledger/part-%06d.jsonl", i)
	}
	put(t, st, "runs/r0.json", nil) // around the names: not in the listing
	put(t, st, "runs/r2.json", nil)
	names := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := range names {
				if err := st.Put(context.Background(), n, strings.NewReader(n), storage.PutOptions{}); err != nil {
					t.Errorf("Put(%q): %v", n, err)
				}
			}
		})
	}
	for _, i := range rotate(len(want)) { // not in order
		names <- want[i]
	}
	close(names)
	wg.Wait()
	if diff := cmp.Diff(want, list(t, st, "runs/r1/")); diff != "" {
		t.Errorf("List of %d names (-want +got):\n%s", len(want), diff)
	}
}

// rotate returns 0..n-1 in an order that is not sorted.
func rotate(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (i*7919 + n/2) % n
	}
	return order
}

// A store at a location inside a place lists, gets and names only its own
// objects, even next to names that share its prefix as a string.
func testListInLocation(t *testing.T, h Harness) {
	open := h.NewPlace(t)
	whole, loc := open(""), open("state/")
	for _, n := range []string{"stat", "state-old/run.json", "statex", "other/state/run.json", "a.json"} {
		put(t, whole, n, []byte("outside "+n))
	}
	put(t, loc, "a.json", []byte("inside"))
	put(t, loc, "runs/r1/run.json", []byte("inside"))
	if diff := cmp.Diff([]string{"a.json", "runs/r1/run.json"}, list(t, loc, "")); diff != "" {
		t.Errorf("List of the location (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.json"}, list(t, loc, "a")); diff != "" {
		t.Errorf("List(%q) of the location (-want +got):\n%s", "a", diff)
	}
	if diff := cmp.Diff("inside", string(mustGet(t, loc, "a.json"))); diff != "" {
		t.Errorf("Get of the location's a.json (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"state/a.json", "state/runs/r1/run.json"}, list(t, whole, "state/")); diff != "" {
		t.Errorf("List of the location's names in the whole place (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(whole.URL("state/a.json"), loc.URL("a.json")); diff != "" {
		t.Errorf("URL of a name in the location (-the whole place's +the location's):\n%s", diff)
	}
}

func testOddNames(t *testing.T, h Harness) {
	open := h.NewPlace(t)
	whole, st := open(""), open("loc/")
	var kept []string
	for i, n := range OddNames {
		body := content(i, 100)
		err := st.Put(context.Background(), n, bytes.NewReader(body), storage.PutOptions{})
		if err != nil {
			t.Logf("Put(%q) refused: %v", n, err)
			if got, err := get(context.Background(), st, n); err == nil {
				t.Errorf("Get(%q) of a refused name read %d bytes", n, len(got))
			}
			continue
		}
		kept = append(kept, n)
		got, err := get(context.Background(), st, n)
		if err != nil {
			t.Errorf("Get(%q) of a kept name: %v", n, err)
			continue
		}
		same(t, fmt.Sprintf("Get(%q)", n), body, got)
	}
	slices.Sort(kept)
	if diff := cmp.Diff(kept, list(t, st, ""), equateEmpty); diff != "" {
		t.Errorf("List of the kept odd names (-want +got):\n%s", diff)
	}
	// Nothing landed outside the location.
	var inside []string
	for _, n := range kept {
		inside = append(inside, "loc/"+n)
	}
	if diff := cmp.Diff(inside, list(t, whole, ""), equateEmpty); diff != "" {
		t.Errorf("List of the whole place (-want +got):\n%s", diff)
	}
}

func testInvalidNames(t *testing.T, h Harness) {
	if len(h.InvalidNames) == 0 {
		t.Skip("the backend refuses no names")
	}
	open := h.NewPlace(t)
	whole, st := open(""), open("loc/")
	put(t, whole, "secret", []byte("outside the location"))
	for _, n := range h.InvalidNames {
		if err := st.Put(context.Background(), n, strings.NewReader("x"), storage.PutOptions{}); err == nil {
			t.Errorf("Put(%q) accepted an invalid name", n)
		}
		if got, err := get(context.Background(), st, n); err == nil {
			t.Errorf("Get(%q) of an invalid name read %q", n, got)
		}
	}
	if diff := cmp.Diff([]string{"secret"}, list(t, whole, "")); diff != "" {
		t.Errorf("List of the whole place after invalid Puts (-want +got):\n%s", diff)
	}
}

// cancelAfter yields size bytes of content in small reads and cancels
// after the first.
type cancelAfter struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 1024)])
	c.cancel()
	return n, err
}

// A cancelled context stops Put, Get and List with an error wrapping
// context.Canceled, and a stopped Put leaves what was there, or nothing.
func testCancelled(t *testing.T, h Harness) {
	st := h.NewPlace(t)("")
	old := content(1, 4<<20)
	put(t, st, "kept.bin", old)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	wantCanceled := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want an error wrapping context.Canceled", what, err)
		}
	}
	for _, name := range []string{"kept.bin", "new.bin"} {
		wantCanceled(fmt.Sprintf("Put(%q) with a cancelled context", name),
			st.Put(cancelled, name, bytes.NewReader(content(2, 1000)), storage.PutOptions{}))
		ctx, cancel := context.WithCancel(context.Background())
		wantCanceled(fmt.Sprintf("Put(%q) cancelled while reading its content", name),
			st.Put(ctx, name, &cancelAfter{bytes.NewReader(content(3, 1<<20)), cancel}, storage.PutOptions{}))
	}
	same(t, "Get of the object cancelled Puts would have replaced", old, mustGet(t, st, "kept.bin"))
	if _, err := get(context.Background(), st, "new.bin"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Get of the object cancelled Puts would have made: %v, want an error wrapping ErrNotExist", err)
	}
	if diff := cmp.Diff([]string{"kept.bin"}, list(t, st, "")); diff != "" {
		t.Errorf("List after cancelled Puts (-want +got):\n%s", diff)
	}

	rc, err := st.Get(cancelled, "kept.bin")
	if err == nil {
		// The open may be lazy; the read must not be.
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	wantCanceled("Get with a cancelled context", err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err = st.Get(ctx, "kept.bin")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	cancel()
	rest, err := io.ReadAll(rc)
	rc.Close()
	wantCanceled(fmt.Sprintf("reading a Get cancelled after %d bytes (then read %d more of %d)", len(head), len(rest), len(old)), err)

	_, err = st.List(cancelled, "")
	wantCanceled("List with a cancelled context", err)
}
