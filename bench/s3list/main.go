// Command s3list measures the S3 store's listing throughput and memory:
// it lists a bucket through pkg/inventory/s3 as a shard would, and reports
// objects per second, the peak Go heap during the listing, and the
// process's peak resident memory. With -seed it first fills the bucket.
//
// bench/s3-listing.sh runs it against a local versitygw; see BENCHMARKS.md.
// Credentials come from the default AWS chain.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/pkg/inventory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

func main() {
	var (
		endpoint = flag.String("endpoint", "http://127.0.0.1:7070", "S3 endpoint")
		bucket   = flag.String("bucket", "bench", "bucket")
		region   = flag.String("region", "us-east-1", "region")
		prefix   = flag.String("prefix", "", "store prefix")
		pageSize = flag.Int("page", 1000, "listing page size")
		runs     = flag.Int("runs", 3, "listings to time")
		seed     = flag.Int("seed", 0, "create the bucket and put this many objects first, then exit")
		workers  = flag.Int("workers", 16, "concurrent uploads when seeding")
	)
	flag.Parse()
	ctx := context.Background()
	if *seed > 0 {
		if err := seedBucket(ctx, *endpoint, *region, *bucket, *prefix, *seed, *workers); err != nil {
			fail(err)
		}
		return
	}
	cfg := s3store.Config{Name: "bench", Bucket: *bucket, Prefix: *prefix, Region: *region, Endpoint: *endpoint, PathStyle: true, PageSize: *pageSize}
	s, err := s3store.New(ctx, cfg, s3store.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		fail(err)
	}
	for run := 1; run <= *runs; run++ {
		runtime.GC()
		stop := sampleHeap()
		cpu0 := cpuTime()
		start := time.Now()
		n, err := count(ctx, s)
		elapsed := time.Since(start)
		cpu := cpuTime() - cpu0
		peak := stop()
		if err != nil {
			fail(err)
		}
		fmt.Printf("run %d: %d objects in %.2fs = %.0f objects/s, client CPU %.1f µs/object, peak Go heap %.1f MiB\n",
			run, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), float64(cpu.Microseconds())/float64(n), float64(peak)/(1<<20))
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		fmt.Printf("peak RSS of the process: %.1f MiB\n", float64(ru.Maxrss)/1024) // KiB on Linux
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "s3list:", err)
	os.Exit(1)
}

// count lists the whole store, holding one page at a time, as the merge
// does.
func count(ctx context.Context, s inventory.Store) (int, error) {
	l := s.List(ctx, inventory.KeyRange{})
	defer l.Close()
	n := 0
	last := ""
	for {
		page, err := l.NextPage()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		for _, fp := range page {
			if fp.Key <= last && n > 0 {
				return n, fmt.Errorf("key %q after %q", fp.Key, last)
			}
			last = fp.Key
		}
		n += len(page)
	}
}

// sampleHeap samples the live heap every millisecond until the returned
// function is called, which returns the largest sample.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// seedBucket creates the bucket and puts n small objects under prefix,
// named like users' backups: 1000 objects per user directory.
func seedBucket(ctx context.Context, endpoint, region, bucket, prefix string, n, workers int) error {
	client, err := awsclient.S3(ctx, awsclient.Options{Region: region, Endpoint: endpoint, PathStyle: true})
	if err != nil {
		return err
	}
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil &&
		!strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		return fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	keys := make(chan int)
	errs := make(chan error, workers)
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				key := fmt.Sprintf("%suser-%05d/backup-%04d.bin", prefix, i/1000, i%1000)
				_, err := client.PutObject(ctx, &awss3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(key),
					Body: strings.NewReader(fmt.Sprintf("backup %d of user %d\n", i%1000, i/1000)),
				})
				if err != nil {
					errs <- fmt.Errorf("putting %s: %w", key, err)
					return
				}
				if d := done.Add(1); d%10000 == 0 {
					fmt.Fprintf(os.Stderr, "seeded %d objects in %s\n", d, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	var firstErr error
feed:
	for i := range n {
		select {
		case keys <- i:
		case firstErr = <-errs:
			break feed
		}
	}
	close(keys)
	wg.Wait()
	if firstErr == nil {
		select {
		case firstErr = <-errs:
		default:
		}
	}
	return firstErr
}
