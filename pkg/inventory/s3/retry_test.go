package s3_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
	"github.com/parityproof/parityproof/pkg/inventory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// A 200 listing whose body is cut short or is not well-formed XML is a
// transient fault the SDK does not retry: the store asks for the page
// again, and the listing is the one an unfaulted store gives. Faults that
// go on past its attempts fail the listing, naming the store.
func TestListingRetriesUnreadablePages(t *testing.T) {
	b := newBucket(t, false)
	for i := range 40 {
		b.put(fmt.Sprintf("k/%03d", i), []byte("x"))
	}
	want := keysOf(list(t, b.store("", 7), inventory.KeyRange{}))
	for _, tc := range []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"truncated", faultproxy.Truncate(100)},
		{"malformed XML", faultproxy.MalformedXML()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := faultproxy.Start(t, b.srv.URL, faultproxy.Options{Rules: []faultproxy.Rule{
				// Every other listing page, three times in all.
				{Op: faultproxy.ListObjectsV2, Bucket: b.name, Probability: 0.5, Limit: 3, Fault: tc.fault},
			}, Seed: 7})
			cfg := b.config("", 7)
			cfg.Endpoint = p.URL
			s, err := s3store.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := keysOf(list(t, s, inventory.KeyRange{}))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the listing through faults (-want +got):\n%s", diff)
			}
			if n := p.Stats().FaultCount(); n != 3 {
				t.Errorf("%d faults injected, want 3 (%s)", n, p.Stats())
			}

			// Unreadable answers without end: the listing fails, naming
			// the store.
			if err := p.SetRules(faultproxy.Rule{Op: faultproxy.ListObjectsV2, Bucket: b.name, Fault: tc.fault}); err != nil {
				t.Fatal(err)
			}
			l := s.List(context.Background(), inventory.KeyRange{})
			defer l.Close()
			var lerr error
			for lerr == nil {
				_, lerr = l.NextPage()
			}
			if lerr == io.EOF || !strings.Contains(lerr.Error(), cfg.Name) {
				t.Errorf("a listing whose pages cannot be read: %v, want an error naming %s", lerr, cfg.Name)
			}
		})
	}
}
