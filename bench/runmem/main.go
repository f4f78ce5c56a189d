// Command runmem measures a whole run's peak memory and speed at a number
// of objects: two legacy stores and a target that generate their listings
// page by page (nothing per object is held by the stores), a file:// state,
// two runs (the second reads the first's ledger), and the report. It prints
// one line of JSON per run.
//
//	go run ./bench/runmem -objects 1000000
//
// Peak memory is the process's VmHWM (the resident set's high-water mark,
// over both runs so far), and the Go heap in use at the end of each run; if
// either grew with the number of objects, the run would hold something per
// object.
package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/pkg/inventory"
)

func main() {
	objects := flag.Int("objects", 100_000, "the number of objects")
	workers := flag.Int("workers", 2, "shards verified at once")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this `file`")
	memprofile := flag.String("memprofile", "", "write to this `file` the heap profile taken when the live heap was largest")
	flag.Parse()
	if *memprofile != "" {
		stop := profilePeakHeap(*memprofile)
		defer stop()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "runmem-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfgText := fmt.Sprintf(`stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1}
  legacy-sg: {type: s3, bucket: legacy-sg, region: ap-southeast-1}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1}
pairs: [{name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}]
state: file://./state
reports: file://./reports
run: {workers: %d, shard_size: 100000}
`, *workers)
	cfg, err := config.Parse(filepath.Join(dir, "c.yaml"), []byte(cfgText))
	if err != nil {
		log.Fatal(err)
	}
	open := func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		return &synthetic{name: s.Name, n: *objects, target: s.Type == config.OCI}, nil
	}
	start := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	for i := range 2 {
		at := start.Add(time.Duration(i) * 24 * time.Hour)
		t0 := time.Now()
		ctx := context.Background()
		r, err := run.Open(ctx, run.Options{Config: cfg, Stores: open, Now: func() time.Time { return at }})
		if err != nil {
			log.Panic(err)
		}
		done, err := r.Execute(ctx, false)
		if err != nil {
			log.Panic(err)
		}
		out, err := r.Publish(ctx, done.Record.RunID)
		if err != nil {
			log.Panic(err)
		}
		elapsed := time.Since(t0)
		err = json.NewEncoder(os.Stdout).Encode(map[string]any{
			"run":             i + 1,
			"objects":         out.Report.Totals.Objects,
			"verified":        out.Report.Totals.Verdicts["verified"],
			"seconds":         elapsed.Seconds(),
			"objects_per_s":   float64(out.Report.Totals.Objects) / elapsed.Seconds(),
			"peak_rss_mib":    peakRSS() / (1 << 20),
			"heap_at_end_mib": heapNow() / (1 << 20),
			"gomaxprocs":      runtime.GOMAXPROCS(0),
			"ledger_sha256":   out.Report.Ledger.SHA256,
			"exception_rows":  out.Report.ExceptionCount(),
		})
		if err != nil {
			log.Panic(err)
		}
	}
}

// synthetic is a store of n objects whose listing is generated on demand.
type synthetic struct {
	name   string
	n      int
	target bool
}

func (s *synthetic) key(i int) string { return fmt.Sprintf("%02d/%08d.bin", i%10, i) }

// keys are ordered by prefix (i%10), then by i: index j of the listing is
// object (j%per)*10 + j/per, for per = n/10.
func (s *synthetic) at(j int) int {
	per := s.n / 10
	return (j%per)*10 + j/per
}

func (s *synthetic) Name() string { return s.name }
func (s *synthetic) Features() inventory.Features {
	return inventory.Features{ListingChecksums: true, Head: true, Read: true}
}

func (s *synthetic) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	total := (s.n / 10) * 10
	first := sort.Search(total, func(j int) bool { return s.key(s.at(j)) >= r.Start })
	return &listing{ctx: ctx, s: s, j: first, end: r.End, total: total, page: make([]inventory.Fingerprint, 0, 1000)}
}

func (s *synthetic) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	return inventory.Fingerprint{}, fmt.Errorf("head %q: %w", key, inventory.ErrNotFound)
}

func (s *synthetic) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %q: %w", key, inventory.ErrNotFound)
}

// Prefixes implements inventory.PrefixLister, so runs are sharded.
func (s *synthetic) Prefixes(ctx context.Context, delimiter string) ([]string, error) {
	var out []string
	for i := range 10 {
		out = append(out, fmt.Sprintf("%02d/", i))
	}
	return out, nil
}

type listing struct {
	ctx   context.Context
	s     *synthetic
	j     int
	end   string
	total int
	page  []inventory.Fingerprint
}

var modified = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func (l *listing) NextPage() ([]inventory.Fingerprint, error) {
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	l.page = l.page[:0]
	for ; l.j < l.total && len(l.page) < cap(l.page); l.j++ {
		i := l.s.at(l.j)
		key := l.s.key(i)
		if l.end != "" && key >= l.end {
			l.j = l.total
			break
		}
		sum := md5.Sum([]byte(key))
		value := hex.EncodeToString(sum[:])
		src := inventory.FromETag
		etag := value
		if l.s.target {
			src, etag = inventory.FromListing, "oci-"+value[:8]
		}
		l.page = append(l.page, inventory.Fingerprint{
			Key: key, Size: int64(1<<20 + i%4096), ETag: etag, Modified: modified, StorageTier: "STANDARD",
			Checksums: []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: value, Source: src}},
		})
	}
	if len(l.page) == 0 {
		return nil, io.EOF
	}
	return l.page, nil
}

func (l *listing) Close() error { return nil }

func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb); err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func heapNow() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// profilePeakHeap samples the live heap (as of the last collection) every
// 20 ms and, each time it is the largest yet, writes the heap profile to
// file: what the run held when it held most. stop ends the sampling.
func profilePeakHeap(file string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak {
				peak = live
				f, err := os.Create(file)
				if err != nil {
					log.Fatal(err)
				}
				if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
					log.Fatal(err)
				}
				if err := f.Close(); err != nil {
					log.Fatal(err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
