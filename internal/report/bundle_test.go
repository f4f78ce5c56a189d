package report

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// slowGets is a store whose Gets take a while, counting how many are in
// flight at most.
type slowGets struct {
	storage.Store
	mu             sync.Mutex
	inFlight, most int
}

func (s *slowGets) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	s.mu.Lock()
	s.inFlight++
	s.most = max(s.most, s.inFlight)
	s.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	return s.Store.Get(ctx, name)
}

// countedGets is a store whose readers count the bytes read from them,
// per name. A reader's count is read where the reader is read: Put reads
// its source on the goroutine that calls it.
type countedGets struct {
	storage.Store
	mu   sync.Mutex
	read map[string]*countingReader
}

func (c *countedGets) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := c.Store.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	counted := &countingReader{r: rc}
	c.mu.Lock()
	c.read[name] = counted
	c.mu.Unlock()
	return struct {
		io.Reader
		io.Closer
	}{counted, rc}, nil
}

// orderedPuts is a bundle location that records the order its files are
// written in and, for each, how much of its source had been read when
// its first bytes arrived.
type orderedPuts struct {
	storage.Store
	source  *countedGets
	prefix  string // of the names at source
	mu      sync.Mutex
	written []string
	atFirst map[string]int64
}

func (o *orderedPuts) Put(ctx context.Context, name string, r io.Reader, opts storage.PutOptions) error {
	first := true
	err := o.Store.Put(ctx, name, readerFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if first && n > 0 {
			first = false
			o.source.mu.Lock()
			if c := o.source.read[o.prefix+name]; c != nil {
				o.atFirst[name] = c.n
			}
			o.source.mu.Unlock()
		}
		return n, err
	}), opts)
	if err == nil {
		o.mu.Lock()
		o.written = append(o.written, name)
		o.mu.Unlock()
	}
	return err
}

// A bundle's evidence is copied several files at once, and each file is
// streamed: report.json's first bytes reach the bundle before it has been
// read whole. report.json is the last file written, and the bundle holds.
func TestExportBundleCopiesAtOnceAndStreams(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 3_000, runAll(t))
	_, reportsDir := b.publish(t)
	reports := &countedGets{Store: reportsDir, read: map[string]*countingReader{}}
	slow := &slowGets{Store: b.dir}
	out := filepath.Join(t.TempDir(), "bundle")
	bundleDir, _ := storage.NewDir(out)
	dest := &orderedPuts{Store: bundleDir, source: reports, prefix: b.runID + "/", atFirst: map[string]int64{}}
	n, err := ExportBundle(ctx, state.New(slow), reports, b.runID, dest)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(dest.written) || dest.written[len(dest.written)-1] != "report.json" {
		t.Errorf("%d files reported, written in the order %v: report.json not last", n, dest.written)
	}
	if slow.most < 2 || slow.most > bundleCopies {
		t.Errorf("at most %d evidence files were read at once, want 2 to %d", slow.most, bundleCopies)
	}
	size := int64(len(readString(t, reportsDir, b.runID+"/report.json")))
	if got := dest.atFirst["report.json"]; got == 0 || got >= size {
		t.Errorf("report.json's first bytes reached the bundle after %d of its %d bytes were read", got, size)
	}
	if checks, err := attestFile(t, filepath.Join(out, "report.json"), AttestOptions{}); err != nil {
		t.Errorf("attest verify of the bundle: %v (%+v)", err, checks[len(checks)-1])
	}
}

// A ledger part that cannot be read stops the bundle at that part, named,
// with the files before it counted and no report written.
func TestExportBundleStopsAtAMissingPart(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 10_000, runAll(t))
	_, reports := b.publish(t)
	m, _, err := b.st.ReadManifest(ctx, b.runID)
	if err != nil {
		t.Fatal(err)
	}
	var parts []ledger.ManifestFile
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			parts = append(parts, s.Files...)
		}
	}
	if len(parts) < 2*bundleCopies {
		t.Fatalf("the run has %d ledger parts; the test needs more", len(parts))
	}
	gone := parts[len(parts)/2]
	if err := os.Remove(b.dir.(*storage.Dir).Path(state.RunDir(b.runID) + gone.Path)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	dest, _ := storage.NewDir(out)
	n, err := ExportBundle(ctx, b.st, reports, b.runID, dest)
	if err == nil || !strings.Contains(err.Error(), gone.Path) {
		t.Fatalf("bundling without %s: %v", gone.Path, err)
	}
	if diff := cmp.Diff(2+len(parts)/2, n); diff != "" {
		t.Errorf("files counted (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); !os.IsNotExist(err) {
		t.Errorf("a bundle without %s has a report.json (%v)", gone.Path, err)
	}
}

// A run whose report is not published is refused before anything is
// copied.
func TestExportBundleOfAnUnpublishedRun(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 300, runAll(t))
	reports, _ := storage.NewDir(t.TempDir())
	out := t.TempDir()
	dest, _ := storage.NewDir(out)
	n, err := ExportBundle(ctx, b.st, reports, b.runID, dest)
	if !errors.Is(err, storage.ErrNotExist) || !strings.Contains(err.Error(), b.runID+"/report.json") || n != 0 {
		t.Fatalf("bundling an unpublished run: %d files, %v", n, err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("bundling an unpublished run wrote %v", entries)
	}
}
