package demo

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/ociclient"
	"github.com/parityproof/parityproof/internal/ocilocal"
)

// Names of the demo's stores.
const (
	legacyUS     = "legacy-us-backups"
	legacySG     = "legacy-sg-backups"
	legacyPrefix = "users/"
	namespace    = "acmecorp"
	targetBucket = "us-users"
	targetPrefix = "migrated/users/"
	ociProfile   = "DEMO"
)

// world is the demo's emulators and the clients that seed them.
type world struct {
	s3Endpoint  string
	s3srv       *http.Server
	s3          *s3.Client
	oci         *ocilocal.Running
	ociClient   *ociclient.Client
	ociConfig   string
	credentials aws.Credentials
}

// demoCredentials are the in-process S3 server's; it does not check them.
var demoCredentials = aws.Credentials{AccessKeyID: "DEMOACCESSKEY", SecretAccessKey: "demo-secret-key", Source: "parityproof demo"}

// startWorld starts an in-process S3 server (gofakes3) and ocilocal on
// loopback, with an API key written into dir for the OCI SDK.
func startWorld(ctx context.Context, dir string) (*world, error) {
	w := &world{credentials: demoCredentials}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the S3 emulator: %w", err)
	}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	w.s3srv = &http.Server{Handler: fixVersionListings(faker.Server())}
	go func() { _ = w.s3srv.Serve(ln) }() // ends with ErrServerClosed at close
	w.s3Endpoint = "http://" + ln.Addr().String()
	if w.s3, err = awsclient.S3(ctx, awsclient.Options{
		Region: "us-east-1", Endpoint: w.s3Endpoint, PathStyle: true,
		Identity: awsclient.Identity{Credentials: credentials.StaticCredentialsProvider{Value: demoCredentials}},
	}); err != nil {
		return nil, fmt.Errorf("the S3 emulator's client: %w", err)
	}

	key, err := ocilocal.GenerateKey()
	if err != nil {
		return nil, err
	}
	w.oci, err = ocilocal.Start(ocilocal.Options{Namespace: namespace, Keys: []*rsa.PublicKey{&key.PublicKey}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("starting ocilocal: %w", err)
	}
	ociDir := filepath.Join(dir, "oci")
	if err := os.MkdirAll(ociDir, 0o700); err != nil {
		return nil, err
	}
	if w.ociConfig, err = ocilocal.WriteConfig(ociDir, key, ocilocal.Profile{Name: ociProfile, Region: "us-ashburn-1"}); err != nil {
		return nil, err
	}
	if w.ociClient, err = ociclient.New(ociclient.Options{
		ConfigFile: w.ociConfig, Profile: ociProfile, Endpoint: w.oci.Endpoint,
		Retry: ociclient.Retry{Disabled: true}, DisableCircuitBreaker: true,
	}); err != nil {
		return nil, fmt.Errorf("ocilocal's client: %w", err)
	}

	for _, b := range []string{legacyUS, legacySG} {
		if _, err := w.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return nil, fmt.Errorf("creating bucket %s: %w", b, err)
		}
	}
	if _, err := w.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(legacyUS),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	}); err != nil {
		return nil, fmt.Errorf("versioning bucket %s: %w", legacyUS, err)
	}
	if _, err := w.ociClient.CreateBucket(ctx, objectstorage.CreateBucketRequest{
		NamespaceName: common.String(namespace),
		CreateBucketDetails: objectstorage.CreateBucketDetails{
			Name: common.String(targetBucket), CompartmentId: common.String("ocid1.compartment.oc1..demo"),
		},
	}); err != nil {
		return nil, fmt.Errorf("creating bucket %s: %w", targetBucket, err)
	}
	return w, nil
}

func (w *world) close() {
	w.s3srv.Close()
	w.oci.Close()
}

// putLegacy uploads content to a legacy bucket, in parts of partSize when
// it is not zero.
func (w *world) putLegacy(ctx context.Context, bucket, key string, content []byte, partSize int) error {
	k := aws.String(legacyPrefix + key)
	if partSize == 0 {
		_, err := w.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: k, Body: bytes.NewReader(content)})
		if err != nil {
			return fmt.Errorf("putting %s/%s: %w", bucket, key, err)
		}
		return nil
	}
	up, err := w.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: k})
	if err != nil {
		return fmt.Errorf("starting an upload of %s/%s: %w", bucket, key, err)
	}
	var parts []s3types.CompletedPart
	for i, off := int32(1), 0; off < len(content); i, off = i+1, off+partSize {
		chunk := content[off:min(off+partSize, len(content))]
		p, err := w.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: k, UploadId: up.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(chunk)})
		if err != nil {
			return fmt.Errorf("uploading part %d of %s/%s: %w", i, bucket, key, err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(i)})
	}
	_, err = w.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: k, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return fmt.Errorf("completing the upload of %s/%s: %w", bucket, key, err)
	}
	return nil
}

// startUpload begins a multipart upload and leaves it unfinished.
func (w *world) startUpload(ctx context.Context, bucket, key string) error {
	up, err := w.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(legacyPrefix + key)})
	if err != nil {
		return fmt.Errorf("starting an upload of %s/%s: %w", bucket, key, err)
	}
	_, err = w.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(legacyPrefix + key), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("a part of an upload nobody finished"))})
	return err
}

// deleteLegacy deletes a key from a legacy bucket. In the versioned bucket,
// purge also deletes every version, leaving nothing; without purge, a
// delete marker hides the versions.
func (w *world) deleteLegacy(ctx context.Context, bucket, key string, purge bool) error {
	k := aws.String(legacyPrefix + key)
	if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: k}); err != nil {
		return fmt.Errorf("deleting %s/%s: %w", bucket, key, err)
	}
	if !purge || bucket != legacyUS {
		return nil
	}
	out, err := w.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: k})
	if err != nil {
		return fmt.Errorf("listing versions of %s/%s: %w", bucket, key, err)
	}
	var ids []*string
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == *k {
			ids = append(ids, v.VersionId)
		}
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == *k {
			ids = append(ids, m.VersionId)
		}
	}
	for _, id := range ids {
		if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: k, VersionId: id}); err != nil {
			return fmt.Errorf("deleting a version of %s/%s: %w", bucket, key, err)
		}
	}
	return nil
}

// putTarget uploads content to the OCI bucket, in parts of partSize when
// it is not zero, in the archive tier when archive is set.
func (w *world) putTarget(ctx context.Context, key string, content []byte, partSize int, archive bool) error {
	name := common.String(targetPrefix + key)
	ns, b := common.String(namespace), common.String(targetBucket)
	if partSize == 0 {
		req := objectstorage.PutObjectRequest{NamespaceName: ns, BucketName: b, ObjectName: name,
			ContentLength: common.Int64(int64(len(content))), PutObjectBody: io.NopCloser(bytes.NewReader(content))}
		if archive {
			req.StorageTier = objectstorage.PutObjectStorageTierArchive
		}
		if _, err := w.ociClient.PutObject(ctx, req); err != nil {
			return fmt.Errorf("putting %s to OCI: %w", key, err)
		}
		return nil
	}
	create := objectstorage.CreateMultipartUploadDetails{Object: name}
	if archive {
		create.StorageTier = objectstorage.StorageTierArchive
	}
	up, err := w.ociClient.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{NamespaceName: ns, BucketName: b,
		CreateMultipartUploadDetails: create})
	if err != nil {
		return fmt.Errorf("starting an OCI upload of %s: %w", key, err)
	}
	var parts []objectstorage.CommitMultipartUploadPartDetails
	for i, off := 1, 0; off < len(content); i, off = i+1, off+partSize {
		chunk := content[off:min(off+partSize, len(content))]
		p, err := w.ociClient.UploadPart(ctx, objectstorage.UploadPartRequest{NamespaceName: ns, BucketName: b, ObjectName: name,
			UploadId: up.UploadId, UploadPartNum: common.Int(i), ContentLength: common.Int64(int64(len(chunk))),
			UploadPartBody: io.NopCloser(bytes.NewReader(chunk))})
		if err != nil {
			return fmt.Errorf("uploading part %d of %s to OCI: %w", i, key, err)
		}
		parts = append(parts, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(i), Etag: p.ETag})
	}
	_, err = w.ociClient.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{NamespaceName: ns, BucketName: b, ObjectName: name,
		UploadId: up.UploadId, CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: parts}})
	if err != nil {
		return fmt.Errorf("committing the OCI upload of %s: %w", key, err)
	}
	return nil
}

// deleteTarget deletes a key from the OCI bucket.
func (w *world) deleteTarget(ctx context.Context, key string) error {
	_, err := w.ociClient.DeleteObject(ctx, objectstorage.DeleteObjectRequest{NamespaceName: common.String(namespace),
		BucketName: common.String(targetBucket), ObjectName: common.String(targetPrefix + key)})
	if err != nil {
		return fmt.Errorf("deleting %s from OCI: %w", key, err)
	}
	return nil
}
