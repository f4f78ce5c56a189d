package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// S3 is a Store in an S3 bucket under a prefix. Every Put is one PutObject,
// which S3 makes visible whole or not at all.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string
}

// S3Location says where an S3 Store is and how to reach it.
type S3Location struct {
	Bucket, Prefix, Region, Endpoint string
	PathStyle                        bool
}

// NewS3 returns an S3 Store; credentials come from the default AWS chain,
// the region from loc or the chain (see awsclient for the one fallback).
func NewS3(ctx context.Context, loc S3Location) (*S3, error) {
	client, err := awsclient.S3(ctx, awsclient.Options{Region: loc.Region, Endpoint: loc.Endpoint, PathStyle: loc.PathStyle})
	if err != nil {
		return nil, fmt.Errorf("s3://%s: %w", loc.Bucket, err)
	}
	return &S3{client: client, bucket: loc.Bucket, prefix: loc.Prefix}, nil
}

func (s *S3) key(name string) string { return s.prefix + name }

// Put implements Store. A body that can seek (a file) of at most 5 GiB is
// sent as it is, in one PutObject. Any other body is read a part at a time
// (partSize): one part is one PutObject, more go up as a multipart upload
// — which S3 makes visible whole or not at all, as PutObject — so that
// memory holds one part whatever the size (a report's report.json and
// exceptions.csv grow with its exceptions: a gigabyte a million).
func (s *S3) Put(ctx context.Context, name string, r io.Reader, o PutOptions) error {
	if rs, ok := r.(io.ReadSeeker); ok {
		size, err := remaining(rs)
		if err != nil {
			return fmt.Errorf("writing %s: %w", s.URL(name), err)
		}
		if size <= maxSinglePut {
			return s.putObject(ctx, name, rs, o)
		}
	}
	first, more, err := readPart(r)
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	if !more {
		return s.putObject(ctx, name, bytes.NewReader(first), o)
	}
	return s.putMultipart(ctx, name, first, r, o)
}

func (s *S3) putObject(ctx context.Context, name string, body io.ReadSeeker, o PutOptions) error {
	in := &s3.PutObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(s.key(name)),
		Body:              body,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if o.ContentType != "" {
		in.ContentType = aws.String(o.ContentType)
	}
	if !o.RetainUntil.IsZero() {
		// Compliance mode: no one, the account's root included, can
		// shorten the retention or delete the object before it ends.
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(o.RetainUntil)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	return nil
}

// putMultipart uploads first, then the rest of r, a part at a time, and
// completes the upload; on an error it aborts it, so that nothing is left.
func (s *S3) putMultipart(ctx context.Context, name string, first []byte, r io.Reader, o PutOptions) error {
	in := &s3.CreateMultipartUploadInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(s.key(name)),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if o.ContentType != "" {
		in.ContentType = aws.String(o.ContentType)
	}
	if !o.RetainUntil.IsZero() {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(o.RetainUntil)
	}
	up, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	fail := func(err error) error {
		// The upload's parts are discarded even when ctx is done.
		_, aerr := s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId,
		})
		return errors.Join(fmt.Errorf("writing %s: %w", s.URL(name), err), aerr)
	}
	var parts []types.CompletedPart
	part, more := first, true
	for n := int32(1); ; n++ {
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(part), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		})
		if err != nil {
			return fail(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256})
		if !more {
			break
		}
		if part, more, err = readPart(r); err != nil {
			return fail(err)
		}
		if len(part) == 0 {
			break
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err != nil {
		var nsk *types.NoSuchKey
		var api smithy.APIError
		if errors.As(err, &nsk) || errors.As(err, &api) && api.ErrorCode() == "NotFound" {
			return nil, fmt.Errorf("reading %s: %w", s.URL(name), ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s: %w", s.URL(name), err)
	}
	return bodyUnder(ctx, out.Body), nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.key(prefix))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), err)
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	return names, nil
}

// URL implements Store.
func (s *S3) URL(name string) string { return "s3://" + s.bucket + "/" + s.key(name) }
