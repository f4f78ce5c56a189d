// Package faultproxy is a loopback HTTP proxy in front of an S3 endpoint
// (moto_server, versitygw, ...) that injects faults into chosen requests,
// for end-to-end and soak tests: throttling answers (429 or 503 SlowDown
// with Retry-After), connection resets (before the request is forwarded,
// or after, dropping the answer), truncated bodies, malformed XML in 200
// answers, and stalls.
//
// Requests it does not fault pass unchanged: the Host header, the path
// and query as the client escaped them, and every other header are
// forwarded as received, so SigV4 signatures made for the proxy's address
// verify upstream, and bodies stream both ways. Clients must address
// buckets path-style (an endpoint given as an IP address implies it).
//
// [Rule]s choose requests by method, S3 operation, bucket, key prefix, the
// Nth matching request, or a probability drawn from seeded random numbers,
// and limit how many faults they inject. [Proxy.Stats] counts requests by
// operation and faults by kind at any time.
//
//	upstream := motoserver.Start(t, motoserver.Options{})
//	p := faultproxy.Start(t, upstream.URL, faultproxy.Options{Rules: []faultproxy.Rule{
//		{Op: faultproxy.GetObject, Limit: 2, Fault: faultproxy.SlowDown(time.Second)},
//	}})
//	// point the S3 client at p.URL
//	t.Log(p.Stats())
package faultproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configure a proxy.
type Options struct {
	// Rules choose the requests to fault; see [Proxy.SetRules].
	Rules []Rule
	// Seed seeds the random numbers of rules with a Probability. Each rule
	// draws from its own sequence, so a rule's choices depend only on the
	// seed, its place in Rules and the order of its matching requests.
	Seed uint64
	// Logger, if set, receives a line for each fault injected (Info) and
	// for each upstream failure (Debug).
	Logger *slog.Logger
}

// Proxy is a running fault-injecting proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	// URL is where the proxy listens: "http://127.0.0.1:PORT".
	URL string

	upstream  *url.URL
	log       *slog.Logger
	seed      uint64
	srv       *http.Server
	rp        *httputil.ReverseProxy
	transport *http.Transport
	served    chan struct{} // closed when Serve has returned
	done      chan struct{} // closed by Close: ends stalls
	closeOnce sync.Once
	reqSeq    atomic.Uint64

	mu       sync.Mutex
	rules    []*ruleState
	requests map[Op]int
	faults   map[string]int
}

// Start starts a proxy to upstream for the test t and closes it when t
// ends; it fails t if the proxy cannot start.
func Start(t testing.TB, upstream string, opts Options) *Proxy {
	t.Helper()
	p, err := New(upstream, opts)
	if err != nil {
		t.Fatalf("starting the fault proxy: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// New starts a proxy to upstream ("http://127.0.0.1:PORT", a URL without
// a path) on a free loopback port. The caller must [Proxy.Close] it.
func New(upstream string, opts Options) (*Proxy, error) {
	up, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("parsing the upstream address %q: %w", upstream, err)
	}
	if (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" || strings.Trim(up.Path, "/") != "" || up.RawQuery != "" {
		return nil, fmt.Errorf("the upstream address %q is not http(s)://host[:port]", upstream)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{
		upstream: up,
		log:      log,
		seed:     opts.Seed,
		served:   make(chan struct{}),
		done:     make(chan struct{}),
		requests: map[Op]int{},
		faults:   map[string]int{},
	}
	if err := p.SetRules(opts.Rules...); err != nil {
		return nil, err
	}
	p.transport = &http.Transport{
		Proxy:               nil, // never an HTTP_PROXY from the environment
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		DisableCompression:  true, // bodies pass as the upstream sent them
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      p.transport,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	p.URL = "http://" + ln.Addr().String()
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(ln) // ends with ErrServerClosed at Close
	}()
	return p, nil
}

// SetRules replaces the proxy's rules; their counts (Skip, Limit) start
// afresh. The counts of [Proxy.Stats] go on.
func (p *Proxy) SetRules(rules ...Rule) error {
	states := make([]*ruleState, len(rules))
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("rule %d: %w", i, err)
		}
		states[i] = &ruleState{Rule: r, rng: rand.New(rand.NewPCG(p.seed, uint64(i)))}
	}
	p.mu.Lock()
	p.rules = states
	p.mu.Unlock()
	return nil
}

// Close stops the proxy: it closes the listener and every connection and
// ends every stall. It is safe to call more than once.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		err = p.srv.Close()
		<-p.served
		p.transport.CloseIdleConnections()
	})
	return err
}

// Stats are the proxy's counts since it started.
type Stats struct {
	// Requests counts the requests received, faulted or not, by operation.
	Requests map[Op]int
	// Faults counts the faults injected by [Fault.Name].
	Faults map[string]int
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Requests: maps.Clone(p.requests), Faults: maps.Clone(p.faults)}
}

// FaultCount is how many faults were injected in all.
func (s Stats) FaultCount() int {
	n := 0
	for _, c := range s.Faults {
		n += c
	}
	return n
}

// String is the counts in one line, in name order, for test output and
// soak summaries: "requests GetObject=3 PutObject=1; faults 503-SlowDown=2".
func (s Stats) String() string {
	var b strings.Builder
	b.WriteString("requests")
	for _, op := range slices.Sorted(maps.Keys(s.Requests)) {
		fmt.Fprintf(&b, " %s=%d", op, s.Requests[op])
	}
	b.WriteString("; faults")
	if len(s.Faults) == 0 {
		b.WriteString(" none")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Faults)) {
		fmt.Fprintf(&b, " %s=%d", name, s.Faults[name])
	}
	return b.String()
}

// pending is a fault decided when the request arrived and applied to the
// upstream's answer (truncation, malformed XML). It travels in the
// request's context.
type pending struct {
	fault Fault
	rule  *ruleState
	call  Call
}

type pendingKey struct{}

// ServeHTTP counts the request, and faults or forwards it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := Classify(r)
	fault, rule, ok := p.choose(call)
	if !ok {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch fault.Kind {
	case KindStatus:
		p.record(fault, call)
		p.writeStatus(w, r, fault)
	case KindReset:
		p.record(fault, call)
		resetConn(w)
	case KindDropAnswer:
		p.record(fault, call)
		p.rp.ServeHTTP(&discardWriter{header: http.Header{}}, r)
		resetConn(w)
	case KindStall:
		p.record(fault, call)
		p.stall(w, r, fault.For)
	case KindTruncate, KindMalformedXML:
		ctx := context.WithValue(r.Context(), pendingKey{}, &pending{fault: fault, rule: rule, call: call})
		if fault.Kind == KindTruncate {
			w = flushingWriter{w}
		}
		p.rp.ServeHTTP(w, r.WithContext(ctx))
	}
}

// flushingWriter sends what is written at once, so that everything before
// a truncation reaches the client before the proxy aborts the answer.
type flushingWriter struct{ http.ResponseWriter }

func (f flushingWriter) WriteHeader(code int) {
	f.ResponseWriter.WriteHeader(code)
	http.NewResponseController(f.ResponseWriter).Flush()
}

func (f flushingWriter) Write(b []byte) (int, error) {
	n, err := f.ResponseWriter.Write(b)
	if err == nil {
		err = http.NewResponseController(f.ResponseWriter).Flush()
	}
	return n, err
}

func (f flushingWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// choose counts the request and returns the fault of the first rule that
// elects to fault it.
func (p *Proxy) choose(c Call) (Fault, *ruleState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[c.Op]++
	for _, s := range p.rules {
		if s.choose(c) {
			return s.Fault, s, true
		}
	}
	return Fault{}, nil, false
}

// record counts a fault injected.
func (p *Proxy) record(f Fault, c Call) {
	p.mu.Lock()
	p.faults[f.Name()]++
	p.mu.Unlock()
	p.log.Info("fault injected", "fault", f.Name(), "op", c.Op, "bucket", c.Bucket, "key", c.Key)
}

// release gives back a fault its rule reserved but that could not be
// applied to the answer.
func (p *Proxy) release(s *ruleState) {
	p.mu.Lock()
	s.faulted--
	p.mu.Unlock()
}

// rewrite sends the request upstream as it came: same Host header, same
// escaped path and query, same headers (but hop-by-hop ones, which
// ReverseProxy drops and SigV4 does not sign).
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.URL.Scheme = p.upstream.Scheme
	pr.Out.URL.Host = p.upstream.Host
	pr.Out.Host = pr.In.Host
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client is gone
	}
	p.log.Debug("upstream failed", "method", r.Method, "url", r.URL.String(), "err", err)
	w.WriteHeader(http.StatusBadGateway)
}

// writeStatus answers with an S3 error document.
func (p *Proxy) writeStatus(w http.ResponseWriter, r *http.Request, f Fault) {
	id := "faultproxy-" + strconv.FormatUint(p.reqSeq.Add(1), 10)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", id)
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>Injected by faultproxy.</Message><Resource>%s</Resource><RequestId>%s</RequestId></Error>",
		f.Code, xmlEscape(r.URL.Path), id)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // fails only when the writer does
	return b.String()
}

// discardWriter takes an answer and drops it.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header       { return d.header }
func (*discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (*discardWriter) WriteHeader(int)             {}

// resetConn closes the client's connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection, without a reset
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// stall holds the request for d, then forwards it; for d == 0 it reads the
// request's body (so that the server notices a client that hangs up) and
// holds it until the client gives up. A client that gives up, or a proxy
// that closes, ends the request without an answer.
func (p *Proxy) stall(w http.ResponseWriter, r *http.Request, d time.Duration) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	} else {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	select {
	case <-timeout:
		p.rp.ServeHTTP(w, r)
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-p.done:
		panic(http.ErrAbortHandler)
	}
}

// errTruncated ends a truncated body.
var errTruncated = errors.New("body truncated by faultproxy")

// maxXML bounds the answers MalformedXML reads whole.
const maxXML = 64 << 20

// modifyResponse applies a truncation or malformed XML chosen for the
// request to its answer.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	pd, _ := resp.Request.Context().Value(pendingKey{}).(*pending)
	if pd == nil {
		return nil
	}
	var applied bool
	switch pd.fault.Kind {
	case KindTruncate:
		applied = truncate(resp, pd.fault.Keep)
	case KindMalformedXML:
		var err error
		applied, err = malform(resp)
		if err != nil {
			p.release(pd.rule)
			return err
		}
	}
	if applied {
		p.record(pd.fault, pd.call)
	} else {
		p.release(pd.rule)
	}
	return nil
}

// truncate cuts resp's body after keep bytes (at most all but one of its
// Content-Length); the read error that ends it makes ReverseProxy abort
// the answer, which closes the connection.
func truncate(resp *http.Response, keep int64) bool {
	if resp.Request.Method == http.MethodHead || resp.ContentLength == 0 {
		return false
	}
	if resp.ContentLength > 0 {
		keep = min(keep, resp.ContentLength-1)
	}
	resp.Body = &cutReader{ReadCloser: resp.Body, left: keep}
	return true
}

// cutReader reads at most left bytes, then fails; it fails at the end of
// a shorter body too, so that an answer of unknown length is never
// complete.
type cutReader struct {
	io.ReadCloser
	left int64
}

func (c *cutReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTruncated
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.ReadCloser.Read(b)
	c.left -= int64(n)
	if err == io.EOF {
		err = errTruncated
	}
	return n, err
}

// malform replaces a 200 XML answer with its first half and a stray end
// tag, which no XML parser accepts.
func malform(resp *http.Response) (bool, error) {
	if resp.Request.Method == http.MethodHead || resp.StatusCode != http.StatusOK {
		return false, nil
	}
	br := bufio.NewReader(resp.Body)
	head, _ := br.Peek(512)
	if !bytes.HasPrefix(bytes.TrimSpace(head), []byte("<")) {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{br, resp.Body}
		return false, nil
	}
	body, err := io.ReadAll(io.LimitReader(br, maxXML))
	resp.Body.Close()
	if err != nil {
		return false, fmt.Errorf("reading the answer to malform: %w", err)
	}
	bad := append(body[:len(body)/2:len(body)/2], "</faultproxy-malformed>"...)
	resp.Body = io.NopCloser(bytes.NewReader(bad))
	resp.ContentLength = int64(len(bad))
	resp.Header.Set("Content-Length", strconv.Itoa(len(bad)))
	resp.Header.Del("Content-Md5")
	return true, nil
}
