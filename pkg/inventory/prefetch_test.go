package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

func pages(n int) func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
	return func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
		for i := range n {
			if !emit([]inventory.Fingerprint{{Key: fmt.Sprintf("k%02d", i)}}) {
				return ctx.Err()
			}
		}
		return nil
	}
}

func TestPrefetchHandsOverEveryPageThenEOF(t *testing.T) {
	fps, err := inventory.Collect(inventory.Prefetch(context.Background(), "listing test", pages(3)))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, fp := range fps {
		keys = append(keys, fp.Key)
	}
	if diff := cmp.Diff([]string{"k00", "k01", "k02"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestPrefetchPassesTheProducersError(t *testing.T) {
	boom := errors.New("throttled for good")
	l := inventory.Prefetch(context.Background(), "listing test", func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
		emit([]inventory.Fingerprint{{Key: "a"}})
		return boom
	})
	defer l.Close()
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // and it sticks
		if _, err := l.NextPage(); !errors.Is(err, boom) {
			t.Errorf("got %v, want the producer's error", err)
		}
	}
}

func TestPrefetchStopsWhenCancelledOrClosed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l := inventory.Prefetch(ctx, "listing test", pages(1000))
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err := l.NextPage()
	if !errors.Is(err, context.Canceled) || err.Error() != "listing test: context canceled" {
		t.Errorf("after cancel: %v, want %q", err, "listing test: context canceled")
	}
	l.Close() // returns only once the producer has stopped

	l = inventory.Prefetch(context.Background(), "", pages(1000))
	l.Close()
	if _, err := l.NextPage(); err == nil || err == io.EOF {
		t.Errorf("a closed listing answered %v", err)
	}
}
