package certify_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/certify"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// BenchmarkCertifyOnePrefix certifies one data subject (a prefix of 10
// keys) in a ledger of 10,000,000 entries (PARITYPROOF_BENCH_ENTRIES
// changes it), written synthetically as a finished run would leave it: 100
// shards, parts of 5,000 entries (checkpoint_every's default), at a
// file:// state location. It reports the parts read per certificate beside
// the time: only those whose first and last keys cover the prefix.
//
//	go test ./internal/certify -run '^$' -bench CertifyOnePrefix -benchtime 20x
func BenchmarkCertifyOnePrefix(b *testing.B) {
	entries := 10_000_000
	if s := os.Getenv("PARITYPROOF_BENCH_ENTRIES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		entries = n
	}
	st, total := syntheticLedger(b, entries)
	// A subject in the middle of the key space.
	prefix := fmt.Sprintf("%08d/", entries/20)
	ctx := context.Background()
	var parts int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := certify.Build(ctx, st, certify.Subject{Prefix: prefix}, certify.Options{Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		if !c.Certified || len(c.Objects) != 10 {
			b.Fatalf("%s: %d objects", c.Statement, len(c.Objects))
		}
		parts = 0
		for _, r := range c.Runs {
			parts += len(r.Parts)
		}
		if parts != 1 {
			b.Fatalf("read %d parts; one covers the prefix", parts)
		}
	}
	b.ReportMetric(float64(parts), "parts-read/op")
	b.ReportMetric(float64(total), "parts-in-ledger")
	b.ReportMetric(float64(entries), "entries")
}

// syntheticLedger writes one finished run of n deleted keys ("%08d/
// backup-%d.bin", ten per subject) and returns its state and the number of
// ledger parts.
func syntheticLedger(b *testing.B, n int) (*state.State, int) {
	b.Helper()
	ctx := context.Background()
	dir, err := storage.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := state.New(dir)
	proven := time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)
	deleted := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	const shards, perPart = 100, 5_000 // parts as large as checkpoint_every's default
	rec := &state.Record{Schema: state.RecordSchema, RunID: "20261128T220000Z-bench", StartedAt: deleted, ConfigDigest: "bench", ToolVersion: "bench"}
	pp := state.PlannedPair{Name: "us-users"}
	key := func(i int) string { return fmt.Sprintf("%08d/backup-%d.bin", i/10, i%10) }
	perShard := (n + shards - 1) / shards
	for s := range shards {
		lo, hi := s*perShard, min(n, (s+1)*perShard)
		if lo >= hi {
			break
		}
		rng := inventory.KeyRange{Start: key(lo)}
		if hi < n {
			rng.End = key(hi)
		}
		if s == 0 {
			rng.Start = ""
		}
		pp.Shards = append(pp.Shards, state.PlannedShard{ID: fmt.Sprintf("%04d", s), Range: rng})
	}
	rec.Pairs = []state.PlannedPair{pp}
	if err := st.WriteRecord(ctx, rec); err != nil {
		b.Fatal(err)
	}
	total := 0
	sum := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "0123456789abcdef0123456789abcdef", Source: inventory.FromListing}
	for s, sh := range pp.Shards {
		lo, hi := s*perShard, min(n, (s+1)*perShard)
		var cp state.Checkpoint
		for part, start := 1, lo; start < hi; part, start = part+1, start+perPart {
			var buf bytes.Buffer
			w := ledger.NewWriter(&buf)
			for i := start; i < min(hi, start+perPart); i++ {
				e := ledger.Entry{Key: key(i), Verdict: ledger.Deleted, Evidence: ledger.EvidenceMD5,
					Stores:    []ledger.StoreFingerprint{{Store: "oci-us", Role: ledger.Target, Fingerprint: inventory.Fingerprint{Size: 4096, Checksums: []inventory.Checksum{sum}}}},
					HeldBy:    []string{"legacy-us", "legacy-sg"},
					ProvenAt:  &ledger.Proof{At: proven, Evidence: ledger.EvidenceMD5, Size: 4096, Checksums: []inventory.Checksum{sum}},
					DeletedAt: &deleted}
				if err := w.Write(&e); err != nil {
					b.Fatal(err)
				}
			}
			d, err := w.Close()
			if err != nil {
				b.Fatal(err)
			}
			path := state.PartPath(pp.Name, sh.ID, part)
			if err := st.WritePart(ctx, rec.RunID, path, buf.Bytes()); err != nil {
				b.Fatal(err)
			}
			cp.Parts = append(cp.Parts, ledger.ManifestFile{Path: path, Digest: d})
			cp.Cursor = d.Last
			total++
		}
		cp.Done = true
		if err := st.WriteCheckpoint(ctx, rec.RunID, pp.Name, sh.ID, cp); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Finish(ctx, rec, deleted); err != nil {
		b.Fatal(err)
	}
	return st, total
}
