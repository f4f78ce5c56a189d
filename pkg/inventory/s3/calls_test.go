package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
)

// canned answers every request with one response; the body fails with
// readErr after its bytes, if set.
type canned struct {
	status  int
	header  http.Header
	body    string
	readErr error
}

func (c canned) Do(r *http.Request) (*http.Response, error) {
	var body io.Reader = strings.NewReader(c.body)
	if c.readErr != nil {
		body = io.MultiReader(body, failingReader{c.readErr})
	}
	h := http.Header{"Content-Type": {"application/xml"}}
	for k, v := range c.header {
		h[k] = v
	}
	return &http.Response{StatusCode: c.status, Header: h, Body: io.NopCloser(body), Request: r}, nil
}

func cannedClient(c canned) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String("http://s3.test"),
		UsePathStyle: true,
		HTTPClient:   c,
		Retryer:      aws.NopRetryer{},
	})
}

// records keeps the messages logged.
type records struct{ msgs []string }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

var exported = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && (!token.IsExported(sf.Name()) || sf.Name() == "ResultMetadata")
}, cmp.Ignore())

const leftToSDK = "listing response left to the SDK's deserializer"

// Whatever a listing response is, a call with the listxml option returns
// what the SDK alone returns — the same output or the same error — and
// only a successful response in listxml's subset skips the SDK's
// deserializer.
func TestListingCallsAnswerAsTheSDKDoes(t *testing.T) {
	page := `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken><Contents><Key>a%26b</Key><LastModified>2026-11-30T09:14:02.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`
	versions := `<ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated><Version><Key>k</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><ETag>&quot;x&quot;</ETag><Size>1</Size></Version><DeleteMarker><Key>k</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest></DeleteMarker></ListVersionsResult>`
	for _, tc := range []struct {
		name     string
		resp     canned
		wantFast bool
	}{
		{"a page in the subset", canned{status: 200, body: page, header: http.Header{"X-Amz-Request-Charged": {" requester "}}}, true},
		{"a page with a comment", canned{status: 200, body: strings.Replace(page, "<Name>", "<!-- c --><Name>", 1)}, false},
		{"a page the SDK refuses", canned{status: 200, body: strings.Replace(page, "<Size>7", "<Size>seven", 1)}, false},
		{"a truncated page", canned{status: 200, body: page[:len(page)/2]}, false},
		{"a body that fails to read", canned{status: 200, body: page[:len(page)/2], readErr: errors.New("connection reset by peer")}, false},
		{"an error response", canned{status: 404, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName></Error>`}, false},
		{"a versions page in the subset", canned{status: 200, body: versions}, true},
		{"a versions page with CDATA", canned{status: 200, body: strings.Replace(versions, "<Key>k</Key>", "<Key><![CDATA[k]]></Key>", 1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &records{}
			l := &listDecoders{log: slog.New(rec)}
			client := cannedClient(tc.resp)
			var want, got any
			var wantErr, gotErr error
			if strings.Contains(tc.name, "versions") {
				in := &awss3.ListObjectVersionsInput{Bucket: aws.String("b")}
				want, wantErr = client.ListObjectVersions(ctx, in)
				got, gotErr = client.ListObjectVersions(ctx, in, l.objectVersions)
			} else {
				in := &awss3.ListObjectsV2Input{Bucket: aws.String("b")}
				want, wantErr = client.ListObjectsV2(ctx, in)
				got, gotErr = client.ListObjectsV2(ctx, in, l.objectsV2)
			}
			if diff := cmp.Diff(errString(wantErr), errString(gotErr)); diff != "" {
				t.Errorf("error (-SDK alone +with listxml):\n%s", diff)
			}
			if wantErr == nil {
				if diff := cmp.Diff(want, got, exported); diff != "" {
					t.Errorf("output (-SDK alone +with listxml):\n%s", diff)
				}
			}
			if fast := l.decoded.Load() == 1; fast != tc.wantFast {
				t.Errorf("decoded by listxml: %v, want %v", fast, tc.wantFast)
			}
			var wantLog []string
			if !tc.wantFast && tc.resp.status == 200 && tc.resp.readErr == nil {
				wantLog = []string{leftToSDK}
			}
			if diff := cmp.Diff(wantLog, rec.msgs); diff != "" {
				t.Errorf("logged (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The buffer a body is read into goes back to the pool for the next
// response, and a result never shares its bytes: every page keeps its key
// while later pages are read into the same buffers. sync.Pool may drop
// what it holds at a GC, or when the goroutine moves to another P between
// a Put and the next Get, and under the race detector it drops a quarter
// of what it is given, so the test asks that most responses reuse a
// buffer, not all. (It once asked the pool for a used buffer after two
// responses, and failed in CI when the pool had none to give.)
func TestListingBuffersAreReused(t *testing.T) {
	ctx := context.Background()
	l := &listDecoders{log: slog.New(slog.DiscardHandler)}
	made := 0
	l.bufs.New = func() any { made++; return new(bytes.Buffer) }
	const pages = 50
	keys := make([]*string, pages)
	for i := range pages {
		body := fmt.Sprintf(`<ListBucketResult><Contents><Key>key-%02d</Key></Contents></ListBucketResult>`, i)
		out, err := cannedClient(canned{status: 200, body: body}).ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("b")}, l.objectsV2)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 {
			t.Fatalf("page %d: %d objects, want 1", i, len(out.Contents))
		}
		keys[i] = out.Contents[0].Key
	}
	for i, k := range keys {
		if diff := cmp.Diff(fmt.Sprintf("key-%02d", i), aws.ToString(k)); diff != "" {
			t.Errorf("page %d's key after %d more pages were read (-want +got):\n%s", i, pages-1-i, diff)
		}
	}
	if got := l.decoded.Load(); got != pages {
		t.Errorf("listxml decoded %d responses, want %d", got, pages)
	}
	// Without the race detector 1 to 4 were made in 300 runs; with it, up
	// to 22 in 200 runs, and 26 with GOGC=1 as well.
	if made > pages*3/4 {
		t.Errorf("%d buffers made for %d responses read one after another, want at most %d (the rest reused)", made, pages, pages*3/4)
	}
}

// A HeadObject call leaves out the SDK's check of a 200 response's body
// for an error document, and answers as the SDK alone does.
func TestHeadLeavesOutTheBodyCheck(t *testing.T) {
	ctx := context.Background()
	var deserialize []string
	record := func(o *awss3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			deserialize = st.Deserialize.List()
			return nil
		})
	}
	resp := canned{status: 200, header: http.Header{
		"Content-Length": {"7"}, "Etag": {`"9b2cf535f27731c974343645a3985328"`},
		"Last-Modified": {"Mon, 30 Nov 2026 09:14:02 GMT"}, "X-Amz-Checksum-Crc64nvme": {"AAAAAAAAAAA="},
		"X-Amz-Server-Side-Encryption": {"AES256"},
	}}
	in := &awss3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), ChecksumMode: "ENABLED"}
	want, err := cannedClient(resp).HeadObject(ctx, in, record)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(deserialize, bodyCheck) {
		t.Fatalf("the SDK's HeadObject has no %s middleware (%v): the ID changed?", bodyCheck, deserialize)
	}
	got, err := cannedClient(resp).HeadObject(ctx, in, withoutBodyCheck, record)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(deserialize, bodyCheck) {
		t.Errorf("%s still in the call's middleware: %v", bodyCheck, deserialize)
	}
	if diff := cmp.Diff(want, got, exported); diff != "" {
		t.Errorf("HeadObject output (-SDK alone +without the body check):\n%s", diff)
	}
}
