package parity

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// benchWorld generates n keys in two legacy stores and the target, all
// verified by a previous run, page by page as listings and a ledger reader
// would deliver them. Nothing per key is kept alive between pages, so the
// benchmark's heap holds what the engine holds, as in a real run, and the
// garbage collector does not scan a million-key fixture.
type benchWorld struct {
	n        int
	keys     string // n fixed-width keys back to back: no pointers to scan
	keyWidth int
	legacy   []inventory.Fingerprint // per content variant
	target   []inventory.Fingerprint
	proofs   []*ledger.Proof
}

const benchVariants = 1000

func newBenchWorld(n int) *benchWorld {
	w := &benchWorld{n: n, keyWidth: len(fmt.Sprintf("users/%07d/backup.bin", 0))}
	modified := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "users/%07d/backup.bin", i)
	}
	w.keys = b.String()
	for v := range benchVariants {
		content := fmt.Sprintf("content %d", v)
		l := inventory.Fingerprint{Size: 1 << 20, ETag: md5hex(content), Checksums: []inventory.Checksum{etag(content)}, Modified: modified, StorageTier: "STANDARD"}
		t := inventory.Fingerprint{Size: 1 << 20, ETag: "oci-etag", Checksums: []inventory.Checksum{ociMD5(content)}, Modified: modified}
		w.legacy, w.target = append(w.legacy, l), append(w.target, t)
		w.proofs = append(w.proofs, &ledger.Proof{At: earlier, Evidence: ledger.EvidenceMD5, Size: 1 << 20, Checksums: t.Checksums})
	}
	return w
}

func (w *benchWorld) key(i int) string { return w.keys[i*w.keyWidth : (i+1)*w.keyWidth] }

// genListing generates a store's listing into one reused page.
type genListing struct {
	w    *benchWorld
	fps  []inventory.Fingerprint
	i    int
	page []inventory.Fingerprint
}

func (w *benchWorld) listing(fps []inventory.Fingerprint) *genListing {
	return &genListing{w: w, fps: fps, page: make([]inventory.Fingerprint, 0, 1000)}
}

func (l *genListing) NextPage() ([]inventory.Fingerprint, error) {
	if l.i >= l.w.n {
		return nil, io.EOF
	}
	l.page = l.page[:0]
	for ; l.i < l.w.n && len(l.page) < cap(l.page); l.i++ {
		f := l.fps[l.i%benchVariants]
		f.Key = l.w.key(l.i)
		l.page = append(l.page, f)
	}
	return l.page, nil
}

func (l *genListing) Close() error { return nil }

// genLedger generates the previous ledger into one reused page.
type genLedger struct {
	w    *benchWorld
	i    int
	page []ledger.Entry
}

func (g *genLedger) NextPage() ([]ledger.Entry, error) {
	if g.i >= g.w.n {
		return nil, io.EOF
	}
	g.page = g.page[:0]
	for ; g.i < g.w.n && len(g.page) < 512; g.i++ {
		g.page = append(g.page, ledger.Entry{Key: g.w.key(g.i), Verdict: ledger.Verified, Evidence: ledger.EvidenceMD5, HeldBy: both, ProvenAt: g.w.proofs[g.i%benchVariants]})
	}
	return g.page, nil
}

// BenchmarkMerge measures the engine alone: the k-way merge of two legacy
// listings, the target listing and the previous ledger, in memory, with
// every key verified on listing MD5s (the common case), no I/O.
func BenchmarkMerge(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			w := newBenchWorld(n)
			e, err := New(Config{Pair: testPair(), Now: now})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var retained, mallocs, allocBytes uint64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				in := Inputs{
					Legacy:   []inventory.Listing{w.listing(w.legacy), w.listing(w.legacy)},
					Target:   w.listing(w.target),
					Previous: &genLedger{w: w},
				}
				b.StartTimer()
				tally, err := e.Verify(ctx, inventory.KeyRange{}, in, func(*ledger.Entry) error { return nil })
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if tally.Count(ledger.Verified) != int64(n) {
					b.Fatalf("verified %d of %d keys", tally.Count(ledger.Verified), n)
				}
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				mallocs += after.Mallocs - before.Mallocs
				allocBytes += after.TotalAlloc - before.TotalAlloc
				runtime.GC()
				runtime.ReadMemStats(&after)
				if after.HeapAlloc > before.HeapAlloc {
					retained = max(retained, after.HeapAlloc-before.HeapAlloc)
				}
				b.StartTimer()
			}
			b.StopTimer()
			keys := float64(n) * float64(b.N)
			b.ReportMetric(keys/b.Elapsed().Seconds(), "keys/s")
			b.ReportMetric(float64(mallocs)/keys, "allocs/key")
			b.ReportMetric(float64(allocBytes)/keys, "B/key")
			// What the engine still holds after a run: it must not grow
			// with the number of keys.
			b.ReportMetric(float64(retained), "retained-B")
			b.ReportMetric(0, "ns/op")
		})
	}
}
