package ocilocal_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// env is a running ocilocal (the shared fixture) and its namespace, as
// requests take it.
type env struct {
	*ocilocaltest.Env
	ns *string
}

// start starts ocilocal with opts (accepting ocilocaltest.Key unless opts
// says otherwise) and a client of it that neither retries nor breaks
// circuits.
func start(t *testing.T, opts ocilocal.Options) *env {
	t.Helper()
	e := ocilocaltest.Start(t, ocilocaltest.Options{Server: opts})
	return &env{Env: e, ns: common.String(e.Namespace)}
}

// dispatcher lets a test change a request after the SDK signed it.
type dispatcher func(*http.Request) (*http.Response, error)

func (d dispatcher) Do(r *http.Request) (*http.Response, error) { return d(r) }

// status returns the HTTP status and code of a service error, 0 and "" for
// nil, and fails the test for other errors.
func status(t *testing.T, err error) (int, string) {
	t.Helper()
	if err == nil {
		return 0, ""
	}
	if se, ok := common.IsServiceError(err); ok {
		return se.GetHTTPStatusCode(), se.GetCode()
	}
	t.Fatalf("not a service error: %v", err)
	return 0, ""
}

type statusCode struct {
	Status int
	Code   string
}

func statusOf(t *testing.T, err error) statusCode {
	t.Helper()
	s, c := status(t, err)
	return statusCode{s, c}
}

// fakeClock is the real clock moved forward by what a test advanced it: a
// request's Date (the real time) stays within the allowed skew as long as
// the advance does.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
