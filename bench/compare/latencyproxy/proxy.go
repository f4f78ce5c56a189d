package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// StatsPath is where the proxy answers with its request counts instead of
// forwarding. S3 bucket names cannot begin with a dot, so no S3 request
// uses it.
const StatsPath = "/.latencyproxy/stats"

// Stats counts the requests forwarded, by kind of S3 request.
type Stats struct {
	Requests int64 `json:"requests"`
	// List counts GETs of a bucket (ListObjects, ListObjectsV2,
	// ListMultipartUploads, ...): a path with no key.
	List int64 `json:"list"`
	// Get counts GETs of an object, Head HEADs of anything, Put PUTs.
	Get   int64 `json:"get"`
	Head  int64 `json:"head"`
	Put   int64 `json:"put"`
	Other int64 `json:"other"`
}

// proxy forwards every request to one upstream after a fixed delay,
// keeping the Host header the client sent, so that a signature computed
// for the proxy's address (AWS SigV4 signs the host) still verifies at the
// upstream.
type proxy struct {
	delay time.Duration
	rp    *httputil.ReverseProxy

	requests, list, get, head, put, other atomic.Int64
}

// newProxy returns a proxy to upstream (scheme and host; any path is
// ignored) that holds each request for delay before forwarding it.
func newProxy(upstream *url.URL, delay time.Duration, errorLog *log.Logger) *proxy {
	target := &url.URL{Scheme: upstream.Scheme, Host: upstream.Host}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil                // loopback, never through HTTP_PROXY
	tr.DisableCompression = true  // pass bodies through as the upstream sent them
	tr.MaxIdleConns = 1024        // one kept-alive upstream connection per client connection,
	tr.MaxIdleConnsPerHost = 1024 // so a busy client does not exhaust loopback ports
	p := &proxy{delay: delay}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // SetURL replaced it; the signature covers it
		},
		Transport: tr,
		ErrorLog:  errorLog,
	}
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(p.stats()); err != nil {
			http.Error(w, fmt.Sprintf("encoding stats: %v", err), http.StatusInternalServerError)
		}
		return
	}
	p.count(r)
	if p.delay > 0 {
		t := time.NewTimer(p.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the client gave up; nothing to answer
		}
	}
	p.rp.ServeHTTP(w, r)
}

func (p *proxy) count(r *http.Request) {
	p.requests.Add(1)
	switch r.Method {
	case http.MethodHead:
		p.head.Add(1)
	case http.MethodPut:
		p.put.Add(1)
	case http.MethodGet:
		// Path style: /bucket or /bucket/ lists, /bucket/key reads.
		path := strings.TrimPrefix(r.URL.Path, "/")
		if _, key, _ := strings.Cut(path, "/"); key == "" {
			p.list.Add(1)
		} else {
			p.get.Add(1)
		}
	default:
		p.other.Add(1)
	}
}

func (p *proxy) stats() Stats {
	return Stats{
		Requests: p.requests.Load(),
		List:     p.list.Load(),
		Get:      p.get.Load(),
		Head:     p.head.Load(),
		Put:      p.put.Load(),
		Other:    p.other.Load(),
	}
}
