package ocilocal_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
)

type versionView struct {
	Name   string
	Marker bool
	Size   int64
}

// versions lists every version with limit per page, following opc-next-page.
func (e *env) versions(t *testing.T, bucket string, limit int) ([]versionView, []string) {
	t.Helper()
	var out []versionView
	var ids []string
	req := objectstorage.ListObjectVersionsRequest{NamespaceName: e.ns, BucketName: common.String(bucket), Limit: common.Int(limit), Fields: objectstorage.ListObjectVersionsFieldsSize}
	for range 100 {
		resp, err := e.Client.ListObjectVersions(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Items) > limit {
			t.Errorf("page of %d versions, more than the limit %d", len(resp.Items), limit)
		}
		for _, v := range resp.Items {
			vv := versionView{Name: *v.Name, Marker: *v.IsDeleteMarker}
			if v.Size != nil {
				vv.Size = *v.Size
			}
			out = append(out, vv)
			ids = append(ids, *v.VersionId)
		}
		if resp.OpcNextPage == nil {
			return out, ids
		}
		req.Page = resp.OpcNextPage
	}
	t.Fatal("version listing never ended")
	return nil, nil
}

func TestVersioning(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "v", true)
	ctx := context.Background()
	bkt := common.String("v")
	e.Put(t, "v", "doc", []byte("one"))
	e.Put(t, "v", "doc", []byte("two!"))
	e.Put(t, "v", "other", []byte("x"))
	del, err := e.Client.DeleteObject(ctx, objectstorage.DeleteObjectRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("doc")})
	if err != nil {
		t.Fatal(err)
	}
	if del.IsDeleteMarker == nil || !*del.IsDeleteMarker {
		t.Errorf("deleting in a versioned bucket did not answer with a delete marker: %+v", del)
	}

	want := []versionView{{"doc", true, 0}, {"doc", false, 4}, {"doc", false, 3}, {"other", false, 1}}
	for _, limit := range []int{1, 3, 1000} {
		got, _ := e.versions(t, "v", limit)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("versions with limit %d, newest first (-want +got):\n%s", limit, diff)
		}
	}
	_, ids := e.versions(t, "v", 1000)

	list, err := e.Client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: bkt})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(1, len(list.Objects)); diff != "" {
		t.Errorf("ListObjects shows only current objects (-want +got):\n%s", diff)
	}
	_, err = e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("doc")})
	if diff := cmp.Diff(statusCode{404, "ObjectNotFound"}, statusOf(t, err)); diff != "" {
		t.Errorf("get behind a delete marker (-want +got):\n%s", diff)
	}
	old, err := e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("doc"), VersionId: &ids[2]})
	if err != nil {
		t.Fatal(err)
	}
	old.Content.Close()
	if diff := cmp.Diff(int64(3), *old.ContentLength); diff != "" {
		t.Errorf("get of the oldest version (-want +got):\n%s", diff)
	}

	// Deleting the marker by its version id makes "two!" current again.
	if _, err := e.Client.DeleteObject(ctx, objectstorage.DeleteObjectRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("doc"), VersionId: &ids[0]}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("two!", string(e.Get(t, "v", "doc"))); diff != "" {
		t.Errorf("current content after removing the delete marker (-want +got):\n%s", diff)
	}
}
