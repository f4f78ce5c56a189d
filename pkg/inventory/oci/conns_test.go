package oci_test

import (
	"testing"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// Requests in flight at once keep their connections for the next ones: a
// second burst of 64 concurrent HEADs opens no new connection.
func TestConcurrentRequestsReuseConnections(t *testing.T) {
	f := newFixture(t, false)
	for i := range 64 {
		f.put(t, prefix+"k"+itoa(i), []byte("v"), nil)
	}
	inventorytest.CheckConnectionReuse(t, f.cfg.Endpoint, func(endpoint string) inventory.Store {
		return f.store(t, func(c *oci.Config) { c.Endpoint = endpoint })
	}, func(i int) string { return "k" + itoa(i) })
}
