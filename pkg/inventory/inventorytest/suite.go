// Package inventorytest is the conformance suite every [inventory.Store]
// backend passes: the listing-interface tests written once and run against
// the memory, S3 (moto_server) and OCI (ocilocal) backends alike. A new
// backend is done when the suite passes.
package inventorytest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Object is one fixture object: a key and its content, uploaded in one piece.
type Object struct {
	Key     string
	Content []byte
}

// Harness tells the suite how to make stores of one backend.
type Harness struct {
	// NewStore returns a store holding exactly objects under its prefix,
	// listing at most pageSize fingerprints per page (the backend maps it to
	// its service's page limit). It registers its own cleanup with t.
	NewStore func(t *testing.T, objects []Object, pageSize int) inventory.Store
}

// SpecialKeys are logical keys that stores and their SDKs get wrong most
// often: spaces, reserved URL characters, percent signs, unicode in several
// normalizations, doubled slashes, and keys that sort close together in
// byte order.
var SpecialKeys = []string{
	"a b/c d.txt",
	"plus+sign",
	"percent%20not-a-space",
	"percent%",
	"question?mark",
	"hash#tag",
	"ampersand&equals=",
	"dir//double//slash",
	"/leading-slash",
	"trailing-slash/",
	"tilde~and'quote",
	"unicode/café",       // é precomposed
	"unicode/cafe\u0301", // e + combining acute
	"unicode/日本語/ファイル.bin",
	"unicode/emoji-😀",
	"Z-upper-before-lower",
	"z-lower",
	"dash-",
	"dash.",
	"dash/",
	"dash0",
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("ListsEveryKeyOnceInByteOrder", func(t *testing.T) { testListsEveryKey(t, h) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, h) })
	t.Run("AdjacentRanges", func(t *testing.T) { testAdjacentRanges(t, h) })
	t.Run("ResumeAfterKey", func(t *testing.T) { testResumeAfter(t, h) })
	t.Run("ListingFingerprints", func(t *testing.T) { testListingFingerprints(t, h) })
	t.Run("HeadAndOpen", func(t *testing.T) { testHeadAndOpen(t, h) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, h) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, h) })
	t.Run("SampleKeys", func(t *testing.T) { testSampleKeys(t, h) })
}

func fixtures(keys []string) []Object {
	objs := make([]Object, len(keys))
	for i, k := range keys {
		objs[i] = Object{Key: k, Content: []byte(fmt.Sprintf("content of %q (%d)", k, i))}
	}
	return objs
}

func sortedKeys(objs []Object) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	slices.Sort(keys)
	return keys
}

func listKeys(t *testing.T, s inventory.Store, r inventory.KeyRange) []string {
	t.Helper()
	fps, err := inventory.Collect(s.List(context.Background(), r))
	if err != nil {
		t.Fatalf("listing %s of %s: %v", r, s.Name(), err)
	}
	keys := make([]string, len(fps))
	for i, fp := range fps {
		keys[i] = fp.Key
	}
	return keys
}

func testListsEveryKey(t *testing.T, h Harness) {
	objs := fixtures(SpecialKeys)
	s := h.NewStore(t, objs, 1000)
	got := listKeys(t, s, inventory.KeyRange{})
	if diff := cmp.Diff(sortedKeys(objs), got); diff != "" {
		t.Errorf("listing of every key (-want +got):\n%s", diff)
	}
}

func numbered(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k/%04d", i)
	}
	return keys
}

func testPagination(t *testing.T, h Harness) {
	objs := fixtures(numbered(23))
	for _, pageSize := range []int{1, 7, 1000} {
		t.Run(fmt.Sprintf("page%d", pageSize), func(t *testing.T) {
			s := h.NewStore(t, objs, pageSize)
			l := s.List(context.Background(), inventory.KeyRange{})
			defer l.Close()
			var got []string
			pages := 0
			for {
				page, err := l.NextPage()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("page %d: %v", pages, err)
				}
				if len(page) > pageSize {
					t.Errorf("page %d has %d fingerprints, more than the page size %d", pages, len(page), pageSize)
				}
				pages++
				for _, fp := range page {
					got = append(got, fp.Key)
				}
			}
			if diff := cmp.Diff(sortedKeys(objs), got); diff != "" {
				t.Errorf("paginated listing (-want +got):\n%s", diff)
			}
			if min := (len(objs) + pageSize - 1) / pageSize; pages < min {
				t.Errorf("got %d pages, want at least %d", pages, min)
			}
		})
	}
}

func testAdjacentRanges(t *testing.T, h Harness) {
	objs := fixtures(append(numbered(30), SpecialKeys...))
	s := h.NewStore(t, objs, 4)
	bounds := []string{"", "a", "dash/", "k/0010", "k/0011", "k/0029", "percent%", "unicode/", "unicode/日", ""}
	var got []string
	for i := 0; i+1 < len(bounds); i++ {
		r := inventory.KeyRange{Start: bounds[i], End: bounds[i+1]}
		keys := listKeys(t, s, r)
		for _, k := range keys {
			if !r.Contains(k) {
				t.Errorf("listing %s returned %q outside the range", r, k)
			}
		}
		got = append(got, keys...)
	}
	if diff := cmp.Diff(sortedKeys(objs), got); diff != "" {
		t.Errorf("adjacent ranges together (-want +got):\n%s", diff)
	}
}

func testResumeAfter(t *testing.T, h Harness) {
	objs := fixtures(append(numbered(10), "k/0003", "k/0003\u0001", "k/0003/child"))
	objs = slices.CompactFunc(objs, func(a, b Object) bool { return a.Key == b.Key })
	s := h.NewStore(t, objs, 3)
	got := listKeys(t, s, inventory.KeyRange{End: "k/0006"}.After("k/0003"))
	want := []string{"k/0003\u0001", "k/0003/child", "k/0004", "k/0005"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing after k/0003 (-want +got):\n%s", diff)
	}
}

// testSampleKeys checks a store that samples its keys ([inventory.KeySampler]):
// each call gives the keys after a point, in byte order, from the store's
// prefix only.
func testSampleKeys(t *testing.T, h Harness) {
	objs := fixtures(SpecialKeys)
	s := h.NewStore(t, objs, 1000)
	ks, ok := s.(inventory.KeySampler)
	if !ok {
		t.Skipf("%s does not sample keys", s.Name())
	}
	ctx := context.Background()
	all := sortedKeys(objs)

	// Walked three at a time, after the last key each time, the samples
	// are the whole listing.
	var walked []string
	after := ""
	for range len(all) + 1 {
		keys, more, err := ks.SampleKeys(ctx, after, 3)
		if err != nil {
			t.Fatalf("SampleKeys after %q: %v", after, err)
		}
		if len(keys) > 3 {
			t.Fatalf("SampleKeys after %q asked for 3 keys gave %d", after, len(keys))
		}
		walked = append(walked, keys...)
		if !more {
			break
		}
		if len(keys) == 0 {
			t.Fatalf("SampleKeys after %q gave no key but says more follow", after)
		}
		after = keys[len(keys)-1]
	}
	if diff := cmp.Diff(all, walked); diff != "" {
		t.Errorf("keys sampled three at a time (-want +got):\n%s", diff)
	}

	// After a point that is no key, and after the last key.
	for _, tc := range []struct {
		after string
		n     int
		want  []string
		more  bool
	}{
		{"dash", 2, []string{"dash-", "dash."}, true},
		{"unicode/cafe", 1, []string{"unicode/cafe\u0301"}, true},
		{"z-lower", 5, nil, false},
		{"\u007f", 5, nil, false},
		{"unicode/日本語/ファイル.bin", 10, []string{"z-lower"}, false},
	} {
		keys, more, err := ks.SampleKeys(ctx, tc.after, tc.n)
		if err != nil {
			t.Fatalf("SampleKeys after %q: %v", tc.after, err)
		}
		if diff := cmp.Diff(tc.want, keys, cmpopts.EquateEmpty()); diff != "" || more != tc.more {
			t.Errorf("SampleKeys after %q, %d: more %v (want %v), keys (-want +got):\n%s", tc.after, tc.n, more, tc.more, diff)
		}
	}
}

func contentMD5(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// md5Of returns the full-object MD5 the fingerprint carries from the store
// itself (never an asserted one).
func md5Of(fp inventory.Fingerprint) string {
	for _, c := range fp.Checksums {
		if c.Algorithm == inventory.MD5 && c.Type == inventory.FullObject && c.Source != inventory.FromMetadata {
			return c.Value
		}
	}
	return ""
}

func testListingFingerprints(t *testing.T, h Harness) {
	objs := fixtures([]string{"empty", "one", "unicode/日本語"})
	objs[0].Content = nil
	s := h.NewStore(t, objs, 1000)
	fps, err := inventory.Collect(s.List(context.Background(), inventory.KeyRange{}))
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Key      string
		Presence inventory.Presence
		Size     int64
		MD5      string
	}
	var got, want []summary
	for _, fp := range fps {
		got = append(got, summary{Key: fp.Key, Presence: fp.Presence, Size: fp.Size, MD5: md5Of(fp)})
	}
	for _, o := range objs {
		w := summary{Key: o.Key, Size: int64(len(o.Content))}
		if s.Features().ListingChecksums {
			w.MD5 = contentMD5(o.Content)
		}
		want = append(want, w)
	}
	slices.SortFunc(want, func(a, b summary) int { return strings.Compare(a.Key, b.Key) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing fingerprints (-want +got):\n%s", diff)
	}
	for _, fp := range fps {
		if fp.Modified.IsZero() {
			t.Errorf("%q: listing gave no modification time", fp.Key)
		}
	}
}

func testHeadAndOpen(t *testing.T, h Harness) {
	objs := fixtures(SpecialKeys)
	s := h.NewStore(t, objs, 1000)
	ctx := context.Background()
	for _, o := range objs {
		fp, err := s.Head(ctx, o.Key)
		if err != nil {
			t.Errorf("head %q: %v", o.Key, err)
			continue
		}
		if fp.Key != o.Key || fp.Size != int64(len(o.Content)) {
			t.Errorf("head %q = key %q size %d, want size %d", o.Key, fp.Key, fp.Size, len(o.Content))
		}
		if got, want := md5Of(fp), contentMD5(o.Content); got != want {
			t.Errorf("head %q: md5 %q, want %q", o.Key, got, want)
		}
		if !s.Features().Read {
			continue
		}
		for _, r := range []inventory.ByteRange{inventory.Whole, {Offset: 3, Length: 5}, {Offset: 2, Length: -1}} {
			rc, err := s.Open(ctx, o.Key, r)
			if err != nil {
				t.Errorf("open %q %+v: %v", o.Key, r, err)
				continue
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Errorf("reading %q %+v: %v", o.Key, r, err)
			}
			want := o.Content[r.Offset:]
			if r.Length >= 0 {
				want = want[:r.Length]
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("content of %q %+v (-want +got):\n%s", o.Key, r, diff)
			}
		}
	}
}

func testNotFound(t *testing.T, h Harness) {
	s := h.NewStore(t, fixtures([]string{"present"}), 1000)
	ctx := context.Background()
	if _, err := s.Head(ctx, "absent"); !errors.Is(err, inventory.ErrNotFound) {
		t.Errorf("head of an absent key: got %v, want an error wrapping ErrNotFound", err)
	}
	if !s.Features().Read {
		return
	}
	rc, err := s.Open(ctx, "absent", inventory.Whole)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, inventory.ErrNotFound) {
		t.Errorf("open of an absent key: got %v, want an error wrapping ErrNotFound", err)
	}
}

func testCancelled(t *testing.T, h Harness) {
	s := h.NewStore(t, fixtures(numbered(5)), 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := s.List(ctx, inventory.KeyRange{})
	defer l.Close()
	for range 10 {
		_, err := l.NextPage()
		if err == io.EOF {
			t.Fatal("a listing with a cancelled context ended without an error")
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("listing with a cancelled context: got %v, want an error wrapping context.Canceled", err)
			}
			return
		}
	}
	t.Error("a listing with a cancelled context kept returning pages")
}
