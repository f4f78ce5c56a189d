package ocilocal_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
)

// pageThrough lists with req, following nextStartWith, and returns the
// names of each page.
func (e *env) pageThrough(t *testing.T, req objectstorage.ListObjectsRequest) [][]string {
	t.Helper()
	var pages [][]string
	for range 1000 {
		resp, err := e.Client.ListObjects(context.Background(), req)
		if err != nil {
			t.Fatalf("listing %+v: %v", req, err)
		}
		var page []string
		for _, o := range resp.Objects {
			page = append(page, *o.Name)
		}
		for _, p := range resp.Prefixes {
			page = append(page, "prefix:"+p)
		}
		pages = append(pages, page)
		if resp.NextStartWith == nil {
			return pages
		}
		req.Start = resp.NextStartWith
	}
	t.Fatal("listing never ended")
	return nil
}

func chunks(names []string, n int) [][]string {
	if len(names) == 0 {
		return [][]string{nil}
	}
	var out [][]string
	for c := range slices.Chunk(names, n) {
		out = append(out, c)
	}
	return out
}

func TestListObjectsPaginationIsExact(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	var names []string
	for i := range 25 {
		names = append(names, fmt.Sprintf("k/%02d", i))
	}
	names = append(names, "a", "k/10/sub", "k/10 space", "z")
	for _, n := range names {
		e.Put(t, "b", n, []byte(n))
	}
	slices.Sort(names)
	within := func(start, end string) []string {
		var out []string
		for _, n := range names {
			if n >= start && (end == "" || n < end) {
				out = append(out, n)
			}
		}
		return out
	}

	ranges := []struct{ start, end string }{{"", ""}, {"k/03", "k/19"}, {"k/05", ""}, {"", "k/12"}, {"k/10", "k/11"}, {"zz", ""}}
	for _, limit := range []int{1, 7, 1000} {
		for _, r := range ranges {
			t.Run(fmt.Sprintf("limit%d/[%s,%s)", limit, r.start, r.end), func(t *testing.T) {
				req := objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Limit: common.Int(limit)}
				if r.start != "" {
					req.Start = common.String(r.start)
				}
				if r.end != "" {
					req.End = common.String(r.end)
				}
				got := e.pageThrough(t, req)
				if diff := cmp.Diff(chunks(within(r.start, r.end), limit), got); diff != "" {
					t.Errorf("pages (-want +got):\n%s", diff)
				}
			})
		}
	}

	t.Run("PrefixAndStartAfter", func(t *testing.T) {
		req := objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Limit: common.Int(7),
			Prefix: common.String("k/1"), StartAfter: common.String("k/10")}
		got := e.pageThrough(t, req)
		want := chunks([]string{"k/10 space", "k/10/sub", "k/11", "k/12", "k/13", "k/14", "k/15", "k/16", "k/17", "k/18", "k/19"}, 7)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})
}

func TestListObjectsDelimiter(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	for _, n := range []string{"a/1", "a/2", "b", "c/d/e", "c/f"} {
		e.Put(t, "b", n, []byte(n))
	}
	tests := []struct {
		name   string
		prefix string
		limit  int
		want   [][]string
	}{
		{"TopLevel", "", 1000, [][]string{{"b", "prefix:a/", "prefix:c/"}}},
		{"TopLevelOnePerPage", "", 1, [][]string{{"prefix:a/"}, {"b"}, {"prefix:c/"}}},
		{"UnderPrefix", "c/", 1000, [][]string{{"c/f", "prefix:c/d/"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"),
				Delimiter: common.String("/"), Prefix: common.String(tt.prefix), Limit: common.Int(tt.limit)}
			if diff := cmp.Diff(tt.want, e.pageThrough(t, req)); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListObjectsFields(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	put := e.Put(t, "b", "one", []byte("one"))
	resp, err := e.Client.ListObjects(context.Background(), objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"),
		Fields: common.String("name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState")})
	if err != nil {
		t.Fatal(err)
	}
	o := resp.Objects[0]
	type view struct {
		Name, MD5, ETag, Tier, Archival string
		Size                            int64
		Times                           bool
	}
	got := view{Name: *o.Name, MD5: *o.Md5, ETag: *o.Etag, Tier: string(o.StorageTier), Archival: string(o.ArchivalState), Size: *o.Size,
		Times: o.TimeCreated != nil && o.TimeModified != nil}
	want := view{Name: "one", MD5: md5b64([]byte("one")), ETag: *put.ETag, Tier: "Standard", Size: 3, Times: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing with every field (-want +got):\n%s", diff)
	}

	_, err = e.Client.ListObjects(context.Background(), objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Fields: common.String("name,colour")})
	if diff := cmp.Diff(statusCode{400, "InvalidParameter"}, statusOf(t, err)); diff != "" {
		t.Errorf("listing with an unknown field (-want +got):\n%s", diff)
	}
	_, err = e.Client.ListObjects(context.Background(), objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Limit: common.Int(1001)})
	if diff := cmp.Diff(statusCode{400, "InvalidParameter"}, statusOf(t, err)); diff != "" {
		t.Errorf("listing with limit 1001 (-want +got):\n%s", diff)
	}
}

// Listings served at once, after a write emptied the bucket's cache of
// sorted names, each see every name. Under -race this checks the cache's
// rebuild by readers that hold only the state's read lock (the concurrent
// first-run sampling found them racing).
func TestConcurrentListingsAfterAWrite(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	var names []string
	for i := range 50 {
		names = append(names, fmt.Sprintf("k%02d", i))
		e.Put(t, "b", names[i], []byte("v"))
	}
	for round := range 3 {
		names = append(names, fmt.Sprintf("k%02d", 50+round))
		e.Put(t, "b", names[len(names)-1], []byte("v")) // a new name empties the cache
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				resp, err := e.Client.ListObjects(context.Background(), objectstorage.ListObjectsRequest{
					NamespaceName: e.ns, BucketName: common.String("b"), Limit: common.Int(1000)})
				if err != nil {
					t.Error(err)
					return
				}
				var got []string
				for _, o := range resp.Objects {
					got = append(got, *o.Name)
				}
				if diff := cmp.Diff(names, got); diff != "" {
					t.Errorf("round %d: names (-want +got):\n%s", round, diff)
				}
			})
		}
		wg.Wait()
	}
}
