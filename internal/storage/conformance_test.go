package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/storage/storagetest"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

var moto motoserver.Shared

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	// Parts of S3's smallest size, and bodies past 4 MiB in parts: the
	// suite's large bodies go up as multipart uploads.
	restore := storage.SetPartSizes(5<<20, 4<<20)
	code := m.Run()
	restore()
	moto.Stop()
	os.Exit(code)
}

// manyNames is one name more than a page of an S3 or OCI listing holds.
const manyNames = 1001

// open opens the store at loc, failing t if it cannot.
func open(t *testing.T, loc config.Location) storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("opening %s: %v", loc, err)
	}
	return st
}

func TestDirConformance(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{
		NewPlace: func(t *testing.T) func(string) storage.Store {
			root := t.TempDir()
			return func(sub string) storage.Store {
				dir := filepath.Join(root, filepath.FromSlash(sub))
				return open(t, config.Location{Raw: "file://" + dir, Scheme: "file", Dir: dir})
			}
		},
		InvalidNames: []string{"", "/abs", "..", "../escape", "a/../../secret", "a//b", "a/./b", "trailing/", ".hidden", "a/.b"},
		ManyNames:    manyNames,
	})
}

// seedClient is an unmodified SDK client of moto, to make buckets with.
func seedClient(srv *motoserver.Server) *s3.Client {
	return s3.New(s3.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, ""),
	})
}

// buckets numbers the buckets of the S3 and OCI places.
var buckets atomic.Int64

func TestS3Conformance(t *testing.T) {
	srv := moto.Get(t)
	seed := seedClient(srv)
	storagetest.Run(t, storagetest.Harness{
		NewPlace: func(t *testing.T) func(string) storage.Store {
			bucket := fmt.Sprintf("pp-place-%d", buckets.Add(1))
			if _, err := seed.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatalf("creating bucket %s: %v", bucket, err)
			}
			return func(sub string) storage.Store { return open(t, s3Location(srv, bucket, sub)) }
		},
		ManyNames: manyNames,
	})
}

func s3Location(srv *motoserver.Server, bucket, prefix string) config.Location {
	return config.Location{Raw: "s3://" + bucket + "/" + prefix, Scheme: "s3", Bucket: bucket, Prefix: prefix,
		Region: motoserver.Region, Endpoint: srv.URL, PathStyle: true}
}

func ociLocation(env *ocilocaltest.Env, bucket, prefix string) config.Location {
	return config.Location{Raw: "oci://" + bucket + "@" + env.Namespace + "/" + prefix, Scheme: "oci",
		Bucket: bucket, Namespace: env.Namespace, Prefix: prefix, Region: env.Region, Endpoint: env.Endpoint,
		Auth: config.AuthAPIKey, ConfigFile: env.ConfigFile, Profile: env.Profile}
}

func TestOCIConformance(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Profile: "LOCAL"})
	storagetest.Run(t, storagetest.Harness{
		NewPlace: func(t *testing.T) func(string) storage.Store {
			bucket := fmt.Sprintf("pp-place-%d", buckets.Add(1))
			env.CreateBucket(t, bucket, false)
			return func(sub string) storage.Store { return open(t, ociLocation(env, bucket, sub)) }
		},
		ManyNames: manyNames,
	})
}

// URLs say where a name is, in the location's own syntax.
func TestURLs(t *testing.T) {
	dir := t.TempDir()
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acme"}})
	env.CreateBucket(t, "reports", false)
	got := []string{
		open(t, config.Location{Raw: "file://" + dir, Scheme: "file", Dir: dir}).URL("runs/r1/run.json"),
		open(t, s3Location(moto.Get(t), "pp-state", "pp/")).URL("latest.json"),
		open(t, ociLocation(env, "reports", "pp/")).URL("latest.json"),
	}
	want := []string{"file://" + filepath.ToSlash(dir) + "/runs/r1/run.json", "s3://pp-state/pp/latest.json", "oci://reports@acme/pp/latest.json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
}

// A Put with a retention sets an Object Lock retention in compliance mode.
func TestS3ObjectLockRetention(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	seed := seedClient(srv)
	if _, err := seed.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-reports"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st := open(t, s3Location(srv, "pp-reports", ""))
	until := time.Date(2033, 11, 28, 0, 0, 0, 0, time.UTC)
	if err := st.Put(ctx, "run/report.json", strings.NewReader("{}"), storage.PutOptions{RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	// The SDK read no date from moto's GetObjectRetention answer; the
	// HEAD carries the same retention.
	got, err := seed.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pp-reports"), Key: aws.String("run/report.json")})
	if err != nil {
		t.Fatal(err)
	}
	type retention struct {
		Mode  s3types.ObjectLockMode
		Until time.Time
	}
	var gotUntil time.Time
	if got.ObjectLockRetainUntilDate != nil {
		gotUntil = got.ObjectLockRetainUntilDate.UTC()
	}
	if diff := cmp.Diff(retention{s3types.ObjectLockModeCompliance, until}, retention{got.ObjectLockMode, gotUntil}); diff != "" {
		t.Errorf("retention (-want +got):\n%s", diff)
	}
}
