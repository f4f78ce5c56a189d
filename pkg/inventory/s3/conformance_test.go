package s3_test

import (
	"testing"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
)

// testPrefix is the store prefix of the conformance stores. Objects just
// outside it (decoys) must never be listed.
const testPrefix = "legacy/users/"

var decoys = []string{"legacy/users", "legacy/users0", "legacy/userz/a", "legacy/other", "zzz"}

func TestConformance(t *testing.T) {
	inventorytest.Run(t, inventorytest.Harness{
		NewStore: func(t *testing.T, objects []inventorytest.Object, pageSize int) inventory.Store {
			b := newBucket(t, false)
			for _, k := range decoys {
				b.put(k, []byte("decoy"))
			}
			for _, o := range objects {
				b.put(testPrefix+o.Key, o.Content)
			}
			return b.store(testPrefix, pageSize)
		},
	})
}
