package ociclient

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"
)

// Client is an Object Storage client whose every call is guarded and
// carries the retry policy of [Options.Retry]. It is safe for concurrent
// use.
//
// The guard. The SDK's common.Retry runs each call in a goroutine and,
// when the call's context is cancelled, returns a variable that goroutine
// is still writing: a data race. So the SDK never sees a context that can
// be cancelled: each call gets context.WithoutCancel of the caller's, with
// the caller's context as a value, and the client's dispatcher puts that
// context back on the HTTP request. A cancelled caller thus aborts the
// request in flight (and the reading of a GetObject body), and the SDK
// sees an ordinary error that the retry policy does not retry.
//
// Every method sets the request's RequestMetadata; one it already had is
// replaced.
type Client struct {
	sdk    objectstorage.ObjectStorageClient
	region string
	retry  Retry
	log    *slog.Logger
}

// Region returns the region the client is for: the options' or that of
// the authentication.
func (c *Client) Region() string { return c.region }

// Unguarded returns the SDK client itself, its calls neither guarded nor
// given a retry policy (it has none of its own). It is for tests and tools
// that seed buckets; parityproof's own calls go through the Client.
func (c *Client) Unguarded() objectstorage.ObjectStorageClient { return c.sdk }

type callerCtxKey struct{}

// sdkCtx returns the context to hand the SDK for a call made under ctx.
func sdkCtx(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), callerCtxKey{}, ctx)
}

// IdleConnsPerHost is how many idle connections to one endpoint a client
// keeps for its next requests: a run has many HEADs, reads and listings in
// flight to the same endpoint at once, and the SDK's transport keeps two.
const IdleConnsPerHost = 512

// dispatcher sends the SDK's requests under the caller's context.
type dispatcher struct{ next common.HTTPRequestDispatcher }

func newDispatcher(next common.HTTPRequestDispatcher) dispatcher {
	if hc, ok := next.(*http.Client); ok {
		// The SDK's client times out whole exchanges after 60s, bodies
		// included, which would cut long content reads; the callers'
		// contexts bound calls instead.
		c := *hc
		c.Timeout = 0
		if w, ok := c.Transport.(*common.OciHTTPTransportWrapper); ok && w.TransportTemplate == nil {
			// Keep the connections of every request in flight for the
			// next, rather than two per host.
			w.TransportTemplate = func(tc *tls.Config) (http.RoundTripper, error) {
				t, err := common.DefaultTransport(tc)
				if err != nil {
					return nil, err
				}
				t.MaxIdleConns = max(t.MaxIdleConns, IdleConnsPerHost)
				t.MaxIdleConnsPerHost = IdleConnsPerHost
				return t, nil
			}
		}
		next = &c
	}
	return dispatcher{next: next}
}

func (d dispatcher) Do(r *http.Request) (*http.Response, error) {
	ctx, ok := r.Context().Value(callerCtxKey{}).(context.Context)
	if ok {
		r = r.WithContext(ctx)
	}
	resp, err := d.next.Do(r)
	if err != nil && ok && ctx.Err() != nil {
		return nil, &callerDone{cause: ctx.Err(), err: err}
	}
	return resp, err
}

// callerDone is the error of a request whose caller gave up. It is not a
// net.Error, so the SDK does not take it for a network error to retry.
type callerDone struct {
	cause error
	err   error
}

func (c *callerDone) Error() string { return c.err.Error() }
func (c *callerDone) Unwrap() error { return c.cause }

// ContextError returns the caller's context error behind err, an error of
// a call of a Client, if any: context.Canceled or DeadlineExceeded.
func ContextError(err error) error {
	var cd *callerDone
	if errors.As(err, &cd) {
		return cd.cause
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// meta returns the request metadata carrying the retry policy of a call
// made under ctx: the SDK's default (429, 5xx and network errors, with
// exponential backoff and jitter, without the eventual-consistency waits
// that only IAM changes need), never retrying once ctx is done.
func (c *Client) meta(ctx context.Context) common.RequestMetadata {
	if c.retry.Disabled {
		p := common.NoRetryPolicy()
		return common.RequestMetadata{RetryPolicy: &p}
	}
	opts := []common.RetryPolicyOption{
		common.ReplaceWithValuesFromRetryPolicy(common.DefaultRetryPolicyWithoutEventualConsistency()),
		common.WithShouldRetryOperation(func(r common.OCIOperationResponse) bool {
			if ctx.Err() != nil {
				return false
			}
			retry := common.DefaultShouldRetryOperation(r)
			// The SDK retries a 429 only with the code TooManyRequests from
			// the body, and a HEAD answer has no body: retry it by status.
			if se, ok := common.IsServiceError(r.Error); ok && se.GetHTTPStatusCode() == http.StatusTooManyRequests {
				retry = true
			}
			if retry {
				c.log.Debug("retrying", "attempt", r.AttemptNumber, "err", r.Error)
			}
			return retry
		}),
	}
	if c.retry.MaxAttempts > 0 {
		opts = append(opts, common.WithMaximumNumberAttempts(uint(c.retry.MaxAttempts)))
	}
	if c.retry.Backoff > 0 {
		opts = append(opts, common.WithFixedBackoff(c.retry.Backoff))
	}
	p := common.NewRetryPolicyWithOptions(opts...)
	return common.RequestMetadata{RetryPolicy: &p}
}

// The calls parityproof makes, each the SDK's, guarded.

// GetNamespace is the SDK's GetNamespace, guarded.
func (c *Client) GetNamespace(ctx context.Context, req objectstorage.GetNamespaceRequest) (objectstorage.GetNamespaceResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.GetNamespace(sdkCtx(ctx), req)
}

// GetBucket is the SDK's GetBucket, guarded.
func (c *Client) GetBucket(ctx context.Context, req objectstorage.GetBucketRequest) (objectstorage.GetBucketResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.GetBucket(sdkCtx(ctx), req)
}

// HeadBucket is the SDK's HeadBucket, guarded.
func (c *Client) HeadBucket(ctx context.Context, req objectstorage.HeadBucketRequest) (objectstorage.HeadBucketResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.HeadBucket(sdkCtx(ctx), req)
}

// CreateBucket is the SDK's CreateBucket, guarded.
func (c *Client) CreateBucket(ctx context.Context, req objectstorage.CreateBucketRequest) (objectstorage.CreateBucketResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.CreateBucket(sdkCtx(ctx), req)
}

// HeadObject is the SDK's HeadObject, guarded.
func (c *Client) HeadObject(ctx context.Context, req objectstorage.HeadObjectRequest) (objectstorage.HeadObjectResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.HeadObject(sdkCtx(ctx), req)
}

// GetObject is the SDK's GetObject, guarded: cancelling ctx also aborts
// the reading of the body.
func (c *Client) GetObject(ctx context.Context, req objectstorage.GetObjectRequest) (objectstorage.GetObjectResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.GetObject(sdkCtx(ctx), req)
}

// PutObject is the SDK's PutObject, guarded.
func (c *Client) PutObject(ctx context.Context, req objectstorage.PutObjectRequest) (objectstorage.PutObjectResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.PutObject(sdkCtx(ctx), req)
}

// DeleteObject is the SDK's DeleteObject, guarded.
func (c *Client) DeleteObject(ctx context.Context, req objectstorage.DeleteObjectRequest) (objectstorage.DeleteObjectResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.DeleteObject(sdkCtx(ctx), req)
}

// ListObjects is the SDK's ListObjects, guarded.
func (c *Client) ListObjects(ctx context.Context, req objectstorage.ListObjectsRequest) (objectstorage.ListObjectsResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.ListObjects(sdkCtx(ctx), req)
}

// ListObjectVersions is the SDK's ListObjectVersions, guarded.
func (c *Client) ListObjectVersions(ctx context.Context, req objectstorage.ListObjectVersionsRequest) (objectstorage.ListObjectVersionsResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.ListObjectVersions(sdkCtx(ctx), req)
}

// CreateMultipartUpload is the SDK's CreateMultipartUpload, guarded.
func (c *Client) CreateMultipartUpload(ctx context.Context, req objectstorage.CreateMultipartUploadRequest) (objectstorage.CreateMultipartUploadResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.CreateMultipartUpload(sdkCtx(ctx), req)
}

// UploadPart is the SDK's UploadPart, guarded.
func (c *Client) UploadPart(ctx context.Context, req objectstorage.UploadPartRequest) (objectstorage.UploadPartResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.UploadPart(sdkCtx(ctx), req)
}

// CommitMultipartUpload is the SDK's CommitMultipartUpload, guarded.
func (c *Client) CommitMultipartUpload(ctx context.Context, req objectstorage.CommitMultipartUploadRequest) (objectstorage.CommitMultipartUploadResponse, error) {
	req.RequestMetadata = c.meta(ctx)
	return c.sdk.CommitMultipartUpload(sdkCtx(ctx), req)
}
