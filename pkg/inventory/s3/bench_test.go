package s3_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// headServer answers every HEAD of an object as S3 does for a single-part
// object, and GetBucketVersioning as an unversioned bucket: the client's
// own cost per HEAD is what is left to measure.
func headServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.RawQuery, "versioning") {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`))
			return
		}
		h := w.Header()
		h.Set("ETag", `"9e107d9d372bb6826bd81d3542a419d6"`)
		h.Set("Last-Modified", "Tue, 01 Dec 2026 06:00:00 GMT")
		h.Set("Content-Length", "4096")
		h.Set("Content-Type", "application/octet-stream")
		h.Set("x-amz-request-id", "4442587FB7D0A2F9")
		h.Set("x-amz-server-side-encryption", "AES256")
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHead is the client's CPU per HEAD of one object, as a run
// resolving a changed key spends it (two per key).
func BenchmarkHead(b *testing.B) {
	srv := headServer(b)
	store, err := s3store.New(context.Background(), s3store.Config{
		Name: "bench", Bucket: "bench", Region: motoserver.Region,
		Endpoint: srv.URL, PathStyle: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := store.Head(ctx, "folder-042/object-000123"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
