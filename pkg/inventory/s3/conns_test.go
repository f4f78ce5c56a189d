package s3_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// Requests in flight at once keep their connections for the next ones: a
// second burst of 64 concurrent HEADs opens no new connection.
func TestConcurrentRequestsReuseConnections(t *testing.T) {
	b := newBucket(t, false)
	for i := range 64 {
		b.put(fmt.Sprintf("k%02d", i), []byte("v"))
	}
	u, err := url.Parse(b.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // so that the burst overlaps
		proxy.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := b.config("", 1000)
	cfg.Endpoint = srv.URL
	s, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	burst := func() {
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				if _, err := s.Head(context.Background(), fmt.Sprintf("k%02d", i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	burst()
	first := opened.Load()
	burst()
	if again := opened.Load() - first; again > 4 {
		t.Errorf("the second burst of 64 HEADs opened %d new connections (the first %d): idle ones were not kept", again, first)
	}
}
