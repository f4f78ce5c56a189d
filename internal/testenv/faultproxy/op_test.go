package faultproxy_test

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
)

func TestClassifyNamesS3Operations(t *testing.T) {
	tests := []struct {
		method, target string
		copySource     bool
		want           faultproxy.Call
	}{
		{"GET", "/", false, faultproxy.Call{Op: faultproxy.ListBuckets}},
		{"PUT", "/b", false, faultproxy.Call{Op: faultproxy.CreateBucket, Bucket: "b"}},
		{"HEAD", "/b", false, faultproxy.Call{Op: faultproxy.HeadBucket, Bucket: "b"}},
		{"DELETE", "/b/", false, faultproxy.Call{Op: faultproxy.DeleteBucket, Bucket: "b"}},
		{"GET", "/b?location", false, faultproxy.Call{Op: faultproxy.GetBucketLocation, Bucket: "b"}},
		{"GET", "/b?versioning", false, faultproxy.Call{Op: faultproxy.GetBucketVersioning, Bucket: "b"}},
		{"PUT", "/b?versioning", false, faultproxy.Call{Op: faultproxy.PutBucketVersioning, Bucket: "b"}},
		{"GET", "/b?lifecycle", false, faultproxy.Call{Op: faultproxy.GetBucketLifecycleConfiguration, Bucket: "b"}},
		{"PUT", "/b?lifecycle", false, faultproxy.Call{Op: faultproxy.PutBucketLifecycleConfiguration, Bucket: "b"}},
		{"DELETE", "/b?lifecycle", false, faultproxy.Call{Op: faultproxy.DeleteBucketLifecycle, Bucket: "b"}},
		{"GET", "/b?list-type=2&prefix=a%2Fb&continuation-token=x", false, faultproxy.Call{Op: faultproxy.ListObjectsV2, Bucket: "b", Prefix: "a/b"}},
		{"GET", "/b?prefix=p&marker=m", false, faultproxy.Call{Op: faultproxy.ListObjects, Bucket: "b", Prefix: "p"}},
		{"GET", "/b", false, faultproxy.Call{Op: faultproxy.ListObjects, Bucket: "b"}},
		{"GET", "/b?versions&prefix=p&key-marker=k", false, faultproxy.Call{Op: faultproxy.ListObjectVersions, Bucket: "b", Prefix: "p"}},
		{"GET", "/b?uploads", false, faultproxy.Call{Op: faultproxy.ListMultipartUploads, Bucket: "b"}},
		{"GET", "/b?policy", false, faultproxy.Call{Op: faultproxy.Other, Bucket: "b"}},
		{"POST", "/b?delete", false, faultproxy.Call{Op: faultproxy.DeleteObjects, Bucket: "b"}},
		{"GET", "/b/a/k.txt?x-id=GetObject", false, faultproxy.Call{Op: faultproxy.GetObject, Bucket: "b", Key: "a/k.txt"}},
		{"GET", "/b/k?versionId=v&partNumber=2", false, faultproxy.Call{Op: faultproxy.GetObject, Bucket: "b", Key: "k"}},
		{"HEAD", "/b/a%20b%2Bc", false, faultproxy.Call{Op: faultproxy.HeadObject, Bucket: "b", Key: "a b+c"}},
		{"GET", "/b/k?attributes", false, faultproxy.Call{Op: faultproxy.GetObjectAttributes, Bucket: "b", Key: "k"}},
		{"GET", "/b/k?tagging", false, faultproxy.Call{Op: faultproxy.GetObjectTagging, Bucket: "b", Key: "k"}},
		{"GET", "/b/k?acl", false, faultproxy.Call{Op: faultproxy.Other, Bucket: "b", Key: "k"}},
		{"GET", "/b/k?uploadId=u", false, faultproxy.Call{Op: faultproxy.ListParts, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k?x-id=PutObject", false, faultproxy.Call{Op: faultproxy.PutObject, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k?tagging", false, faultproxy.Call{Op: faultproxy.PutObjectTagging, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k", true, faultproxy.Call{Op: faultproxy.CopyObject, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k?partNumber=1&uploadId=u", false, faultproxy.Call{Op: faultproxy.UploadPart, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k?partNumber=1&uploadId=u", true, faultproxy.Call{Op: faultproxy.UploadPartCopy, Bucket: "b", Key: "k"}},
		{"POST", "/b/k?uploads", false, faultproxy.Call{Op: faultproxy.CreateMultipartUpload, Bucket: "b", Key: "k"}},
		{"POST", "/b/k?uploadId=u", false, faultproxy.Call{Op: faultproxy.CompleteMultipartUpload, Bucket: "b", Key: "k"}},
		{"DELETE", "/b/k?uploadId=u", false, faultproxy.Call{Op: faultproxy.AbortMultipartUpload, Bucket: "b", Key: "k"}},
		{"DELETE", "/b/k?versionId=v", false, faultproxy.Call{Op: faultproxy.DeleteObject, Bucket: "b", Key: "k"}},
		{"DELETE", "/b/k?tagging", false, faultproxy.Call{Op: faultproxy.DeleteObjectTagging, Bucket: "b", Key: "k"}},
		{"POST", "/b/k", false, faultproxy.Call{Op: faultproxy.Other, Bucket: "b", Key: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.copySource {
				r.Header.Set("X-Amz-Copy-Source", "/src/k")
			}
			want := tt.want
			want.Method = tt.method
			if diff := cmp.Diff(want, faultproxy.Classify(r)); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
		})
	}
}
