package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// seen is what the upstream received.
type seen struct {
	Method, Host, Path, Query, Auth, Body string
}

// startProxy starts an upstream that records what it receives and a proxy
// to it with the given delay; it returns the proxy's URL, the upstream's
// URL and the recorded requests.
func startProxy(t *testing.T, delay time.Duration) (proxyURL, upstreamURL string, got func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var reqs []seen
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.Host, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(body)})
		mu.Unlock()
		w.Header().Set("ETag", `"abc"`)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "answer to "+r.URL.Path)
	}))
	t.Cleanup(up.Close)
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	px := httptest.NewServer(newProxy(u, delay, log.New(io.Discard, "", 0)))
	t.Cleanup(px.Close)
	return px.URL, up.URL, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
}

func do(t *testing.T, ctx context.Context, method, u, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestForwardsRequestAndAnswerKeepingTheHostTheClientSigned(t *testing.T) {
	px, up, got := startProxy(t, 0)
	resp, body, err := do(t, t.Context(), http.MethodPut, px+"/bucket/dir/key.bin?x-id=PutObject", "content")
	if err != nil {
		t.Fatal(err)
	}
	proxyHost := strings.TrimPrefix(px, "http://")
	if proxyHost == strings.TrimPrefix(up, "http://") {
		t.Fatal("proxy and upstream share an address; the test would prove nothing")
	}
	want := []seen{{
		Method: http.MethodPut, Host: proxyHost, Path: "/bucket/dir/key.bin", Query: "x-id=PutObject",
		Auth: "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
		Body: "content",
	}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("upstream received (-want +got):\n%s", diff)
	}
	type answer struct {
		Status     int
		ETag, Body string
	}
	if diff := cmp.Diff(answer{http.StatusCreated, `"abc"`, "answer to /bucket/dir/key.bin"}, answer{resp.StatusCode, resp.Header.Get("ETag"), body}); diff != "" {
		t.Errorf("client received (-want +got):\n%s", diff)
	}
}

// medianDuration times n sequential GETs and returns the median.
func medianDuration(t *testing.T, u string, n int) time.Duration {
	t.Helper()
	var ds []time.Duration
	for range n {
		start := time.Now()
		if _, _, err := do(t, t.Context(), http.MethodGet, u, ""); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func TestAddsTheDelayAskedToEachRequest(t *testing.T) {
	const delay = 150 * time.Millisecond
	px, up, _ := startProxy(t, delay)
	direct := medianDuration(t, up+"/bucket/key", 7)
	through := medianDuration(t, px+"/bucket/key", 7)
	added := through - direct
	t.Logf("direct %v, through the proxy %v: added %v (asked %v)", direct, through, added, delay)
	// Never less than asked; the upper bound leaves room for a loaded
	// machine but catches a delay paid twice.
	if added < delay-time.Millisecond || added > 2*delay-10*time.Millisecond {
		t.Errorf("the proxy added %v per request; asked %v", added, delay)
	}
}

func TestDelaysConcurrentRequestsSideBySide(t *testing.T) {
	const delay, n = 150 * time.Millisecond, 20
	px, _, got := startProxy(t, delay)
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		wg.Go(func() {
			if _, _, err := do(t, t.Context(), http.MethodGet, px+"/bucket/key-"+string(rune('a'+i)), ""); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() != 0 || len(got()) != n {
		t.Fatalf("%d requests failed, upstream saw %d of %d", failed.Load(), len(got()), n)
	}
	// One after another they would take n × delay (3 s).
	if elapsed < delay || elapsed > 4*delay {
		t.Errorf("%d concurrent requests took %v; want about one delay (%v)", n, elapsed, delay)
	}
}

func TestARequestAbandonedDuringTheDelayIsNotForwarded(t *testing.T) {
	px, _, got := startProxy(t, time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := do(t, ctx, http.MethodGet, px+"/bucket/key", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got error %v, want the client's deadline", err)
	}
	time.Sleep(1200 * time.Millisecond) // past the delay: had it been forwarded, it would be now
	if diff := cmp.Diff([]seen(nil), got()); diff != "" {
		t.Errorf("upstream received (-want +got):\n%s", diff)
	}
}

func TestCountsRequestsByKindAndServesThemWithoutForwarding(t *testing.T) {
	px, _, got := startProxy(t, 0)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/bucket?list-type=2&prefix=a%2F"},
		{http.MethodGet, "/bucket/"},
		{http.MethodGet, "/bucket/key"},
		{http.MethodHead, "/bucket/key"},
		{http.MethodHead, "/bucket/other"},
		{http.MethodPut, "/bucket/key"},
		{http.MethodDelete, "/bucket/key"},
	} {
		if _, _, err := do(t, t.Context(), r.method, px+r.path, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, body, err := do(t, t.Context(), http.MethodGet, px+StatsPath, "")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	if diff := cmp.Diff(Stats{Requests: 7, List: 2, Get: 1, Head: 2, Put: 1, Other: 1}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if n := len(got()); n != 7 {
		t.Errorf("upstream received %d requests, want 7 (the stats request is the proxy's own)", n)
	}
}
