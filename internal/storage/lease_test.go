package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/storage/storagetest"
	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
)

// A conditional write whose answer is lost is retried by the SDK, which
// then gets 412 from its own first write: the lease reads the record back,
// finds its own token, and holds the lease.
func TestLeaseSurvivesALostAnswer(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	bucket := srv.BucketName("pp-lost-answer")
	if _, err := seedClient(srv).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.Start(t, srv.URL, faultproxy.Options{Rules: []faultproxy.Rule{
		{Op: faultproxy.PutObject, Limit: 2, Fault: faultproxy.DropAnswer()},
	}})
	loc := s3Location(srv, bucket, "")
	loc.Endpoint = proxy.URL
	st := open(t, loc)
	l, err := storage.AcquireLease(ctx, st, "lease.json", storage.LeaseOptions{Holder: "run A", TTL: time.Minute})
	if err != nil {
		t.Fatalf("acquiring with the answer lost: %v (%s)", err, proxy.Stats())
	}
	if err := l.Renew(ctx); err != nil {
		t.Fatalf("renewing with the answer lost: %v (%s)", err, proxy.Stats())
	}
	if got := proxy.Stats().Faults["drop-answer"]; got != 2 {
		t.Errorf("%d answers dropped, want 2 (%s)", got, proxy.Stats())
	}
	if err := l.Err(); err != nil {
		t.Errorf("the lease after lost answers: %v", err)
	}
	if _, err := storage.AcquireLease(ctx, st, "lease.json", storage.LeaseOptions{Holder: "run B", TTL: time.Minute}); !errors.Is(err, storage.ErrLeaseHeld) {
		t.Errorf("a second holder: %v, want ErrLeaseHeld", err)
	}
}

// Objects rewritten in place carry the tag the state bucket's lifecycle
// rule selects.
func TestS3Tags(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	seed := seedClient(srv)
	if _, err := seed.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-tags")}); err != nil {
		t.Fatal(err)
	}
	st := open(t, s3Location(srv, "pp-tags", "state/"))
	if err := st.Put(ctx, "runs/r/shards/p/s.json", strings.NewReader("{}"), storage.PutOptions{Tags: storage.RewrittenTags}); err != nil {
		t.Fatal(err)
	}
	out, err := seed.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("pp-tags"), Key: aws.String("state/runs/r/shards/p/s.json")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range out.TagSet {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if diff := cmp.Diff(storage.RewrittenTags, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

// A read-only folder refuses writes with ErrPermission.
func TestReadOnlyFolder(t *testing.T) {
	dir := t.TempDir()
	st := open(t, config.Location{Raw: "file://" + dir, Scheme: "file", Dir: dir})
	storagetest.ReadOnly(t, dir)
	err := st.Put(context.Background(), "runs/r/run.json", strings.NewReader("{}"), storage.PutOptions{})
	if !errors.Is(err, storage.ErrPermission) {
		t.Errorf("Put into a read-only folder: %v, want ErrPermission", err)
	}
	_, err = storage.AcquireLease(context.Background(), st, "lease.json", storage.LeaseOptions{TTL: time.Minute})
	if !errors.Is(err, storage.ErrPermission) {
		t.Errorf("a lease in a read-only folder: %v, want ErrPermission", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused write left runs/ behind: %v", err)
	}
}
