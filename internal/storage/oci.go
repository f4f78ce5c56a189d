package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ociclient"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// OCI is a Store in an OCI bucket under a prefix. Every Put is one
// PutObject, visible whole or not at all.
type OCI struct {
	client                    *ociclient.Client
	namespace, bucket, prefix string
}

// NewOCI returns an OCI Store. cfg says how to authenticate and where the
// bucket is (its Name names the location in errors); its page size and
// logger are not used. Calls are guarded against the SDK's retry race and
// retried as ociclient says.
func NewOCI(cfg oci.Config) (*OCI, error) {
	client, err := ociclient.New(ociclient.Options{
		Auth: ociclient.Auth(cfg.Auth), ConfigFile: cfg.ConfigFile, Profile: cfg.Profile,
		Region: cfg.Region, Endpoint: cfg.Endpoint,
		Retry:                 ociclient.Retry{Disabled: cfg.DisableRetries, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.RetryBackoff},
		DisableCircuitBreaker: cfg.DisableCircuitBreaker,
	})
	if err != nil {
		return nil, fmt.Errorf("OCI location %q: %w", cfg.Name, err)
	}
	return &OCI{client: client, namespace: cfg.Namespace, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// Put implements Store. A body that can seek (a file) of at most 5 GiB is
// sent as it is, in one PutObject; any other a part at a time (partSize),
// more than one as a multipart upload — committed whole or not at all — so
// that memory holds one part whatever the size.
func (s *OCI) Put(ctx context.Context, name string, r io.Reader, o PutOptions) error {
	// A done context sends nothing. (A context cancelled during a call is
	// ociclient's guard's: the SDK never sees it.)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	if rs, ok := r.(io.ReadSeeker); ok {
		size, err := remaining(rs)
		if err != nil {
			return fmt.Errorf("writing %s: %w", s.URL(name), err)
		}
		if size <= maxSinglePut {
			return s.putObject(ctx, name, rs, size, o)
		}
	}
	first, more, err := readPart(r)
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	if !more {
		return s.putObject(ctx, name, bytes.NewReader(first), int64(len(first)), o)
	}
	return s.putMultipart(ctx, name, first, r, o)
}

func (s *OCI) putObject(ctx context.Context, name string, body io.Reader, size int64, o PutOptions) error {
	if _, err := s.client.PutObject(ctx, s.putRequest(name, body, size, o)); err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), classifyOCI(err))
	}
	return nil
}

func (s *OCI) putRequest(name string, body io.Reader, size int64, o PutOptions) objectstorage.PutObjectRequest {
	req := objectstorage.PutObjectRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: common.String(s.prefix + name),
		ContentLength: common.Int64(size), PutObjectBody: io.NopCloser(body),
	}
	if o.ContentType != "" {
		req.ContentType = common.String(o.ContentType)
	}
	return req
}

// putMultipart uploads first, then the rest of r, a part at a time, and
// commits the upload. An upload that fails is left uncommitted: nothing of
// it is visible.
func (s *OCI) putMultipart(ctx context.Context, name string, first []byte, r io.Reader, o PutOptions) error {
	object := common.String(s.prefix + name)
	details := objectstorage.CreateMultipartUploadDetails{Object: object}
	if o.ContentType != "" {
		details.ContentType = common.String(o.ContentType)
	}
	up, err := s.client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, CreateMultipartUploadDetails: details,
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	var parts []objectstorage.CommitMultipartUploadPartDetails
	part, more := first, true
	for n := 1; ; n++ {
		out, err := s.client.UploadPart(ctx, objectstorage.UploadPartRequest{
			NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: object, UploadId: up.UploadId,
			UploadPartNum: common.Int(n), ContentLength: common.Int64(int64(len(part))), UploadPartBody: io.NopCloser(bytes.NewReader(part)),
		})
		if err != nil {
			return fmt.Errorf("writing %s: part %d: %w", s.URL(name), n, err)
		}
		parts = append(parts, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(n), Etag: out.ETag})
		if !more {
			break
		}
		if part, more, err = readPart(r); err != nil {
			return fmt.Errorf("writing %s: %w", s.URL(name), err)
		}
		if len(part) == 0 {
			break
		}
	}
	_, err = s.client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: object, UploadId: up.UploadId,
		CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: parts},
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	return nil
}

// Get implements Store.
func (s *OCI) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil { // a done context sends nothing: see Put
		return nil, fmt.Errorf("reading %s: %w", s.URL(name), err)
	}
	resp, err := s.client.GetObject(ctx, objectstorage.GetObjectRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: common.String(s.prefix + name),
	})
	if err != nil {
		if isOCIObjectNotFound(err) {
			return nil, fmt.Errorf("reading %s: %w", s.URL(name), ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s: %w", s.URL(name), classifyOCI(err))
	}
	return bodyUnder(ctx, resp.Content), nil
}

// List implements Store.
func (s *OCI) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	var start *string
	for {
		if err := ctx.Err(); err != nil { // a done context sends nothing: see Put
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), err)
		}
		resp, err := s.client.ListObjects(ctx, objectstorage.ListObjectsRequest{
			NamespaceName: &s.namespace, BucketName: &s.bucket, Prefix: common.String(s.prefix + prefix),
			Start: start, Limit: common.Int(1000),
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), classifyOCI(err))
		}
		for _, o := range resp.Objects {
			names = append(names, strings.TrimPrefix(*o.Name, s.prefix))
		}
		if resp.NextStartWith == nil {
			return names, nil
		}
		start = resp.NextStartWith
	}
}

// URL implements Store.
func (s *OCI) URL(name string) string {
	return fmt.Sprintf("oci://%s@%s/%s%s", s.bucket, s.namespace, s.prefix, name)
}

var _ Conditional = (*OCI)(nil)

// GetVersion implements Conditional: an OCI object's version is its ETag.
func (s *OCI) GetVersion(ctx context.Context, name string) ([]byte, Version, error) {
	if err := ctx.Err(); err != nil { // a done context sends nothing: see Put
		return nil, "", fmt.Errorf("reading %s: %w", s.URL(name), err)
	}
	resp, err := s.client.GetObject(ctx, objectstorage.GetObjectRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: common.String(s.prefix + name),
	})
	if err != nil {
		if isOCIObjectNotFound(err) {
			return nil, "", fmt.Errorf("reading %s: %w", s.URL(name), ErrNotExist)
		}
		return nil, "", fmt.Errorf("reading %s: %w", s.URL(name), classifyOCI(err))
	}
	defer resp.Content.Close()
	b, err := readAllCtx(resp.Content, s.URL(name))
	if err != nil {
		return nil, "", err
	}
	return b, Version(deref(resp.ETag)), nil
}

// PutIf implements Conditional with OCI's if-none-match "*" and if-match.
// OCI answers 409 IfNoneMatchFailed when the object exists and 412
// IfMatchFailed when its ETag differs (or it is missing): both are
// ErrPrecondition.
func (s *OCI) PutIf(ctx context.Context, name string, body []byte, cond Condition, o PutOptions) (Version, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("writing %s: %w", s.URL(name), err)
	}
	req := s.putRequest(name, bytes.NewReader(body), int64(len(body)), o)
	if cond.IfAbsent {
		req.IfNoneMatch = common.String("*")
	}
	if cond.IfVersion != "" {
		req.IfMatch = common.String(string(cond.IfVersion))
	}
	resp, err := s.client.PutObject(ctx, req)
	if err != nil {
		if se, ok := common.IsServiceError(err); ok {
			switch se.GetHTTPStatusCode() {
			case http.StatusPreconditionFailed:
				return "", fmt.Errorf("writing %s %s: %w", s.URL(name), cond, ErrPrecondition)
			case http.StatusConflict:
				if se.GetCode() == "IfNoneMatchFailed" || cond.IfAbsent {
					return "", fmt.Errorf("writing %s %s: %w", s.URL(name), cond, ErrPrecondition)
				}
			}
		}
		return "", fmt.Errorf("writing %s: %w", s.URL(name), classifyOCI(err))
	}
	return Version(deref(resp.ETag)), nil
}

func isOCIObjectNotFound(err error) bool {
	se, ok := common.IsServiceError(err)
	return ok && se.GetHTTPStatusCode() == http.StatusNotFound && se.GetCode() == "ObjectNotFound"
}

// classifyOCI wraps the errors a user must act on with ErrLocationNotFound,
// ErrPermission or ErrUnreachable.
func classifyOCI(err error) error {
	if se, ok := common.IsServiceError(err); ok {
		switch status, code := se.GetHTTPStatusCode(), se.GetCode(); {
		case status == http.StatusNotFound && (code == "BucketNotFound" || code == "NamespaceNotFound"):
			return fmt.Errorf("%w: %w", ErrLocationNotFound, err)
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return fmt.Errorf("%w: %w", ErrPermission, err)
		}
		return err
	}
	if errors.Is(err, oci.ErrBadKeyFile) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	if isUnreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ListSizes implements SizeLister.
func (s *OCI) ListSizes(ctx context.Context, prefix string) (map[string]int64, error) {
	sizes := map[string]int64{}
	var start *string
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), err)
		}
		resp, err := s.client.ListObjects(ctx, objectstorage.ListObjectsRequest{
			NamespaceName: &s.namespace, BucketName: &s.bucket, Prefix: common.String(s.prefix + prefix),
			Start: start, Limit: common.Int(1000), Fields: common.String("name,size"),
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.URL(prefix), classifyOCI(err))
		}
		for _, o := range resp.Objects {
			var n int64
			if o.Size != nil {
				n = *o.Size
			}
			sizes[strings.TrimPrefix(*o.Name, s.prefix)] = n
		}
		if resp.NextStartWith == nil {
			return sizes, nil
		}
		start = resp.NextStartWith
	}
}
