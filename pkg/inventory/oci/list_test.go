package oci_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// waitFor polls until cond holds, failing after many tries. It waits on
// the server, never asserts a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 10000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func numberedFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t, false)
	for i := range n {
		f.put(t, prefix+fmt.Sprintf("k%02d", i), []byte{byte(i)}, nil)
	}
	return f
}

func TestListingPrefetchesTheNextPage(t *testing.T) {
	f := numberedFixture(t, 5)
	s := f.store(t, func(c *oci.Config) { c.PageSize = 1 })
	l := s.List(context.Background(), inventory.KeyRange{})
	defer l.Close()
	lists := func() int64 { return f.Server.Requests("ListObjects") }
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	// While the caller holds page 1, page 2 is fetched without being asked for.
	waitFor(t, "the second page to be fetched", func() bool { return lists() == 2 })
	var keys []string
	for {
		page, err := l.NextPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, fp := range page {
			keys = append(keys, fp.Key)
		}
	}
	if diff := cmp.Diff([]string{"k01", "k02", "k03", "k04"}, keys); diff != "" {
		t.Errorf("keys after the first page (-want +got):\n%s", diff)
	}
}

func TestListingCancelledMidway(t *testing.T) {
	f := numberedFixture(t, 5)
	s := f.store(t, func(c *oci.Config) { c.PageSize = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	l := s.List(ctx, inventory.KeyRange{})
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err := l.NextPage()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("next page after cancel: got %v, want context.Canceled", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := l.NextPage(); err == nil {
		t.Error("a closed listing returned a page")
	}
}

func TestListingClosedEarlyStopsFetching(t *testing.T) {
	f := numberedFixture(t, 5)
	s := f.store(t, func(c *oci.Config) { c.PageSize = 1 })
	l := s.List(context.Background(), inventory.KeyRange{})
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the prefetch", func() bool { return f.Server.Requests("ListObjects") == 2 })
	l.Close() // waits for the fetching goroutine to end
	if diff := cmp.Diff(int64(2), f.Server.Requests("ListObjects")); diff != "" {
		t.Errorf("list requests after closing (-want +got):\n%s", diff)
	}
}

func TestRetries(t *testing.T) {
	f := numberedFixture(t, 3)
	retrying := func(c *oci.Config) {
		c.DisableRetries, c.MaxAttempts, c.RetryBackoff = false, 3, time.Microsecond
	}
	s := f.store(t, retrying)
	ctx := context.Background()

	f.Server.SetFaults(ocilocal.Faults{Rate503: 1, Operations: []string{"ListObjects"}})
	_, err := inventory.Collect(s.List(ctx, inventory.KeyRange{}))
	if err == nil {
		t.Fatal("listing succeeded through a service that always answers 503")
	}
	if diff := cmp.Diff([]int64{3, 3}, []int64{f.Server.Requests("ListObjects"), f.Server.FaultStats().ServiceUnavailable}); diff != "" {
		t.Errorf("requests and 503s for one listing with 3 attempts (-want +got):\n%s", diff)
	}

	// Throttling and resets half the time: the retries absorb them.
	f.Server.SetFaults(ocilocal.Faults{Rate429: 0.3, ResetRate: 0.2, Seed: 7, Operations: []string{"ListObjects", "HeadObject"}})
	s = f.store(t, func(c *oci.Config) { retrying(c); c.MaxAttempts, c.PageSize = 20, 1 })
	fps, err := inventory.Collect(s.List(ctx, inventory.KeyRange{}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(3, len(fps)); diff != "" {
		t.Errorf("fingerprints through faults (-want +got):\n%s", diff)
	}
	for _, fp := range fps {
		if _, err := s.Head(ctx, fp.Key); err != nil {
			t.Errorf("head %q through faults: %v", fp.Key, err)
		}
	}
	if st := f.Server.FaultStats(); st.TooManyRequests == 0 || st.Resets == 0 {
		t.Errorf("the faults were not exercised: %+v", st)
	}

	// Without retries, the first fault is the caller's.
	f.Server.SetFaults(ocilocal.Faults{Rate429: 1, Operations: []string{"HeadObject"}})
	s = f.store(t, nil)
	if _, err := s.Head(ctx, "k00"); err == nil {
		t.Error("head through a 429 without retries succeeded")
	}
}

func TestPrefixes(t *testing.T) {
	for name, versioned := range map[string]bool{"Unversioned": false, "Versioned": true} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, versioned)
			for _, name := range []string{"a/1", "a/2", "b/c/d", "top", "deleted/x"} {
				f.put(t, prefix+name, []byte(name), nil)
			}
			f.put(t, "outside/x", []byte("x"), nil)
			f.deleteObject(t, prefix+"deleted/x", nil)
			for i := range 3 {
				f.put(t, prefix+"many/"+itoa(i), []byte("m"), nil)
			}
			s := f.store(t, nil)
			got, err := s.Prefixes(context.Background(), "/")
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"a/", "b/", "many/"}
			if versioned {
				// A delete marker over noncurrent data still holds the key.
				want = []string{"a/", "b/", "deleted/", "many/"}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("prefixes (-want +got):\n%s", diff)
			}
			if _, err := s.Prefixes(context.Background(), "-"); err == nil {
				t.Error("a delimiter other than / was accepted")
			}
		})
	}
}
