package faultproxy

import (
	"net/http"
	"net/url"
	"strings"
)

// Op is an S3 operation, as the proxy recognises it from a request's
// method, path and query. The names are the S3 API's.
type Op string

// The operations the proxy recognises. A request it cannot name is
// [Other].
const (
	ListBuckets                     Op = "ListBuckets"
	CreateBucket                    Op = "CreateBucket"
	DeleteBucket                    Op = "DeleteBucket"
	HeadBucket                      Op = "HeadBucket"
	GetBucketLocation               Op = "GetBucketLocation"
	GetBucketVersioning             Op = "GetBucketVersioning"
	PutBucketVersioning             Op = "PutBucketVersioning"
	GetBucketLifecycleConfiguration Op = "GetBucketLifecycleConfiguration"
	PutBucketLifecycleConfiguration Op = "PutBucketLifecycleConfiguration"
	DeleteBucketLifecycle           Op = "DeleteBucketLifecycle"
	ListObjects                     Op = "ListObjects"
	ListObjectsV2                   Op = "ListObjectsV2"
	ListObjectVersions              Op = "ListObjectVersions"
	ListMultipartUploads            Op = "ListMultipartUploads"
	DeleteObjects                   Op = "DeleteObjects"
	GetObject                       Op = "GetObject"
	HeadObject                      Op = "HeadObject"
	GetObjectAttributes             Op = "GetObjectAttributes"
	GetObjectTagging                Op = "GetObjectTagging"
	PutObject                       Op = "PutObject"
	PutObjectTagging                Op = "PutObjectTagging"
	CopyObject                      Op = "CopyObject"
	DeleteObject                    Op = "DeleteObject"
	DeleteObjectTagging             Op = "DeleteObjectTagging"
	CreateMultipartUpload           Op = "CreateMultipartUpload"
	UploadPart                      Op = "UploadPart"
	UploadPartCopy                  Op = "UploadPartCopy"
	CompleteMultipartUpload         Op = "CompleteMultipartUpload"
	AbortMultipartUpload            Op = "AbortMultipartUpload"
	ListParts                       Op = "ListParts"
	Other                           Op = "Other"
)

// Call is what the proxy makes of one request: the S3 operation, and the
// bucket and key it addresses (path-style addressing, which an endpoint
// given as an IP address implies).
type Call struct {
	Method string
	Op     Op
	Bucket string
	// Key is the object's key, empty for bucket and service operations.
	Key string
	// Prefix is a listing's prefix parameter.
	Prefix string
}

// Classify names the S3 operation of r.
func Classify(r *http.Request) Call {
	c := Call{Method: r.Method}
	path := strings.TrimPrefix(r.URL.Path, "/")
	c.Bucket, c.Key, _ = strings.Cut(path, "/")
	q := r.URL.Query()
	switch {
	case c.Bucket == "":
		c.Op = Other
		if r.Method == http.MethodGet {
			c.Op = ListBuckets
		}
	case c.Key == "":
		c.Op = bucketOp(r.Method, q)
		c.Prefix = q.Get("prefix")
	default:
		c.Op = objectOp(r.Method, q, r.Header.Get("X-Amz-Copy-Source") != "")
	}
	return c
}

// listingParams are the query parameters of ListObjects and
// ListObjectsV2; a bucket GET with any other is not a listing of objects.
var listingParams = map[string]bool{
	"prefix": true, "delimiter": true, "marker": true, "max-keys": true,
	"encoding-type": true, "continuation-token": true, "start-after": true,
	"fetch-owner": true, "list-type": true,
	"x-id": true, // the Go SDK names the operation this way
}

func bucketOp(method string, q url.Values) Op {
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("versions"):
			return ListObjectVersions
		case q.Has("uploads"):
			return ListMultipartUploads
		case q.Has("versioning"):
			return GetBucketVersioning
		case q.Has("location"):
			return GetBucketLocation
		case q.Has("lifecycle"):
			return GetBucketLifecycleConfiguration
		}
		for k := range q {
			if !listingParams[k] {
				return Other
			}
		}
		if q.Get("list-type") == "2" {
			return ListObjectsV2
		}
		return ListObjects
	case http.MethodHead:
		return HeadBucket
	case http.MethodPut:
		switch {
		case q.Has("versioning"):
			return PutBucketVersioning
		case q.Has("lifecycle"):
			return PutBucketLifecycleConfiguration
		case len(q) == 0:
			return CreateBucket
		}
	case http.MethodDelete:
		switch {
		case q.Has("lifecycle"):
			return DeleteBucketLifecycle
		case len(q) == 0:
			return DeleteBucket
		}
	case http.MethodPost:
		if q.Has("delete") {
			return DeleteObjects
		}
	}
	return Other
}

func objectOp(method string, q url.Values, copySource bool) Op {
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("attributes"):
			return GetObjectAttributes
		case q.Has("uploadId"):
			return ListParts
		case q.Has("tagging"):
			return GetObjectTagging
		case q.Has("acl"), q.Has("retention"), q.Has("legal-hold"), q.Has("torrent"):
			return Other
		}
		return GetObject
	case http.MethodHead:
		return HeadObject
	case http.MethodPut:
		switch {
		case q.Has("uploadId") && q.Has("partNumber"):
			if copySource {
				return UploadPartCopy
			}
			return UploadPart
		case q.Has("tagging"):
			return PutObjectTagging
		case q.Has("acl"), q.Has("retention"), q.Has("legal-hold"):
			return Other
		case copySource:
			return CopyObject
		}
		return PutObject
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return CreateMultipartUpload
		case q.Has("uploadId"):
			return CompleteMultipartUpload
		}
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return AbortMultipartUpload
		case q.Has("tagging"):
			return DeleteObjectTagging
		}
		return DeleteObject
	}
	return Other
}
