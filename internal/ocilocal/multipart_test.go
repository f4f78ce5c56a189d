package ocilocal_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"hash/crc32"
	"io"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
)

// upload uploads parts as a multipart object with the checksum algorithm
// alg, commits it and returns the commit's answer.
func (e *env) upload(t *testing.T, bucket, name string, alg objectstorage.CreateMultipartUploadOpcChecksumAlgorithmEnum, parts ...[]byte) objectstorage.CommitMultipartUploadResponse {
	t.Helper()
	ctx := context.Background()
	up, err := e.Client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{
		NamespaceName: e.ns, BucketName: common.String(bucket), OpcChecksumAlgorithm: alg,
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String(name), Metadata: map[string]string{"opc-meta-source": "test"}},
	})
	if err != nil {
		t.Fatalf("creating upload of %q: %v", name, err)
	}
	var commit []objectstorage.CommitMultipartUploadPartDetails
	for i, p := range parts {
		req := objectstorage.UploadPartRequest{
			NamespaceName: e.ns, BucketName: common.String(bucket), ObjectName: common.String(name),
			UploadId: up.UploadId, UploadPartNum: common.Int(i + 1),
			ContentLength: common.Int64(int64(len(p))), UploadPartBody: io.NopCloser(bytes.NewReader(p)),
			ContentMD5: common.String(md5b64(p)),
		}
		if alg != "" {
			req.OpcChecksumAlgorithm = objectstorage.UploadPartOpcChecksumAlgorithmEnum(alg)
		}
		resp, err := e.Client.UploadPart(ctx, req)
		if err != nil {
			t.Fatalf("uploading part %d of %q: %v", i+1, name, err)
		}
		if diff := cmp.Diff(md5b64(p), *resp.OpcContentMd5); diff != "" {
			t.Errorf("part %d opc-content-md5 (-want +got):\n%s", i+1, diff)
		}
		commit = append(commit, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(i + 1), Etag: resp.ETag})
	}
	resp, err := e.Client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{
		NamespaceName: e.ns, BucketName: common.String(bucket), ObjectName: common.String(name), UploadId: up.UploadId,
		CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: commit},
	})
	if err != nil {
		t.Fatalf("committing %q: %v", name, err)
	}
	return resp
}

// independentMultipartMD5 computes the multipart MD5 the way the OCI
// documentation describes it, without ocilocal's code.
func independentMultipartMD5(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	sum := md5.Sum(cat)
	return b64(sum[:]) + "-" + strconv.Itoa(len(parts))
}

func TestMultipartUpload(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	parts := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 1000), []byte("tail")}
	whole := bytes.Join(parts, nil)

	commit := e.upload(t, "b", "multi/part object", "", parts...)
	wantMD5 := independentMultipartMD5(parts...)
	if diff := cmp.Diff(wantMD5, *commit.OpcMultipartMd5); diff != "" {
		t.Errorf("commit opc-multipart-md5 (-want +got):\n%s", diff)
	}
	got, err := e.head(t, "b", "multi/part object")
	if err != nil {
		t.Fatal(err)
	}
	want := objectView{Size: int64(len(whole)), MultipartMD5: wantMD5, StorageTier: "Standard", Meta: map[string]string{"source": "test"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("head of a multipart object (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(string(whole), string(e.Get(t, "b", "multi/part object"))); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	resp, err := e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"),
		ObjectName: common.String("multi/part object"), Range: common.String("bytes=995-2001")})
	if err != nil {
		t.Fatal(err)
	}
	across, _ := io.ReadAll(resp.Content)
	resp.Content.Close()
	if diff := cmp.Diff(string(whole[995:2002]), string(across)); diff != "" {
		t.Errorf("range across parts (-want +got):\n%s", diff)
	}
	list, err := e.Client.ListObjects(ctx, objectstorage.ListObjectsRequest{NamespaceName: e.ns, BucketName: common.String("b"), Fields: common.String("md5,size")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantMD5, *list.Objects[0].Md5); diff != "" {
		t.Errorf("listing md5 of a multipart object (-want +got):\n%s", diff)
	}
}

func TestMultipartChecksums(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	parts := [][]byte{[]byte("first part "), []byte("second part")}
	whole := bytes.Join(parts, nil)

	crc := crc32.Checksum(whole, crc32.MakeTable(crc32.Castagnoli))
	commit := e.upload(t, "b", "crc", objectstorage.CreateMultipartUploadOpcChecksumAlgorithmCrc32c, parts...)
	wantCRC := b64([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	if diff := cmp.Diff(wantCRC, *commit.OpcContentCrc32c); diff != "" {
		t.Errorf("CRC32C of a multipart object is of the whole object (-want +got):\n%s", diff)
	}

	var cat []byte
	for _, p := range parts {
		s := sha256.Sum256(p)
		cat = append(cat, s[:]...)
	}
	sum := sha256.Sum256(cat)
	commit = e.upload(t, "b", "sha", objectstorage.CreateMultipartUploadOpcChecksumAlgorithmSha256, parts...)
	if diff := cmp.Diff(b64(sum[:])+"-2", *commit.OpcMultipartSha256); diff != "" {
		t.Errorf("SHA-256 of a multipart object is composite (-want +got):\n%s", diff)
	}
	got, err := e.head(t, "b", "sha")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"", b64(sum[:]) + "-2"}, []string{got.SHA256, got.MultipartSHA}); diff != "" {
		t.Errorf("head: opc-content-sha256 and opc-multipart-sha256 (-want +got):\n%s", diff)
	}
}

func TestMultipartListAndAbort(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	bkt := common.String("b")
	var ids []string
	for _, name := range []string{"x", "y"} {
		up, err := e.Client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{NamespaceName: e.ns, BucketName: bkt,
			CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String(name)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *up.UploadId)
	}
	for n := 1; n <= 3; n++ {
		_, err := e.Client.UploadPart(ctx, objectstorage.UploadPartRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("x"),
			UploadId: &ids[0], UploadPartNum: common.Int(n), ContentLength: common.Int64(1), UploadPartBody: io.NopCloser(bytes.NewReader([]byte{byte('0' + n)}))})
		if err != nil {
			t.Fatal(err)
		}
	}

	uploads := func() []string {
		var out []string
		req := objectstorage.ListMultipartUploadsRequest{NamespaceName: e.ns, BucketName: bkt, Limit: common.Int(1)}
		for {
			resp, err := e.Client.ListMultipartUploads(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range resp.Items {
				out = append(out, *u.Object+"/"+*u.UploadId)
			}
			if resp.OpcNextPage == nil {
				return out
			}
			req.Page = resp.OpcNextPage
		}
	}
	if diff := cmp.Diff([]string{"x/" + ids[0], "y/" + ids[1]}, uploads()); diff != "" {
		t.Errorf("uploads, one per page (-want +got):\n%s", diff)
	}

	var nums []int
	req := objectstorage.ListMultipartUploadPartsRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("x"), UploadId: &ids[0], Limit: common.Int(2)}
	for {
		resp, err := e.Client.ListMultipartUploadParts(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.Items {
			nums = append(nums, *p.PartNumber)
			if *p.Md5 == "" || *p.Size != 1 {
				t.Errorf("part %d: md5 %q size %d", *p.PartNumber, *p.Md5, *p.Size)
			}
		}
		if resp.OpcNextPage == nil {
			break
		}
		req.Page = resp.OpcNextPage
	}
	if diff := cmp.Diff([]int{1, 2, 3}, nums); diff != "" {
		t.Errorf("parts, two per page (-want +got):\n%s", diff)
	}

	if _, err := e.Client.AbortMultipartUpload(ctx, objectstorage.AbortMultipartUploadRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("x"), UploadId: &ids[0]}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"y/" + ids[1]}, uploads()); diff != "" {
		t.Errorf("uploads after abort (-want +got):\n%s", diff)
	}
	_, err := e.Client.ListMultipartUploadParts(ctx, req)
	if diff := cmp.Diff(statusCode{404, "NoSuchUpload"}, statusOf(t, err)); diff != "" {
		t.Errorf("parts of an aborted upload (-want +got):\n%s", diff)
	}
}

func TestCommitRejectsWrongParts(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	ctx := context.Background()
	bkt := common.String("b")
	up, err := e.Client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{NamespaceName: e.ns, BucketName: bkt,
		CreateMultipartUploadDetails: objectstorage.CreateMultipartUploadDetails{Object: common.String("o")}})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.Client.UploadPart(ctx, objectstorage.UploadPartRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("o"),
		UploadId: up.UploadId, UploadPartNum: common.Int(1), ContentLength: common.Int64(1), UploadPartBody: io.NopCloser(bytes.NewReader([]byte("p")))})
	if err != nil {
		t.Fatal(err)
	}
	for name, parts := range map[string][]objectstorage.CommitMultipartUploadPartDetails{
		"WrongETag":   {{PartNum: common.Int(1), Etag: common.String("nope")}},
		"MissingPart": {{PartNum: common.Int(1), Etag: part.ETag}, {PartNum: common.Int(2), Etag: part.ETag}},
	} {
		_, err := e.Client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{NamespaceName: e.ns, BucketName: bkt, ObjectName: common.String("o"),
			UploadId: up.UploadId, CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: parts}})
		if diff := cmp.Diff(statusCode{400, "InvalidUploadPart"}, statusOf(t, err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}
