package oci_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// benchFixture seeds n small objects; seeding is not timed.
func benchFixture(b *testing.B, n int) *fixture {
	f := newFixtureTB(b, false)
	for i := range n {
		f.put(b, prefix+fmt.Sprintf("obj/%07d", i), []byte{byte(i)}, nil)
	}
	return f
}

// drain lists everything, doing work per page to stand for the merge.
func drain(b *testing.B, s *oci.Store, work time.Duration) int {
	l := s.List(context.Background(), inventory.KeyRange{})
	defer l.Close()
	n := 0
	for {
		page, err := l.NextPage()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(page)
		if work > 0 {
			time.Sleep(work)
		}
	}
}

// BenchmarkList lists 10,000 objects through the SDK and ocilocal.
func BenchmarkList(b *testing.B) {
	const n = 10000
	f := benchFixture(b, n)
	for _, pageSize := range []int{100, 1000} {
		b.Run(fmt.Sprintf("page%d", pageSize), func(b *testing.B) {
			s := f.storeTB(b, func(c *oci.Config) { c.PageSize = pageSize })
			b.ResetTimer()
			for range b.N {
				if got := drain(b, s, 0); got != n {
					b.Fatalf("listed %d, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkListPrefetch lists 2,000 objects in pages of 100 from a service
// that takes 5ms per listing, while the caller spends 5ms per page: with
// the prefetch the two overlap.
func BenchmarkListPrefetch(b *testing.B) {
	const n = 2000
	f := benchFixture(b, n)
	f.Server.SetFaults(ocilocal.Faults{Latency: 5 * time.Millisecond, Operations: []string{"ListObjects"}})
	s := f.storeTB(b, func(c *oci.Config) { c.PageSize = 100 })
	b.ResetTimer()
	for range b.N {
		drain(b, s, 5*time.Millisecond)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/listing")
}
