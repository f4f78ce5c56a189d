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
// that holds every HEAD until all 64 of its burst have arrived (so that a
// burst has 64 in flight however slow the machine; at most 5 s) in front
// of endpoint, opens a store through it with open, sends two bursts of 64
// concurrent HEADs of keys(i), and fails t if the second burst opened more
// than 4 new connections.
func CheckConnectionReuse(t *testing.T, endpoint string, open func(endpoint string) inventory.Store, key func(i int) string) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var opened atomic.Int64
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{}) // all is closed when a burst's n HEADs are in
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			mu.Lock()
			arrived++
			in := all
			if arrived == n {
				close(all)
			}
			mu.Unlock()
			select {
			case <-in:
			case <-time.After(5 * time.Second):
			}
		}
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
		mu.Lock()
		arrived, all = 0, make(chan struct{})
		mu.Unlock()
		var wg sync.WaitGroup
		for i := range n {
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
