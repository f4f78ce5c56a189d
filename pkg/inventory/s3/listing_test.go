package s3_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// recorder is an HTTP client that records the listing requests it sends
// and signals each one.
type recorder struct {
	inner *awshttp.BuildableClient
	mu    sync.Mutex
	lists []string
	sent  chan string
}

func newRecorder() *recorder {
	return &recorder{inner: awshttp.NewBuildableClient(), sent: make(chan string, 100)}
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	if q := req.URL.Query(); q.Get("list-type") == "2" {
		r.mu.Lock()
		r.lists = append(r.lists, fmt.Sprintf("prefix=%q start-after=%q continued=%v", q.Get("prefix"), q.Get("start-after"), q.Has("continuation-token")))
		r.mu.Unlock()
		r.sent <- "ListObjectsV2"
	}
	return r.inner.Do(req)
}

func (r *recorder) listRequests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lists...)
}

func (b *bucket) recordedStore(prefix string, pageSize int) (*s3store.Store, *recorder) {
	b.t.Helper()
	rec := newRecorder()
	s, err := s3store.New(context.Background(), b.config(prefix, pageSize), s3store.WithHTTPClient(rec))
	if err != nil {
		b.t.Fatal(err)
	}
	return s, rec
}

func (b *bucket) putNumbered(n int) {
	for i := range n {
		b.put(fmt.Sprintf("k/%04d", i), []byte{byte(i)})
	}
}

// TestListingStopsAtEnd: a range is listed with the requests it needs,
// not the bucket's whole listing.
func TestListingStopsAtEnd(t *testing.T) {
	b := newBucket(t, false)
	b.putNumbered(30)
	s, rec := b.recordedStore("", 5)
	got := list(t, s, inventory.KeyRange{Start: "k/0000", End: "k/0010"})
	want := []string{"k/0000", "k/0001", "k/0002", "k/0003", "k/0004", "k/0005", "k/0006", "k/0007", "k/0008", "k/0009"}
	if diff := cmp.Diff(want, keysOf(got)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	wantRequests := []string{
		`prefix="k/0000" start-after="" continued=false`, // the start key and the keys it prefixes
		`prefix="" start-after="k/0000" continued=false`, // k/0001..k/0005
		`prefix="" start-after="" continued=true`,        // k/0006..k/0010: the end is reached
	}
	if diff := cmp.Diff(wantRequests, rec.listRequests()); diff != "" {
		t.Errorf("ListObjectsV2 requests (-want +got):\n%s", diff)
	}
}

// TestListingPrefetches: the next page is requested while the consumer
// holds the current one.
func TestListingPrefetches(t *testing.T) {
	b := newBucket(t, false)
	b.putNumbered(12)
	s, rec := b.recordedStore("", 4)
	l := s.List(context.Background(), inventory.KeyRange{})
	defer l.Close()
	page, err := l.NextPage()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k/0000", "k/0001", "k/0002", "k/0003"}, keysOf(page)); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	// Without another call to NextPage, a second request must come. The
	// timer only guards against a hang; it measures nothing.
	guard := time.After(time.Minute)
	for seen := 0; seen < 2; {
		select {
		case <-rec.sent:
			seen++
		case <-guard:
			t.Fatalf("no request for the next page while the first was held; requests: %q", rec.listRequests())
		}
	}
}

// TestListingCancelled: cancelling a listing's context midway ends it with
// an error wrapping context.Canceled.
func TestListingCancelled(t *testing.T) {
	b := newBucket(t, false)
	b.putNumbered(10)
	s := b.store("", 2)
	ctx, cancel := context.WithCancel(context.Background())
	l := s.List(ctx, inventory.KeyRange{})
	defer l.Close()
	if _, err := l.NextPage(); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err := l.NextPage()
		if err == nil {
			continue // pages fetched before the cancellation may still come
		}
		if !strings.Contains(err.Error(), "context canceled") || !isCanceled(err) {
			t.Fatalf("got %v, want an error wrapping context.Canceled", err)
		}
		return
	}
}

// TestVersionedAdjacentRanges: adjacent ranges of a versioned bucket with
// uploads together list every key once, as one listing does, with small
// pages so that versions straddle them.
//
// The bounds are keys that exist: moto 5.2's ListObjectVersions drops the
// first version after a key-marker that names no key (S3 does not), which
// a range starting at an absent key would meet.
func TestVersionedAdjacentRanges(t *testing.T) {
	b := newBucket(t, true)
	var keys []string
	for i := range 40 {
		k := fmt.Sprintf("v/%02d", i)
		if i%7 == 3 {
			k += "/ünï cödé+%"
		}
		keys = append(keys, k)
		for j := range 1 + i%3 {
			b.put(k, []byte(fmt.Sprintf("%s version %d", k, j)))
		}
		if i%5 == 0 {
			b.del(k)
		}
		if i%6 == 1 {
			b.startUpload(k)
		}
	}
	b.startUpload("v/15-upload-only")
	s := b.store("", 3)
	whole := list(t, s, inventory.KeyRange{})
	if len(whole) != 41 {
		t.Fatalf("the whole listing has %d keys, want 41: %q", len(whole), keysOf(whole))
	}
	bounds := []string{"", keys[1], keys[10], keys[15], keys[16], keys[30], keys[39], ""}
	var got []inventory.Fingerprint
	for i := 0; i+1 < len(bounds); i++ {
		got = append(got, list(t, s, inventory.KeyRange{Start: bounds[i], End: bounds[i+1]})...)
	}
	if diff := cmp.Diff(whole, got); diff != "" {
		t.Errorf("adjacent ranges (-whole listing +ranges):\n%s", diff)
	}
}

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// logged keeps the messages of the records logged.
type logged struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logged) Enabled(context.Context, slog.Level) bool { return true }
func (l *logged) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logged) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logged) WithGroup(string) slog.Handler      { return l }

// moto's listings, of keys that XML must escape and URLs must encode, in
// unversioned and versioned buckets, are decoded by the store's own
// decoder (listxml), not left to the SDK's, and list what was put.
func TestMotoListingsAreDecodedByListxml(t *testing.T) {
	keys := []string{"a b", "a&b", "a<b>c", "a+b", "a%2Fb", "dir/x", "dir/y\"q'", "é/€", "z😀"}
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			b := newBucket(t, versioned)
			for _, k := range keys {
				b.put(k, []byte("content of "+k))
			}
			if versioned {
				b.put("a b", []byte("second version"))
				b.del("dir/x")
			}
			log := &logged{}
			s, err := s3store.New(context.Background(), b.config("", 2), s3store.WithLogger(slog.New(log)))
			if err != nil {
				t.Fatal(err)
			}
			// A key whose latest version is a delete marker is listed
			// too, to say what is left of it.
			wantKeys := slices.Sorted(slices.Values(keys))
			if diff := cmp.Diff(wantKeys, keysOf(list(t, s, inventory.KeyRange{}))); diff != "" {
				t.Errorf("listed keys (-want +got):\n%s", diff)
			}
			for _, m := range log.msgs {
				if strings.Contains(m, "left to the SDK") {
					t.Errorf("logged %q: moto wrote a listing outside listxml's subset", m)
				}
			}
		})
	}
}
