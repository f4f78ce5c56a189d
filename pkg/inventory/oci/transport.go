package oci

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Cancellation. The SDK's common.Retry runs each call in a goroutine and,
// when the call's context is cancelled, returns a variable that goroutine
// is still writing: a data race. So the SDK never sees a context that can
// be cancelled: each call gets context.WithoutCancel of the caller's, with
// the caller's context as a value, and the dispatcher below puts that
// context back on the HTTP request. A cancelled caller thus aborts the
// request in flight (and the reading of a GetObject body), and the SDK sees
// an ordinary error that its retry policy (see meta) does not retry.

type callerCtxKey struct{}

// sdkCtx returns the context to hand the SDK for a call made under ctx.
func (s *Store) sdkCtx(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), callerCtxKey{}, ctx)
}

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
				t.MaxIdleConns = max(t.MaxIdleConns, inventory.IdleConnsPerHost)
				t.MaxIdleConnsPerHost = inventory.IdleConnsPerHost
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

// contextError returns the caller's context error behind err, if any.
func contextError(err error) error {
	var cd *callerDone
	if errors.As(err, &cd) {
		return cd.cause
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// retrySettings are the store's retry configuration.
type retrySettings struct {
	disabled bool
	attempts int
	backoff  time.Duration
}

// meta returns the request metadata carrying the retry policy of a call
// made under ctx: the SDK's default (429, 5xx and network errors, with
// exponential backoff and jitter, without the eventual-consistency waits
// that only IAM changes need), never retrying once ctx is done.
func (s *Store) meta(ctx context.Context) common.RequestMetadata {
	if s.retry.disabled {
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
				s.log.Debug("retrying", "attempt", r.AttemptNumber, "err", r.Error)
			}
			return retry
		}),
	}
	if s.retry.attempts > 0 {
		opts = append(opts, common.WithMaximumNumberAttempts(uint(s.retry.attempts)))
	}
	if s.retry.backoff > 0 {
		opts = append(opts, common.WithFixedBackoff(s.retry.backoff))
	}
	p := common.NewRetryPolicyWithOptions(opts...)
	return common.RequestMetadata{RetryPolicy: &p}
}

// versionFields are the fields a version listing asks for.
const versionFields = "name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState"

// versionFieldsInterceptor asks ListObjectVersions for every field the
// listing needs. The SDK types ListObjectVersionsRequest.Fields as an enum
// of single field names and rejects a comma-separated list before sending,
// although the service takes one (as ListObjects does, whose Fields is a
// plain string). The interceptor runs after the SDK built the request and
// before it signs it, so the signed query is the one sent.
func versionFieldsInterceptor(r *http.Request) error {
	segs := strings.Split(r.URL.Path, "/") // "", "n", ns, "b", bucket, "objectversions"
	if r.Method != http.MethodGet || len(segs) != 6 || segs[3] != "b" || segs[5] != "objectversions" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	q.Set("fields", versionFields)
	r.URL.RawQuery = q.Encode()
	return nil
}
