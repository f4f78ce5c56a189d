package ledger

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkWriter measures encoding and compressing typical verified
// entries (see benchEntries).
func BenchmarkWriter(b *testing.B) {
	entries := benchEntries()
	var written int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := NewWriter(io.Discard)
		for i := range entries {
			if err := w.Write(&entries[i]); err != nil {
				b.Fatal(err)
			}
		}
		d, err := w.Close()
		if err != nil {
			b.Fatal(err)
		}
		written = d.Bytes
	}
	b.ReportMetric(float64(len(entries))*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(written)/float64(len(entries)), "stored-B/entry")
}

// BenchmarkReader measures decompressing and decoding the entries
// BenchmarkWriter writes, page by page as the report and the next run read
// them.
func BenchmarkReader(b *testing.B) {
	entries := benchEntries()
	data, _ := writeLedger(b, entries)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := NewReader(bytes.NewReader(data), "bench.jsonl.gz")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			page, err := r.NextPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(page)
		}
		if n != len(entries) {
			b.Fatalf("read %d entries, want %d", n, len(entries))
		}
	}
	b.ReportMetric(float64(len(entries))*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// benchEntries returns 10,000 typical verified entries: a legacy and a
// target fingerprint with checksums and times, two comparisons, the
// holders and a proof.
func benchEntries() []Entry {
	base := sampleEntries()[1]
	entries := make([]Entry, 10_000)
	for i := range entries {
		entries[i] = base
		entries[i].Key = fmt.Sprintf("users/%07d/backup.bin", i)
	}
	return entries
}
