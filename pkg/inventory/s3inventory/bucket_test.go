package s3inventory_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

// An inventory written by the fixture writer, uploaded into a bucket and
// read back from it through an unmodified SDK client.
func TestBucketSource(t *testing.T) {
	srv := motoserver.Start(t, motoserver.Options{})
	client := s3.New(s3.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, ""),
		HTTPClient:   &http.Client{},
	})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("inventory")}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []s3inventory.Format{s3inventory.CSV, s3inventory.Parquet} {
		t.Run(string(format), func(t *testing.T) {
			spec := s3inventorytest.Spec{Format: format, Versions: true, Files: 2, ConfigID: "cfg-" + string(format), Created: created}
			dir := t.TempDir()
			key, err := s3inventorytest.Write(dir, spec, versioned)
			if err != nil {
				t.Fatal(err)
			}
			if err := s3inventorytest.Upload(ctx, client, "inventory", dir); err != nil {
				t.Fatal(err)
			}
			src := s3inventory.Bucket(client, "inventory")
			got, _, err := readAll(t, src, key, s3inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantVersioned(created), got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			m, err := s3inventory.ReadManifest(ctx, src, key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff("s3://inventory/"+key+" verified", m.Location+map[bool]string{true: " verified", false: ""}[m.ChecksumVerified]); diff != "" {
				t.Errorf("manifest (-want +got):\n%s", diff)
			}
		})
	}
	_, err := s3inventory.Bucket(client, "inventory").Open(ctx, "no/such/key")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening a missing key: %v, want an error wrapping fs.ErrNotExist", err)
	}
}
