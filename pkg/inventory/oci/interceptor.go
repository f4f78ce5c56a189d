package oci

import (
	"net/http"
	"net/url"
	"strings"
)

// versionFields are the fields a version listing asks for.
const versionFields = "name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState"

// versionFieldsInterceptor asks ListObjectVersions for every field the
// listing needs. The SDK types ListObjectVersionsRequest.Fields as an enum
// of single field names and rejects a comma-separated list before sending,
// although the service takes one (as ListObjects does, whose Fields is a
// plain string). The interceptor runs after the SDK built the request and
// before it signs it, so the signed query is the one sent.
func versionFieldsInterceptor(r *http.Request) error {
	segs := strings.Split(r.URL.Path, "/") // "", "n", ns, "b", bucket, "objectversions"
	if r.Method != http.MethodGet || len(segs) != 6 || segs[3] != "b" || segs[5] != "objectversions" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	q.Set("fields", versionFields)
	r.URL.RawQuery = q.Encode()
	return nil
}
