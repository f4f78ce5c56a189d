package ociclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ociclient"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// testKey is generated once per test binary: RSA keys take a while.
var testKey = sync.OnceValues(ocilocal.GenerateKey)

// options returns api_key Options for a profile LOCAL in us-phoenix-1 and
// the endpoint.
func options(t *testing.T, endpoint string) ociclient.Options {
	t.Helper()
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	file, err := ocilocal.WriteConfig(t.TempDir(), key, ocilocal.Profile{Name: "LOCAL", Region: "us-phoenix-1"})
	if err != nil {
		t.Fatal(err)
	}
	return ociclient.Options{ConfigFile: file, Profile: "LOCAL", Endpoint: endpoint, DisableCircuitBreaker: true}
}

// server answers with handle, counting the requests.
type server struct {
	*httptest.Server
	requests atomic.Int64
}

func newServer(t *testing.T, handle http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		handle(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func namespaceAnswer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `"acme"`)
}

// The endpoint is where requests go, whatever SetRegion and the client
// configuration did to the host; the region is the options', the
// profile's or the provider's.
func TestEndpointAndRegion(t *testing.T) {
	var host string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		namespaceAnswer(w, r)
	})
	ctx := context.Background()
	var regions []string
	for _, region := range []string{"eu-frankfurt-1", "", "provider"} {
		o := options(t, srv.URL+"/")
		o.Region = region
		if region == "provider" {
			o = ociclient.Options{Provider: ocilocaltest.Provider(t, ocilocaltest.Key(), ""), Endpoint: srv.URL}
		}
		c, err := ociclient.New(o)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"acme", strings.TrimPrefix(srv.URL, "http://")}, []string{*resp.Value, host}); diff != "" {
			t.Errorf("region %q: namespace, host (-want +got):\n%s", region, diff)
		}
		regions = append(regions, c.Region())
	}
	if diff := cmp.Diff([]string{"eu-frankfurt-1", "us-phoenix-1", ocilocal.DefaultRegion}, regions); diff != "" {
		t.Errorf("regions: configured, from the profile, from the provider (-want +got):\n%s", diff)
	}
}

// A cancelled caller aborts the request in flight, of a read and of a
// write alike, and gets its context's error, which is not retried. Run
// with -race: the SDK's own cancellation would race.
func TestCancellationAbortsTheRequest(t *testing.T) {
	arrived := make(chan struct{}, 10)
	aborted := make(chan struct{}, 10)
	stop := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done(): // the client hung up
			aborted <- struct{}{}
		case <-stop:
		}
	})
	t.Cleanup(func() { close(stop) }) // before the server closes
	c, err := ociclient.New(options(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ns, b, name := common.String("acme"), common.String("state"), common.String("run/record.json")
	calls := map[string]func(context.Context) error{
		"GetObject": func(ctx context.Context) error {
			_, err := c.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: ns, BucketName: b, ObjectName: name})
			return err
		},
		"PutObject": func(ctx context.Context) error {
			body := []byte("{}")
			_, err := c.PutObject(ctx, objectstorage.PutObjectRequest{NamespaceName: ns, BucketName: b, ObjectName: name,
				ContentLength: common.Int64(int64(len(body))), PutObjectBody: io.NopCloser(bytes.NewReader(body))})
			return err
		},
	}
	for op, call := range calls {
		srv.requests.Store(0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- call(ctx) }()
		<-arrived
		cancel()
		select {
		case <-aborted:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the request was still open 30s after its caller gave up", op)
		}
		err := <-done
		if !errors.Is(ociclient.ContextError(err), context.Canceled) {
			t.Errorf("%s: got %v, want the caller's context.Canceled", op, err)
		}
		if diff := cmp.Diff(int64(1), srv.requests.Load()); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", op, diff)
		}
	}
}

// Calls carry the options' retry policy: 5xx and a bodiless 429 are
// retried up to MaxAttempts; with retries disabled the first answer is
// the caller's.
func TestRetryPolicy(t *testing.T) {
	var failures atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if failures.Add(-1) >= 0 {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"code":"ServiceUnavailable","message":"try again"}`)
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		namespaceAnswer(w, r)
	})
	ctx := context.Background()
	head := func(c *ociclient.Client) error {
		_, err := c.HeadBucket(ctx, objectstorage.HeadBucketRequest{NamespaceName: common.String("acme"), BucketName: common.String("b")})
		return err
	}
	namespace := func(c *ociclient.Client) error {
		_, err := c.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
		return err
	}
	tests := []struct {
		name     string
		retry    ociclient.Retry
		call     func(*ociclient.Client) error
		failures int64
		requests int64
		ok       bool
	}{
		{"5xx retried", ociclient.Retry{MaxAttempts: 3, Backoff: time.Millisecond}, namespace, 2, 3, true},
		{"429 of a HEAD retried", ociclient.Retry{MaxAttempts: 3, Backoff: time.Millisecond}, head, 2, 3, true},
		{"up to MaxAttempts", ociclient.Retry{MaxAttempts: 3, Backoff: time.Millisecond}, namespace, 5, 3, false},
		{"disabled", ociclient.Retry{Disabled: true}, namespace, 1, 1, false},
	}
	for _, tt := range tests {
		o := options(t, srv.URL)
		o.Retry = tt.retry
		c, err := ociclient.New(o)
		if err != nil {
			t.Fatal(err)
		}
		srv.requests.Store(0)
		failures.Store(tt.failures)
		err = tt.call(c)
		if diff := cmp.Diff([2]any{tt.ok, tt.requests}, [2]any{err == nil, srv.requests.Load()}); diff != "" {
			t.Errorf("%s: (-want +got) success, requests:\n%s (error %v)", tt.name, diff, err)
		}
	}
}

// The interceptor sees every request before it is sent.
func TestInterceptor(t *testing.T) {
	var got string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query().Get("fields")
		namespaceAnswer(w, r)
	})
	o := options(t, srv.URL)
	o.Interceptor = func(r *http.Request) error {
		q := r.URL.Query()
		q.Set("fields", "name,md5")
		r.URL.RawQuery = q.Encode()
		return nil
	}
	c, err := ociclient.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetNamespace(context.Background(), objectstorage.GetNamespaceRequest{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("name,md5", got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestUnusableOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		o    ociclient.Options
		want error
		says string
	}{
		{"no config file", ociclient.Options{ConfigFile: filepath.Join(dir, "absent")}, ociclient.ErrBadKeyFile, "absent"},
		{"no such profile", func() ociclient.Options { o := options(t, ""); o.Profile = "NOPE"; return o }(), ociclient.ErrBadKeyFile, "NOPE"},
		{"unknown auth", ociclient.Options{Auth: "password"}, nil, `auth "password"`},
	}
	for _, tt := range tests {
		_, err := ociclient.New(tt.o)
		switch {
		case err == nil:
			t.Errorf("%s: New succeeded", tt.name)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		case !strings.Contains(err.Error(), tt.says):
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.says)
		}
	}
}
