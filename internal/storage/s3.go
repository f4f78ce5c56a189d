package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
	// Retries as the stores' clients do (8 attempts, no client-side
	// quota): a throttled state bucket slows a run down rather than stop it.
	client, err := awsclient.S3(ctx, awsclient.Options{Region: loc.Region, Endpoint: loc.Endpoint, PathStyle: loc.PathStyle,
		Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 8}})
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
	if _, err := s.client.PutObject(ctx, s.putInput(name, body, o)); err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), classifyS3(err))
	}
	return nil
}

// putInput is the PutObject request of a Put.
func (s *S3) putInput(name string, body io.ReadSeeker, o PutOptions) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(s.key(name)),
		Body:              body,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if o.ContentType != "" {
		in.ContentType = aws.String(o.ContentType)
	}
	if len(o.Tags) > 0 {
		in.Tagging = aws.String(o.tagging())
	}
	if !o.RetainUntil.IsZero() {
		// Compliance mode: no one, the account's root included, can
		// shorten the retention or delete the object before it ends.
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(o.RetainUntil)
	}
	return in
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
	if len(o.Tags) > 0 {
		in.Tagging = aws.String(o.tagging())
	}
	if !o.RetainUntil.IsZero() {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(o.RetainUntil)
	}
	up, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), classifyS3(err))
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
		if isS3NotFound(err) {
			return nil, fmt.Errorf("reading %s: %w", s.URL(name), ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s: %w", s.URL(name), classifyS3(err))
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
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), classifyS3(err))
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	return names, nil
}

// URL implements Store.
func (s *S3) URL(name string) string { return "s3://" + s.bucket + "/" + s.key(name) }

var _ Conditional = (*S3)(nil)

// GetVersion implements Conditional: an S3 object's version is its ETag.
func (s *S3) GetVersion(ctx context.Context, name string) ([]byte, Version, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err != nil {
		if isS3NotFound(err) {
			return nil, "", fmt.Errorf("reading %s: %w", s.URL(name), ErrNotExist)
		}
		return nil, "", fmt.Errorf("reading %s: %w", s.URL(name), classifyS3(err))
	}
	defer out.Body.Close()
	b, err := readAllCtx(out.Body, s.URL(name))
	if err != nil {
		return nil, "", err
	}
	return b, Version(aws.ToString(out.ETag)), nil
}

// PutIf implements Conditional with S3's conditional writes: If-None-Match
// "*" and If-Match with the ETag. S3 answers 412 when the condition fails,
// 404 for If-Match on a missing object, and 409 when another conditional
// write of the key is in flight; all three are ErrPrecondition.
func (s *S3) PutIf(ctx context.Context, name string, body []byte, cond Condition, o PutOptions) (Version, error) {
	in := s.putInput(name, bytes.NewReader(body), o)
	if cond.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if cond.IfVersion != "" {
		in.IfMatch = aws.String(string(cond.IfVersion))
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			switch api.ErrorCode() {
			case "PreconditionFailed", "ConditionalRequestConflict":
				return "", fmt.Errorf("writing %s %s: %w", s.URL(name), cond, ErrPrecondition)
			case "NoSuchKey":
				if cond.IfVersion != "" {
					return "", fmt.Errorf("writing %s %s: %w", s.URL(name), cond, ErrPrecondition)
				}
			}
		}
		return "", fmt.Errorf("writing %s: %w", s.URL(name), classifyS3(err))
	}
	return Version(aws.ToString(out.ETag)), nil
}

func isS3NotFound(err error) bool {
	var nsk *types.NoSuchKey
	var api smithy.APIError
	return errors.As(err, &nsk) || errors.As(err, &api) && api.ErrorCode() == "NotFound"
}

// classifyS3 wraps the errors a user must act on with ErrLocationNotFound,
// ErrPermission or ErrUnreachable.
func classifyS3(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("%w: %w", ErrLocationNotFound, err)
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AllAccessDisabled":
			return fmt.Errorf("%w: %w", ErrPermission, err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	if isUnreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	// The SDK's failure to find any credentials has no type of its own.
	if msg := err.Error(); strings.Contains(msg, "get identity: get credentials:") {
		return fmt.Errorf("%w: no credentials were found in the AWS chain: %w", ErrPermission, err)
	}
	return err
}

// ListSizes implements SizeLister.
func (s *S3) ListSizes(ctx context.Context, prefix string) (map[string]int64, error) {
	sizes := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.key(prefix))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), classifyS3(err))
		}
		for _, o := range page.Contents {
			sizes[strings.TrimPrefix(aws.ToString(o.Key), s.prefix)] = aws.ToInt64(o.Size)
		}
	}
	return sizes, nil
}
