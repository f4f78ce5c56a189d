package s3_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// Requests in flight at once keep their connections for the next ones: a
// second burst of 64 concurrent HEADs opens no new connection.
func TestConcurrentRequestsReuseConnections(t *testing.T) {
	b := newBucket(t, false)
	for i := range 64 {
		b.put(fmt.Sprintf("k%02d", i), []byte("v"))
	}
	inventorytest.CheckConnectionReuse(t, b.srv.URL, func(endpoint string) inventory.Store {
		cfg := b.config("", 1000)
		cfg.Endpoint = endpoint
		s, err := s3store.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, func(i int) string { return fmt.Sprintf("k%02d", i) })
}
