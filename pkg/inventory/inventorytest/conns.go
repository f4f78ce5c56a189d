package inventorytest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// CheckConnectionReuse tells whether a backend keeps the connections that
// requests in flight at once opened, for the next ones. It puts a proxy
// that holds every request 20 ms (so that a burst overlaps) in front of
// endpoint, opens a store through it with open, sends two bursts of 64
// concurrent HEADs of keys(i), and fails t if the second burst opened more
// than 4 new connections.
func CheckConnectionReuse(t *testing.T, endpoint string, open func(endpoint string) inventory.Store, key func(i int) string) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		proxy.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s := open(srv.URL)
	burst := func() {
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				if _, err := s.Head(context.Background(), key(i)); err != nil {
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
