package faultproxy_test

// The faults as the unmodified AWS SDK for Go v2 sees them, through the
// proxy to moto_server.

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
)

// moto is the moto_server the SDK tests share; each test works in a bucket
// of its own.
var moto motoserver.Shared

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// attempts is how many times the test clients try a request.
const attempts = 3

// sdkClient is an S3 client for endpoint with the SDK's standard retryer,
// 3 attempts, without backoff waits or a retry quota (so that tests run
// fast and independently).
func sdkClient(endpoint string, creds aws.CredentialsProvider) *s3.Client {
	return s3.New(s3.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  creds,
		HTTPClient:   awshttp.NewBuildableClient(),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}

var motoCreds = credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, "")

// fixture is a bucket in the shared moto_server, seeded directly, and a
// proxy in front of moto.
type fixture struct {
	bucket string
	direct *s3.Client // to moto, for seeding and checking
	client *s3.Client // through the proxy
	proxy  *faultproxy.Proxy
}

// newFixture creates a bucket holding objects and starts a proxy with
// rules.
func newFixture(t *testing.T, objects map[string][]byte, rules ...faultproxy.Rule) *fixture {
	t.Helper()
	srv := moto.Get(t)
	sum := sha1.Sum([]byte(t.Name()))
	f := &fixture{
		bucket: srv.BucketName("fp-" + hex.EncodeToString(sum[:6])),
		direct: sdkClient(srv.URL, motoCreds),
	}
	ctx := context.Background()
	if _, err := f.direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &f.bucket}); err != nil {
		t.Fatalf("creating bucket %s: %v", f.bucket, err)
	}
	for k, v := range objects {
		if _, err := f.direct.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: aws.String(k), Body: bytes.NewReader(v)}); err != nil {
			t.Fatalf("putting %q: %v", k, err)
		}
	}
	f.proxy = faultproxy.Start(t, srv.URL, faultproxy.Options{Rules: rules})
	f.client = sdkClient(f.proxy.URL, motoCreds)
	return f
}

func (f *fixture) get(ctx context.Context, key string) ([]byte, error) {
	out, err := f.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &f.bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (f *fixture) list(ctx context.Context) error {
	_, err := f.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &f.bucket})
	return err
}

// apiError is what a test checks of an SDK error: the S3 error code and
// HTTP status, if any, and whether it is a connection reset, the
// deadline, an unexpected EOF or a failure to decode the answer.
type apiError struct {
	Code          string
	Status        int
	Reset         bool
	Deadline      bool
	UnexpectedEOF bool
	Decoding      bool
}

func classifyErr(err error) *apiError {
	if err == nil {
		return nil
	}
	var e apiError
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	var de *smithy.DeserializationError
	e.Decoding = errors.As(err, &de)
	e.Reset = errors.Is(err, syscall.ECONNRESET)
	e.Deadline = errors.Is(err, context.DeadlineExceeded)
	e.UnexpectedEOF = errors.Is(err, io.ErrUnexpectedEOF)
	return &e
}

func TestSDKThrottlingIsRetriedUntilAttemptsRunOut(t *testing.T) {
	tests := []struct {
		name     string
		fault    faultproxy.Fault
		limit    int
		wantErr  *apiError
		wantSeen int // GetObjects the proxy received
	}{
		{"two 503 SlowDown, then the object", faultproxy.SlowDown(time.Second), attempts - 1, nil, attempts},
		{"two 429 SlowDown, then the object", faultproxy.TooManyRequests(time.Second), attempts - 1, nil, attempts},
		{"two 503 ServiceUnavailable, then the object", faultproxy.Unavailable(time.Second), attempts - 1, nil, attempts},
		{"503 SlowDown on every attempt", faultproxy.SlowDown(time.Second), 0, &apiError{Code: "SlowDown", Status: 503}, attempts},
		{"429 SlowDown on every attempt", faultproxy.TooManyRequests(time.Second), 0, &apiError{Code: "SlowDown", Status: 429}, attempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, map[string][]byte{"k": []byte("content")},
				faultproxy.Rule{Op: faultproxy.GetObject, Limit: tt.limit, Fault: tt.fault})
			got, err := f.get(context.Background(), "k")
			if diff := cmp.Diff(tt.wantErr, classifyErr(err)); diff != "" {
				t.Errorf("GetObject error %v (-want +got):\n%s", err, diff)
			}
			if err == nil && string(got) != "content" {
				t.Errorf("GetObject read %q, want %q", got, "content")
			}
			faults := tt.limit
			if faults == 0 {
				faults = attempts
			}
			want := faultproxy.Stats{
				Requests: map[faultproxy.Op]int{faultproxy.GetObject: tt.wantSeen},
				Faults:   map[string]int{tt.fault.Name(): faults},
			}
			if diff := cmp.Diff(want, f.proxy.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSDKConnectionResetIsRetried(t *testing.T) {
	ctx := context.Background()
	t.Run("a reset GetObject is retried", func(t *testing.T) {
		f := newFixture(t, map[string][]byte{"k": []byte("content")},
			faultproxy.Rule{Op: faultproxy.GetObject, Limit: 1, Fault: faultproxy.Reset()})
		got, err := f.get(ctx, "k")
		if err != nil || string(got) != "content" {
			t.Errorf("GetObject: %q, %v; want the content after a retry", got, err)
		}
		if diff := cmp.Diff(map[string]int{"reset": 1}, f.proxy.Stats().Faults); diff != "" {
			t.Errorf("faults (-want +got):\n%s", diff)
		}
	})
	t.Run("a reset PutObject is retried and stored once, whole", func(t *testing.T) {
		f := newFixture(t, nil, faultproxy.Rule{Op: faultproxy.PutObject, Limit: 1, Fault: faultproxy.Reset()})
		content := bytes.Repeat([]byte("x"), 1<<20)
		if _, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: aws.String("k"), Body: bytes.NewReader(content)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		out, err := f.direct.GetObject(ctx, &s3.GetObjectInput{Bucket: &f.bucket, Key: aws.String("k")})
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		defer out.Body.Close()
		got, err := io.ReadAll(out.Body)
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("stored %d bytes (%v), want the %d sent", len(got), err, len(content))
		}
		if diff := cmp.Diff(map[string]int{"reset": 1}, f.proxy.Stats().Faults); diff != "" {
			t.Errorf("faults (-want +got):\n%s", diff)
		}
	})
	t.Run("resets on every attempt end in a reset error", func(t *testing.T) {
		f := newFixture(t, map[string][]byte{"k": []byte("content")},
			faultproxy.Rule{Op: faultproxy.HeadObject, Fault: faultproxy.Reset()})
		_, err := f.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &f.bucket, Key: aws.String("k")})
		if diff := cmp.Diff(&apiError{Reset: true}, classifyErr(err)); diff != "" {
			t.Errorf("HeadObject error %v (-want +got):\n%s", err, diff)
		}
		// The SDK tries 3 times; Go's transport may itself retry an
		// idempotent request once on a reused connection.
		if n := f.proxy.Stats().Faults["reset"]; n < attempts {
			t.Errorf("%d resets, want at least one per attempt (%d)", n, attempts)
		}
	})
}

// TestSDKDroppedAnswerHidesAWrite shows the hazard DropAnswer exists for: a
// conditional PutObject takes effect, its answer is lost, and the SDK's
// retry is refused because the first attempt created the object.
func TestSDKDroppedAnswerHidesAWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, faultproxy.Rule{Op: faultproxy.PutObject, Limit: 1, Fault: faultproxy.DropAnswer()})
	_, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: aws.String("lease"),
		Body: strings.NewReader("holder-1"), IfNoneMatch: aws.String("*")})
	if diff := cmp.Diff(&apiError{Status: 412, Code: "PreconditionFailed"}, classifyErr(err)); diff != "" {
		t.Errorf("conditional PutObject whose answer was dropped: %v (-want +got):\n%s", err, diff)
	}
	out, err := f.direct.GetObject(ctx, &s3.GetObjectInput{Bucket: &f.bucket, Key: aws.String("lease")})
	if err != nil {
		t.Fatalf("the object the first attempt wrote: %v", err)
	}
	defer out.Body.Close()
	if got, _ := io.ReadAll(out.Body); string(got) != "holder-1" {
		t.Errorf("stored %q, want %q", got, "holder-1")
	}
	want := faultproxy.Stats{Requests: map[faultproxy.Op]int{faultproxy.PutObject: 2}, Faults: map[string]int{"drop-answer": 1}}
	if diff := cmp.Diff(want, f.proxy.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestSDKTruncatedBodyIsDetected(t *testing.T) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789"), 100_000)
	t.Run("an object body cut short fails to read, with its full Content-Length", func(t *testing.T) {
		f := newFixture(t, map[string][]byte{"k": content},
			faultproxy.Rule{Op: faultproxy.GetObject, Limit: 1, Fault: faultproxy.Truncate(4096)})
		out, err := f.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &f.bucket, Key: aws.String("k")})
		if err != nil {
			t.Fatalf("GetObject: %v (the headers arrive whole)", err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		type read struct {
			ContentLength int64
			Read          int
			Err           *apiError
		}
		want := read{int64(len(content)), 4096, &apiError{UnexpectedEOF: true}}
		if diff := cmp.Diff(want, read{aws.ToInt64(out.ContentLength), len(got), classifyErr(err)}); diff != "" {
			t.Errorf("reading the body (%v) (-want +got):\n%s", err, diff)
		}
		// The fault was used up: the next read is whole.
		if got, err := f.get(ctx, "k"); err != nil || !bytes.Equal(got, content) {
			t.Errorf("the next GetObject: %d bytes, %v; want all %d", len(got), err, len(content))
		}
	})
	t.Run("one listing cut short fails the call: the SDK does not retry a 200 it cannot read", func(t *testing.T) {
		f := newFixture(t, map[string][]byte{"a": nil, "b": nil},
			faultproxy.Rule{Op: faultproxy.ListObjectsV2, Limit: 1, Fault: faultproxy.Truncate(100)})
		err := f.list(ctx)
		if diff := cmp.Diff(&apiError{Status: 200, UnexpectedEOF: true}, classifyErr(err)); diff != "" {
			t.Errorf("ListObjectsV2 error %v (-want +got):\n%s", err, diff)
		}
		want := faultproxy.Stats{Requests: map[faultproxy.Op]int{faultproxy.ListObjectsV2: 1}, Faults: map[string]int{"truncate": 1}}
		if diff := cmp.Diff(want, f.proxy.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if err := f.list(ctx); err != nil {
			t.Errorf("the next ListObjectsV2: %v", err)
		}
	})
}

func TestSDKMalformedXMLIsAnError(t *testing.T) {
	ctx := context.Background()
	for _, op := range []faultproxy.Op{faultproxy.ListObjectsV2, faultproxy.ListObjectVersions} {
		t.Run(string(op), func(t *testing.T) {
			f := newFixture(t, map[string][]byte{"a": []byte("1"), "b": []byte("2")},
				faultproxy.Rule{Op: op, Limit: 1, Fault: faultproxy.MalformedXML()})
			var err error
			if op == faultproxy.ListObjectsV2 {
				err = f.list(ctx)
			} else {
				_, err = f.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &f.bucket})
			}
			// One malformed answer is enough: the SDK does not retry a
			// 200 it cannot decode.
			if diff := cmp.Diff(&apiError{Status: 200, Decoding: true}, classifyErr(err)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", err, diff)
			}
			want := faultproxy.Stats{Requests: map[faultproxy.Op]int{op: 1}, Faults: map[string]int{"malformed-xml": 1}}
			if diff := cmp.Diff(want, f.proxy.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSDKStallEndsAtTheClientsDeadline(t *testing.T) {
	f := newFixture(t, map[string][]byte{"k": []byte("content")},
		faultproxy.Rule{Op: faultproxy.HeadObject, Limit: 1, Fault: faultproxy.Stall(0)},
		faultproxy.Rule{Op: faultproxy.PutObject, Limit: 1, Fault: faultproxy.Stall(0)},
		faultproxy.Rule{Op: faultproxy.GetObject, Limit: 1, Fault: faultproxy.Stall(100 * time.Millisecond)},
	)
	head := func(ctx context.Context) error {
		_, err := f.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &f.bucket, Key: aws.String("k")})
		return err
	}
	put := func(ctx context.Context) error {
		_, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: aws.String("p"), Body: bytes.NewReader([]byte("body"))})
		return err
	}
	for name, call := range map[string]func(context.Context) error{"HeadObject": head, "PutObject": put} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := call(ctx)
		cancel()
		if diff := cmp.Diff(&apiError{Deadline: true}, classifyErr(err)); diff != "" {
			t.Errorf("%s held until the deadline: error %v (-want +got):\n%s", name, err, diff)
		}
		// The stall was used up: the request goes through now.
		if err := call(context.Background()); err != nil {
			t.Errorf("%s after the stall: %v", name, err)
		}
	}
	if got, err := f.get(context.Background(), "k"); err != nil || string(got) != "content" {
		t.Errorf("a GetObject stalled 100ms: %q, %v; want the content", got, err)
	}
	if diff := cmp.Diff(map[string]int{"stall": 3}, f.proxy.Stats().Faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

// TestSDKSignaturesVerifyThroughTheProxy runs a moto_server of its own that
// checks every request's signature: operations through the proxy succeed,
// while a proxy that rewrites the Host header (as httputil.ProxyRequest's
// SetURL does) makes moto refuse them. (moto's check refuses keys and
// prefixes with characters that need escaping, but for spaces, even sent
// to it directly; TestSDKRequestsReachTheUpstreamAsSigned covers those.)
func TestSDKSignaturesVerifyThroughTheProxy(t *testing.T) {
	srv := motoserver.Start(t, motoserver.Options{})
	ctx := context.Background()
	creds := iamUser(t, srv)
	if err := srv.EnableAuth(ctx, 0); err != nil {
		t.Fatal(err)
	}
	p := faultproxy.Start(t, srv.URL, faultproxy.Options{})
	c := sdkClient(p.URL, creds)
	bucket := aws.String("signed")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatalf("CreateBucket through the proxy: %v", err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning through the proxy: %v", err)
	}
	objects := map[string][]byte{
		"plain":                   []byte("plain"),
		"dir/with spaces.txt":     []byte("spaces"),
		"tilde~dash-dot.under_":   []byte("unreserved"),
		"double//slash/":          []byte("slashes"),
		"big/five-mebibytes.bin":  bytes.Repeat([]byte("streamed "), 5<<20/9),
		"meta/with-metadata.json": []byte(`{"k":"v"}`),
	}
	for k, v := range objects {
		in := &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: bytes.NewReader(v)}
		if k == "meta/with-metadata.json" {
			in.Metadata = map[string]string{"owner": "a  b", "note": "x"}
			in.ContentType = aws.String("application/json")
		}
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("PutObject %q through the proxy: %v", k, err)
		}
	}
	for k, v := range objects {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
		if err != nil {
			t.Fatalf("GetObject %q through the proxy: %v", k, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("GetObject %q: %d bytes (%v), want the %d put", k, len(got), err, len(v))
		}
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String(k)}); err != nil {
			t.Errorf("HeadObject %q through the proxy: %v", k, err)
		}
	}
	var listed int
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, MaxKeys: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 through the proxy: %v", err)
		}
		listed += len(page.Contents)
	}
	if listed != len(objects) {
		t.Errorf("listed %d keys, want %d", listed, len(objects))
	}
	versions, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: aws.String("big")})
	if err != nil {
		t.Fatalf("ListObjectVersions through the proxy: %v", err)
	}
	if len(versions.Versions) != 1 {
		t.Errorf("ListObjectVersions with a prefix: %d versions, want 1", len(versions.Versions))
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("plain")}); err != nil {
		t.Errorf("DeleteObject through the proxy: %v", err)
	}
	st := p.Stats()
	want := map[faultproxy.Op]int{
		faultproxy.CreateBucket: 1, faultproxy.PutBucketVersioning: 1,
		faultproxy.PutObject: len(objects), faultproxy.GetObject: len(objects), faultproxy.HeadObject: len(objects),
		faultproxy.ListObjectsV2: (len(objects) + 1) / 2, faultproxy.ListObjectVersions: 1, faultproxy.DeleteObject: 1,
	}
	if diff := cmp.Diff(want, st.Requests); diff != "" {
		t.Errorf("requests by operation (-want +got):\n%s", diff)
	}

	// The control: signed for the proxy's address, delivered with moto's.
	up, _ := url.Parse(srv.URL)
	rewriting := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(up) }})
	defer rewriting.Close()
	_, err = sdkClient(rewriting.URL, creds).GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/with spaces.txt")})
	if diff := cmp.Diff(&apiError{Status: 403, Code: "SignatureDoesNotMatch"}, classifyErr(err)); diff != "" {
		t.Errorf("GetObject through a Host-rewriting proxy: %v (-want +got):\n%s", err, diff)
	}
}

// sent records the requests an SDK client sends, as it sends them.
type sent struct {
	mu   sync.Mutex
	reqs []wireRequest
	next s3.HTTPClient
}

// wireRequest is what a signature covers of a request, as on the wire.
type wireRequest struct {
	Method, Host, RequestURI string
	Signed                   map[string][]string // the headers named by SignedHeaders
}

func (s *sent) Do(r *http.Request) (*http.Response, error) {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	s.add(r, host, r.URL.RequestURI())
	return s.next.Do(r)
}

// add records r, which a client sends to host with uri or a server
// received.
func (s *sent) add(r *http.Request, host, uri string) {
	w := wireRequest{Method: r.Method, Host: host, RequestURI: uri, Signed: map[string][]string{}}
	_, list, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	list, _, _ = strings.Cut(list, ",")
	for _, name := range strings.Split(list, ";") {
		switch name {
		case "host":
		case "content-length": // a field of the request, not a header, in a client
			w.Signed[name] = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			w.Signed[name] = r.Header.Values(name)
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, w)
	s.mu.Unlock()
}

func (s *sent) all() []wireRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// TestSDKRequestsReachTheUpstreamAsSigned compares what the SDK sends,
// keys with every kind of character included, with what arrives at a tap
// between the proxy and moto: the request line, the Host header and every
// signed header are the same, so any server can verify the signature.
func TestSDKRequestsReachTheUpstreamAsSigned(t *testing.T) {
	srv := moto.Get(t)
	ctx := context.Background()
	up, _ := url.Parse(srv.URL)
	var arrived sent
	tap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.add(r, r.Host, r.RequestURI)
		httputil.NewSingleHostReverseProxy(up).ServeHTTP(w, r)
	}))
	defer tap.Close()
	p := faultproxy.Start(t, tap.URL, faultproxy.Options{})
	client := &sent{next: awshttp.NewBuildableClient()}
	c := s3.New(s3.Options{
		Region: motoserver.Region, BaseEndpoint: aws.String(p.URL), UsePathStyle: true,
		Credentials: motoCreds, HTTPClient: client,
	})
	bucket := aws.String(srv.BucketName("fp-signed"))
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	keys := []string{"a b+c~!'()*$&=;:@,?#[]", "ünï/cødé €.txt", "percent%2Fliteral%20", "double//slash/", "tab\tand\\back", "<xml>&amp;"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(k),
			Metadata: map[string]string{"spaced": "a  b  c"}}); err != nil {
			t.Fatalf("PutObject %q: %v", k, err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k), VersionId: aws.String("null")})
		if err != nil {
			t.Fatalf("GetObject %q: %v", k, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || string(got) != k {
			t.Errorf("GetObject %q: %q, %v", k, got, err)
		}
		if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(k), StartAfter: aws.String(k[:1])}); err != nil {
			t.Errorf("ListObjectsV2 with prefix %q: %v", k, err)
		}
	}
	if diff := cmp.Diff(client.all(), arrived.all()); diff != "" {
		t.Errorf("requests arrived upstream otherwise than signed (-sent +arrived):\n%s", diff)
	}
	if n := len(arrived.all()); n != 1+3*len(keys) {
		t.Errorf("%d requests arrived, want %d", n, 1+3*len(keys))
	}
}

// iamUser creates an IAM user allowed every S3 action and returns its
// credentials.
func iamUser(t *testing.T, srv *motoserver.Server) aws.CredentialsProvider {
	t.Helper()
	ctx := context.Background()
	c := iam.New(iam.Options{Region: motoserver.Region, BaseEndpoint: aws.String(srv.URL), Credentials: motoCreds})
	user := aws.String("through-proxy")
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: user}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("s3"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	return credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
}
