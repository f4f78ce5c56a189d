// Command seed fills a legacy and a target bucket with one of
// bench/compare's workloads (see package workload): it creates both
// buckets and puts every object with concurrent PUTs, then writes what a
// correct check must find as JSON.
//
//	seed -endpoint http://127.0.0.1:7070 -workload a -n 100000 \
//	     -legacy a-legacy -target a-target -expect expect.json
//
// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Objects
// are put without checksums (as a tool that sends none would have put
// them), so their listings carry MD5 ETags only.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parityproof/parityproof/bench/compare/workload"
	"github.com/parityproof/parityproof/internal/awsclient"
)

func main() {
	var (
		endpoint    = flag.String("endpoint", "", "S3 endpoint URL (required)")
		region      = flag.String("region", "us-east-1", "region")
		name        = flag.String("workload", "a", "workload: a (100 folders), b (one flat prefix), c (100 folders, 10% changed)")
		n           = flag.Int("n", 100_000, "legacy objects")
		legacy      = flag.String("legacy", "", "legacy bucket (required)")
		target      = flag.String("target", "", "target bucket (required)")
		expect      = flag.String("expect", "", "write what a check must find to this JSON file")
		concurrency = flag.Int("concurrency", 64, "PUTs in flight")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *endpoint, *region, *name, *n, *legacy, *target, *expect, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, endpoint, region, name string, n int, legacy, target, expectFile string, concurrency int) error {
	if endpoint == "" || legacy == "" || target == "" {
		return errors.New("-endpoint, -legacy and -target are required")
	}
	w, err := workload.New(name, n)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	client, err := newClient(ctx, endpoint, region, concurrency)
	if err != nil {
		return fmt.Errorf("the S3 client: %w", err)
	}
	for _, b := range []string{legacy, target} {
		if err := createBucket(ctx, client, b); err != nil {
			return err
		}
	}

	type put struct {
		bucket, key string
		body        []byte
	}
	puts := make(chan put, concurrency)
	var done atomic.Int64
	var (
		mu       sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for p := range puts {
				_, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(p.bucket), Key: aws.String(p.key),
					Body: bytes.NewReader(p.body), ContentLength: aws.Int64(int64(len(p.body))),
				}, noChecksums)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("putting s3://%s/%s: %w", p.bucket, p.key, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				done.Add(1)
			}
		})
	}

	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	send := func(p put) bool {
		for {
			select {
			case puts <- p:
				return true
			case <-ctx.Done():
				return false
			case <-tick.C:
				log.Info("seeding", "workload", w.Name, "put", done.Load(), "elapsed", time.Since(start).Round(time.Second))
			}
		}
	}
	for i := 0; i < w.N && ctx.Err() == nil; i++ {
		key := w.Key(i)
		body := workload.Body(key)
		if !send(put{legacy, key, body}) {
			break
		}
		switch w.Fate(i) {
		case workload.Same:
			send(put{target, key, body})
		case workload.Changed:
			send(put{target, key, workload.ChangedBody(body)})
		}
		if w.Extra(i) {
			k := w.ExtraKey(i)
			send(put{target, k, workload.Body(k)})
		}
	}
	close(puts)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seeding workload %s: %w", w.Name, err)
	}
	elapsed := time.Since(start)
	log.Info("seeded", "workload", w.Name, "objects", done.Load(), "seconds", elapsed.Seconds(), "puts_per_s", float64(done.Load())/elapsed.Seconds())

	if expectFile != "" {
		b, err := json.MarshalIndent(w.Expect(), "", "  ")
		if err != nil {
			return fmt.Errorf("encoding what a check must find: %w", err)
		}
		if err := os.WriteFile(expectFile, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", expectFile, err)
		}
	}
	return nil
}

// newClient returns an S3 client (from internal/awsclient, the one place
// clients are built) for a path-style endpoint with enough kept-alive
// connections for concurrency PUTs in flight.
func newClient(ctx context.Context, endpoint, region string, concurrency int) (*s3.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = concurrency
	tr.MaxIdleConnsPerHost = concurrency
	return awsclient.S3(ctx, awsclient.Options{
		Region: region, Endpoint: endpoint, PathStyle: true,
		Identity:   awsclient.Identity{Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")},
		HTTPClient: &http.Client{Transport: tr},
	})
}

// noChecksums sends objects without additional checksums, so that the
// listings carry MD5 ETags only, as most legacy objects do.
func noChecksums(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

func createBucket(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}, noChecksums)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	return nil
}
