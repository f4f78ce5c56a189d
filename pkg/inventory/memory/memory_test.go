package memory_test

import (
	"testing"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/inventorytest"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

func TestConformance(t *testing.T) {
	inventorytest.Run(t, inventorytest.Harness{
		NewStore: func(t *testing.T, objects []inventorytest.Object, pageSize int) inventory.Store {
			s := memory.New("mem", memory.WithPageSize(pageSize))
			for _, o := range objects {
				s.Put(o.Key, o.Content)
			}
			return s
		},
	})
}
