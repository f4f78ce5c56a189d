package s3inventory_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

// BenchmarkRecords reads a 200,000-row inventory of current versions in 8
// files, in shuffled order, sorted in memory and with a 4 MiB memory bound
// (spilling), and reports rows per second and the heap held once the rows
// are sorted (after a GC), which the memory bound caps.
//
//	go test -run '^$' -bench BenchmarkRecords -benchtime 3x ./pkg/inventory/s3inventory
func BenchmarkRecords(b *testing.B) {
	const n = 200_000
	rng := rand.New(rand.NewPCG(3, 4))
	objs := make([]s3inventorytest.Object, n)
	for i := range objs {
		objs[i] = s3inventorytest.Object{
			Key: fmt.Sprintf("backups/%04d/%08d.dat", rng.IntN(10000), i), Size: int64(i),
			LastModified: t1, ETag: md5A, StorageClass: "STANDARD", EncryptionStatus: "NOT-SSE",
		}
	}
	formats := []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet}
	dirs, keys := make([]string, len(formats)), make([]string, len(formats))
	for i, format := range formats {
		dirs[i] = b.TempDir()
		var err error
		if keys[i], err = s3inventorytest.Write(dirs[i], s3inventorytest.Spec{Format: format, Files: 8, Created: created}, objs); err != nil {
			b.Fatal(err)
		}
	}
	objs = nil //nolint:ineffassign // dropped, not to count in the heap measured
	for i, format := range formats {
		dir, key := dirs[i], keys[i]
		for _, mode := range []struct {
			name  string
			limit int64
		}{{"in-memory", 1 << 30}, {"spill-4MiB", 4 << 20}} {
			b.Run(string(format)+"/"+mode.name, func(b *testing.B) {
				var heap uint64
				for b.Loop() {
					inv, err := s3inventory.Open(context.Background(), s3inventory.Dir(dir), key, s3inventory.Options{MemoryLimit: mode.limit, TempDir: b.TempDir()})
					if err != nil {
						b.Fatal(err)
					}
					rs := inv.Records(context.Background())
					count := 0
					for first := true; ; first = false {
						page, err := rs.NextPage()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						if first {
							runtime.GC()
							var ms runtime.MemStats
							runtime.ReadMemStats(&ms)
							heap = max(heap, ms.HeapInuse)
						}
						count += len(page)
					}
					rs.Close()
					if count != n {
						b.Fatalf("%d records, want %d", count, n)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			})
		}
	}
}
