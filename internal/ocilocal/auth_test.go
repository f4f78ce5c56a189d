package ocilocal_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

func TestSignatures(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	e.Put(t, "b", "target", []byte("secret"))
	e.Put(t, "b", "other", []byte("other"))
	ctx := context.Background()
	testFP, err := ocilocal.Fingerprint(&ocilocaltest.Key().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	own := ocilocaltest.Provider(t, ocilocaltest.Key(), "") // the key the server accepts

	// tamper returns a client that signs with p and lets change alter each
	// signed request before it is sent.
	tamper := func(p common.ConfigurationProvider, change func(*http.Request)) objectstorage.ObjectStorageClient {
		c := e.NewClient(t, p)
		c.HTTPClient = dispatcher(func(r *http.Request) (*http.Response, error) {
			change(r)
			return http.DefaultClient.Do(r)
		})
		return c
	}
	untouched := func(*http.Request) {}
	get := func(c objectstorage.ObjectStorageClient) error {
		resp, err := c.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("target")})
		if err == nil {
			resp.Content.Close()
		}
		return err
	}
	createBucket := func(c objectstorage.ObjectStorageClient) error {
		_, err := c.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: e.ns, CreateBucketDetails: objectstorage.CreateBucketDetails{
			Name: common.String("made"), CompartmentId: common.String("ocid1.compartment.oc1..aaaa")}})
		return err
	}

	tests := []struct {
		name string
		do   func(objectstorage.ObjectStorageClient) error
		c    objectstorage.ObjectStorageClient
		want int
	}{
		{"ValidSignature", get, tamper(own, untouched), 0},
		{"WrongKeyClaimingTheFingerprint", get, tamper(ocilocaltest.Provider(t, ocilocaltest.OtherKey(), testFP), untouched), 401},
		{"UnknownKey", get, tamper(ocilocaltest.Provider(t, ocilocaltest.OtherKey(), ""), untouched), 401},
		{"MissingAuthorization", get, tamper(own, func(r *http.Request) { r.Header.Del("Authorization") }), 401},
		{"MissingDateHeader", get, tamper(own, func(r *http.Request) { r.Header.Del("Date") }), 401},
		{"ChangedDate", get, tamper(own, func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(time.Second*-2).UTC().Format(http.TimeFormat))
		}), 401},
		{"ChangedPath", get, tamper(own, func(r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/target", "/other", 1)
			r.URL.RawPath = ""
		}), 401},
		{"ChangedQuery", get, tamper(own, func(r *http.Request) { r.URL.RawQuery = "versionId=x" }), 401},
		{"ValidBody", createBucket, tamper(own, untouched), 0},
		{"ChangedBodySameLength", createBucket, tamper(own, func(r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			body = bytes.Replace(body, []byte(`"made"`), []byte(`"evil"`), 1)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}), 401},
		{"BodyHeadersNotSigned", createBucket, tamper(own, func(r *http.Request) {
			// Re-sign without the body headers, as a signer for GETs would.
			common.RequestSignerExcludeBody(own).Sign(r)
		}), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := status(t, tt.do(tt.c))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HTTP status (-want +got):\n%s", diff)
			}
		})
	}

	// Rejected requests did not act: the bucket made by ValidBody is the
	// only new one, and "evil" does not exist.
	_, err = e.Client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: e.ns, BucketName: common.String("evil")})
	if diff := cmp.Diff(statusCode{404, "BucketNotFound"}, statusOf(t, err)); diff != "" {
		t.Errorf("bucket from a tampered body (-want +got):\n%s", diff)
	}
}

func TestStaleDateIsRejected(t *testing.T) {
	clock := &fakeClock{}
	e := start(t, ocilocal.Options{Now: clock.now})
	ctx := context.Background()
	if _, err := e.Client.GetNamespace(ctx, objectstorage.GetNamespaceRequest{}); err != nil {
		t.Fatal(err)
	}
	clock.advance(6 * time.Minute) // the real service allows 5
	_, err := e.Client.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
	if diff := cmp.Diff(statusCode{401, "NotAuthenticated"}, statusOf(t, err)); diff != "" {
		t.Errorf("request dated 6 minutes before the server's clock (-want +got):\n%s", diff)
	}
}

func TestHeadNotFoundHasEmptyBody(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	for _, path := range []string{"/n/ocilocal/b/b/o/absent", "/n/ocilocal/b/nobucket/o/absent", "/n/ocilocal/b/nobucket"} {
		req, err := http.NewRequest(http.MethodHead, e.Endpoint+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		if err := common.DefaultRequestSigner(ocilocaltest.Provider(t, ocilocaltest.Key(), "")).Sign(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if diff := cmp.Diff([]any{404, ""}, []any{resp.StatusCode, string(body)}); diff != "" {
			t.Errorf("HEAD %s (-want +got):\n%s", path, diff)
		}
	}
}
