package storage_test

import (
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/storage"
)

// FuzzDecodeLease feeds the lease record decoder what another writer (or
// a stranger with access to the state location) could leave there: it
// never panics, and what it accepts is a lease record whose holding can
// be judged.
func FuzzDecodeLease(f *testing.F) {
	f.Add([]byte(`{"schema":"parityproof.lease/v1","token":"ab","holder":"parityproof (pid 1 on h)","acquired_at":"2026-11-28T22:00:00Z","renewed_at":"2026-11-28T22:00:00Z","expires_at":"2026-11-28T22:02:00Z"}`))
	f.Add([]byte(`{"schema":"parityproof.lease/v1","token":"","holder":"","acquired_at":"0001-01-01T00:00:00Z","renewed_at":"0001-01-01T00:00:00Z","expires_at":"0001-01-01T00:00:00Z","released_at":"2026-11-28T22:00:00Z"}`))
	f.Add([]byte(`{"schema":"other"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := storage.DecodeLease(data)
		if err != nil {
			return
		}
		if rec.Schema != storage.LeaseSchema {
			t.Fatalf("accepted schema %q", rec.Schema)
		}
		if rec.Token == "" && rec.Held(time.Now()) {
			t.Fatal("a released lease is held")
		}
	})
}
