package faultproxy_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
)

// received is what the fake upstream saw of one request.
type received struct {
	Method, Host, RequestURI string
	Header                   http.Header
	Body                     []byte
}

// fakeS3 is an upstream that records requests and answers GETs of keys
// with their content (listingXML for listings; a key named "empty" is
// empty, keys under "bin/" are binary).
type fakeS3 struct {
	*httptest.Server
	mu   sync.Mutex
	seen []received
}

const listingXML = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>b</Name><Contents><Key>a</Key><Size>1</Size></Contents><Contents><Key>b</Key><Size>2</Size></Contents></ListBucketResult>`

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream reading the request body: %v", err)
		}
		f.mu.Lock()
		f.seen = append(f.seen, received{r.Method, r.Host, r.RequestURI, r.Header.Clone(), body})
		f.mu.Unlock()
		call := faultproxy.Classify(r)
		var answer []byte
		switch {
		case call.Op == faultproxy.ListObjectsV2:
			answer = []byte(listingXML)
			w.Header().Set("Content-Type", "application/xml")
		case call.Op == faultproxy.PutObject:
			answer = body // echoed, to check both directions
		case call.Key == "empty":
		case strings.HasPrefix(call.Key, "bin/"):
			answer = bytes.Repeat([]byte{0, 1, 2, 3}, 250)
		case call.Key != "":
			answer = []byte("content of " + call.Key)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		w.WriteHeader(http.StatusOK)
		w.Write(answer)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeS3) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.seen...)
}

// newClient is a client of its own, so that connections reused from an
// earlier test do not change what a test sees.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{Proxy: nil, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func do(t *testing.T, c *http.Client, method, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestForwardsRequestsAndAnswersUnchanged(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{})
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, streamed both ways
	target := "/bucket/dir/a%20b%2Bc~%21%27%28%29*.txt?x-id=PutObject&versionId=v%2F1"
	req, err := http.NewRequest(http.MethodPut, p.URL+target, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	signed := http.Header{
		"Authorization":        {"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-odd, Signature=00"},
		"X-Amz-Date":           {"20260101T000000Z"},
		"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"},
		"X-Amz-Meta-Odd":       {"spaced  value"},
		"Content-Type":         {"application/octet-stream"},
		"User-Agent":           {"test-agent"},
	}
	for k, v := range signed {
		req.Header[k] = v
	}
	req.Host = "s3.example.test:9000"
	resp, err := newClient(t).Do(req)
	if err != nil {
		t.Fatalf("PUT through the proxy: %v", err)
	}
	echoed, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if !bytes.Equal(echoed, content) {
		t.Errorf("the answer's body differs from the upstream's: %d bytes, want %d", len(echoed), len(content))
	}

	seen := up.requests()
	if len(seen) != 1 {
		t.Fatalf("upstream saw %d requests, want 1", len(seen))
	}
	got := seen[0]
	if !bytes.Equal(got.Body, content) {
		t.Errorf("upstream got a body of %d bytes that differs from the %d sent", len(got.Body), len(content))
	}
	want := received{Method: "PUT", Host: "s3.example.test:9000", RequestURI: target}
	if diff := cmp.Diff(want, received{Method: got.Method, Host: got.Host, RequestURI: got.RequestURI}); diff != "" {
		t.Errorf("request line (-want +got):\n%s", diff)
	}
	for k, v := range signed {
		if diff := cmp.Diff(v, got.Header[k]); diff != "" {
			t.Errorf("header %s (-want +got):\n%s", k, diff)
		}
	}
	if diff := cmp.Diff(strconv.Itoa(len(content)), got.Header.Get("Content-Length")); diff != "" {
		t.Errorf("Content-Length (-want +got):\n%s", diff)
	}
	for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "Accept-Encoding"} {
		if v, ok := got.Header[k]; ok {
			t.Errorf("the proxy added %s: %q", k, v)
		}
	}
	wantStats := faultproxy.Stats{Requests: map[faultproxy.Op]int{faultproxy.PutObject: 1}, Faults: map[string]int{}}
	if diff := cmp.Diff(wantStats, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// get is one request of a selection scenario.
type get struct{ method, target string }

// faulted sends reqs through a proxy with rules, one after the other, and
// returns the indices of those that got a 503.
func faulted(t *testing.T, opts faultproxy.Options, reqs []get) []int {
	t.Helper()
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, opts)
	c := newClient(t)
	var idx []int
	for i, r := range reqs {
		resp, _, err := do(t, c, r.method, p.URL+r.target)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.target, err)
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			idx = append(idx, i)
		}
	}
	return idx
}

func repeat(n int, g get) []get {
	out := make([]get, n)
	for i := range out {
		out[i] = g
	}
	return out
}

func TestRulesChooseRequests(t *testing.T) {
	slow := faultproxy.SlowDown(0)
	mixed := []get{
		{"GET", "/b1/a/x"},                   // 0 GetObject b1 a/x
		{"HEAD", "/b1/a/x"},                  // 1 HeadObject
		{"GET", "/b1?list-type=2&prefix=a/"}, // 2 ListObjectsV2 prefix a/
		{"GET", "/b1?versions&prefix=c/"},    // 3 ListObjectVersions prefix c/
		{"PUT", "/b2/a/y"},                   // 4 PutObject b2
		{"GET", "/b2/c/z"},                   // 5 GetObject b2 c/z
		{"GET", "/b1/a/w"},                   // 6 GetObject b1 a/w
	}
	tests := []struct {
		name  string
		rules []faultproxy.Rule
		reqs  []get
		want  []int
	}{
		{"no rules fault nothing", nil, mixed, nil},
		{"by operation", []faultproxy.Rule{{Op: faultproxy.GetObject, Fault: slow}}, mixed, []int{0, 5, 6}},
		{"by method", []faultproxy.Rule{{Method: "head", Fault: slow}}, mixed, []int{1}},
		{"by bucket", []faultproxy.Rule{{Bucket: "b2", Fault: slow}}, mixed, []int{4, 5}},
		{"by key prefix, keys and listing prefixes", []faultproxy.Rule{{KeyPrefix: "a/", Fault: slow}}, mixed, []int{0, 1, 2, 4, 6}},
		{"every selector at once", []faultproxy.Rule{{Method: "GET", Op: faultproxy.GetObject, Bucket: "b1", KeyPrefix: "a/", Fault: slow}}, mixed, []int{0, 6}},
		{"by a function", []faultproxy.Rule{{Match: func(c faultproxy.Call) bool { return strings.HasSuffix(c.Key, "z") }, Fault: slow}}, mixed, []int{5}},
		{"the first 3 matching", []faultproxy.Rule{{Op: faultproxy.GetObject, Limit: 3, Fault: slow}}, repeat(6, get{"GET", "/b/k"}), []int{0, 1, 2}},
		{"the 4th matching alone", []faultproxy.Rule{{Op: faultproxy.GetObject, Skip: 3, Limit: 1, Fault: slow}}, repeat(6, get{"GET", "/b/k"}), []int{3}},
		{"from the 3rd on", []faultproxy.Rule{{Skip: 2, Fault: slow}}, repeat(5, get{"GET", "/b/k"}), []int{2, 3, 4}},
		{"only matching requests count towards Skip", []faultproxy.Rule{{Op: faultproxy.GetObject, Skip: 1, Limit: 1, Fault: slow}}, mixed, []int{5}},
		{
			"the first rule that elects a request has it; later rules do not count it",
			[]faultproxy.Rule{
				{Op: faultproxy.GetObject, Limit: 1, Fault: slow},
				{Op: faultproxy.GetObject, Skip: 1, Limit: 1, Fault: slow},
			},
			repeat(4, get{"GET", "/b/k"}),
			[]int{0, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := faulted(t, faultproxy.Options{Rules: tt.rules}, tt.reqs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("faulted requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbabilityIsSeededAndLimited(t *testing.T) {
	reqs := repeat(200, get{"GET", "/b/k"})
	rule := faultproxy.Rule{Probability: 0.25, Fault: faultproxy.SlowDown(0)}
	first := faulted(t, faultproxy.Options{Seed: 7, Rules: []faultproxy.Rule{rule}}, reqs)
	if len(first) < 20 || len(first) > 80 {
		t.Errorf("p=0.25 faulted %d of 200 requests, far from 50", len(first))
	}
	again := faulted(t, faultproxy.Options{Seed: 7, Rules: []faultproxy.Rule{rule}}, reqs)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the same seed chose other requests (-first +again):\n%s", diff)
	}
	other := faulted(t, faultproxy.Options{Seed: 8, Rules: []faultproxy.Rule{rule}}, reqs)
	if cmp.Equal(first, other) {
		t.Errorf("seeds 7 and 8 chose the same requests: %v", first)
	}
	rule.Limit = 5
	limited := faulted(t, faultproxy.Options{Seed: 7, Rules: []faultproxy.Rule{rule}}, reqs)
	if diff := cmp.Diff(first[:5], limited); diff != "" {
		t.Errorf("with at most 5, not the first 5 of the same choices (-want +got):\n%s", diff)
	}
}

func TestInvalidRulesAreRefused(t *testing.T) {
	up := newFakeS3(t)
	for _, r := range []faultproxy.Rule{
		{Probability: 1.5, Fault: faultproxy.Reset()},
		{Limit: -1, Fault: faultproxy.Reset()},
		{Fault: faultproxy.Fault{Kind: "explode"}},
		{Fault: faultproxy.Fault{Kind: faultproxy.KindStatus, Status: 200, Code: "OK"}},
		{Fault: faultproxy.Stall(-time.Second)},
		{Fault: faultproxy.Truncate(-1)},
	} {
		if p, err := faultproxy.New(up.URL, faultproxy.Options{Rules: []faultproxy.Rule{r}}); err == nil {
			p.Close()
			t.Errorf("New accepted the rule %+v", r)
		}
	}
	for _, addr := range []string{"127.0.0.1:9000", "ftp://127.0.0.1", "http://127.0.0.1:9000/prefix"} {
		if p, err := faultproxy.New(addr, faultproxy.Options{}); err == nil {
			p.Close()
			t.Errorf("New accepted the upstream %q", addr)
		}
	}
}

func TestStatusFaultIsAnS3ErrorWithRetryAfter(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{
		{Method: "GET", Fault: faultproxy.TooManyRequests(1500 * time.Millisecond)},
		{Method: "HEAD", Fault: faultproxy.Unavailable(0)},
	}})
	c := newClient(t)
	resp, body, err := do(t, c, "GET", p.URL+"/b/k")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Code, RequestId string
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the error document %q: %v", body, err)
	}
	type answer struct {
		Status     int
		RetryAfter string
		Code       string
	}
	if diff := cmp.Diff(answer{429, "2", "SlowDown"}, answer{resp.StatusCode, resp.Header.Get("Retry-After"), doc.Code}); diff != "" {
		t.Errorf("GET answer (-want +got):\n%s", diff)
	}
	if doc.RequestId == "" || doc.RequestId != resp.Header.Get("X-Amz-Request-Id") {
		t.Errorf("request id %q in the document, %q in the header", doc.RequestId, resp.Header.Get("X-Amz-Request-Id"))
	}
	resp, _, err = do(t, c, "HEAD", p.URL+"/b/k")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(answer{Status: 503}, answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}); diff != "" {
		t.Errorf("HEAD answer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"429-SlowDown": 1, "503-ServiceUnavailable": 1}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
	if n := len(up.requests()); n != 0 {
		t.Errorf("status faults reached the upstream %d times", n)
	}
}

func TestResetFaultResetsTheConnection(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Limit: 1, Fault: faultproxy.Reset()}}})
	c := newClient(t)
	_, _, err := do(t, c, "GET", p.URL+"/b/k")
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v, want a connection reset", err)
	}
	if _, body, err := do(t, c, "GET", p.URL+"/b/k"); err != nil || string(body) != "content of k" {
		t.Errorf("after the one fault: %q, %v; want the content", body, err)
	}
	if diff := cmp.Diff(map[string]int{"reset": 1}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestDropAnswerForwardsThenResets(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Method: "PUT", Fault: faultproxy.DropAnswer()}}})
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/b/k", strings.NewReader("written"))
	_, err := newClient(t).Do(req)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v, want a connection reset", err)
	}
	var bodies []string
	for _, r := range up.requests() {
		bodies = append(bodies, r.Method+" "+string(r.Body))
	}
	if diff := cmp.Diff([]string{"PUT written"}, bodies); diff != "" {
		t.Errorf("requests upstream (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"drop-answer": 1}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestTruncateKeepsContentLengthAndCutsTheBody(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{
		{Bucket: "keep", Fault: faultproxy.Truncate(100)},
		{Bucket: "all", Fault: faultproxy.Truncate(1 << 20)},
		{Bucket: "once", Limit: 1, Fault: faultproxy.Truncate(0)},
	}})
	type got struct {
		ContentLength int64
		Read          int
		UnexpectedEOF bool
	}
	for _, tt := range []struct {
		target string
		want   got
	}{
		{"/keep/bin/k", got{1000, 100, true}},
		{"/all/bin/k", got{1000, 999, true}}, // never the whole body
		{"/keep/empty", got{0, 0, false}},    // nothing to cut: passes, not counted
		{"/once/empty", got{0, 0, false}},    // ... and does not use up the limit
		{"/once/bin/k", got{1000, 0, true}},
		{"/once/bin/k", got{1000, 1000, false}},
	} {
		resp, body, err := do(t, newClient(t), "GET", p.URL+tt.target)
		if resp == nil {
			t.Fatalf("GET %s: %v", tt.target, err)
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("GET %s: %v, want an unexpected EOF", tt.target, err)
		}
		g := got{resp.ContentLength, len(body), errors.Is(err, io.ErrUnexpectedEOF)}
		if diff := cmp.Diff(tt.want, g); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tt.target, diff)
		}
	}
	if diff := cmp.Diff(map[string]int{"truncate": 3}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestMalformedXMLReplacesXMLAnswers(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Limit: 1, Fault: faultproxy.MalformedXML()}}})
	c := newClient(t)
	// Not XML: passes, and the limit is not used up.
	if _, body, err := do(t, c, "GET", p.URL+"/b/k"); err != nil || string(body) != "content of k" {
		t.Errorf("an object through a malformed-XML rule: %q, %v; want it unchanged", body, err)
	}
	resp, body, err := do(t, c, "GET", p.URL+"/b?list-type=2")
	if err != nil {
		t.Fatalf("the malformed listing: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(body)) {
		t.Errorf("status %d, Content-Length %d for %d bytes; want 200 and the body's length", resp.StatusCode, resp.ContentLength, len(body))
	}
	var doc struct{}
	if err := xml.Unmarshal(body, &doc); err == nil {
		t.Errorf("the malformed answer parses as XML: %s", body)
	}
	_, body, err = do(t, c, "GET", p.URL+"/b?list-type=2")
	if err != nil || string(body) != listingXML {
		t.Errorf("after the one fault: %q, %v; want the listing", body, err)
	}
	if diff := cmp.Diff(map[string]int{"malformed-xml": 1}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestStallDelaysThenForwards(t *testing.T) {
	up := newFakeS3(t)
	const d = 200 * time.Millisecond
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Fault: faultproxy.Stall(d)}}})
	start := time.Now()
	_, body, err := do(t, newClient(t), "GET", p.URL+"/b/k")
	if err != nil || string(body) != "content of k" {
		t.Errorf("a stalled GET: %q, %v; want the content", body, err)
	}
	if held := time.Since(start); held < d {
		t.Errorf("the answer came after %s, before the stall of %s ended", held, d)
	}
}

func TestStallHoldsUntilTheClientGivesUp(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Fault: faultproxy.Stall(0)}}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, p.URL+"/b/k", strings.NewReader("a body to drain"))
	_, err := newClient(t).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the client's deadline", err)
	}
	if n := len(up.requests()); n != 0 {
		t.Errorf("a stalled request reached the upstream %d times", n)
	}
	if diff := cmp.Diff(map[string]int{"stall": 1}, p.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestCloseEndsStalls(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Fault: faultproxy.Stall(0)}}})
	errc := make(chan error, 1)
	go func() {
		_, _, err := do(t, newClient(t), "GET", p.URL+"/b/k")
		errc <- err
	}()
	for p.Stats().Faults["stall"] == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	p.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("a request stalled until Close got an answer")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the stalled request")
	}
}

func TestSetRulesReplacesRulesAndKeepsStats(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Limit: 1, Fault: faultproxy.SlowDown(0)}}})
	c := newClient(t)
	status := func() int {
		resp, _, err := do(t, c, "GET", p.URL+"/b/k")
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	got := []int{status(), status()}
	if err := p.SetRules(faultproxy.Rule{Limit: 1, Fault: faultproxy.SlowDown(0)}); err != nil {
		t.Fatal(err)
	}
	got = append(got, status(), status())
	if diff := cmp.Diff([]int{503, 200, 503, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if err := p.SetRules(faultproxy.Rule{Probability: 2, Fault: faultproxy.Reset()}); err == nil {
		t.Error("SetRules accepted a probability of 2")
	}
	want := faultproxy.Stats{Requests: map[faultproxy.Op]int{faultproxy.GetObject: 4}, Faults: map[string]int{"503-SlowDown": 2}}
	if diff := cmp.Diff(want, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("requests GetObject=4; faults 503-SlowDown=2", p.Stats().String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

// TestStatsAreReadableWhileRequestsRun is for the race detector: counts
// are read while requests are counted, and the totals come out exact.
func TestStatsAreReadableWhileRequestsRun(t *testing.T) {
	up := newFakeS3(t)
	p := faultproxy.Start(t, up.URL, faultproxy.Options{Seed: 1, Rules: []faultproxy.Rule{
		{Op: faultproxy.HeadObject, Fault: faultproxy.SlowDown(0)},
		{Op: faultproxy.GetObject, Probability: 0.5, Limit: 10, Fault: faultproxy.Unavailable(0)},
	}})
	const workers, each = 4, 30
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = p.Stats().String()
			}
		}
	}()
	for w := range workers {
		wg.Go(func() {
			c := newClient(t)
			for i := range each {
				method := "GET"
				if i%3 == 0 {
					method = "HEAD"
				}
				if _, _, err := do(t, c, method, p.URL+fmt.Sprintf("/b/w%d-%d", w, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	want := faultproxy.Stats{
		Requests: map[faultproxy.Op]int{faultproxy.HeadObject: workers * each / 3, faultproxy.GetObject: workers * each * 2 / 3},
		Faults:   map[string]int{"503-SlowDown": workers * each / 3, "503-ServiceUnavailable": 10},
	}
	if diff := cmp.Diff(want, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
