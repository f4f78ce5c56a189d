package ledger

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkWriter measures encoding and compressing typical verified
// entries (two legacy copies and a target, proof carried).
func BenchmarkWriter(b *testing.B) {
	base := sampleEntries()[1]
	entries := make([]Entry, 10_000)
	for i := range entries {
		entries[i] = base
		entries[i].Key = fmt.Sprintf("users/%07d/backup.bin", i)
	}
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
