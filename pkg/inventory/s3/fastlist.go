package s3

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parityproof/parityproof/pkg/inventory/s3/internal/listxml"
)

// Listing responses are decoded by listxml rather than by the SDK's
// deserializers, which spend most of a listing's client CPU in
// encoding/xml's tokenizer. Only the body's decoding changes: signing,
// retries, errors and every response listxml does not read (an error, a
// body outside its XML subset) stay the SDK's.

// listDecoders holds the buffers listing bodies are read into.
type listDecoders struct {
	bufs sync.Pool    // *bytes.Buffer
	log  *slog.Logger // says when a response is left to the SDK
	// decoded counts the responses listxml decoded (tests read it).
	decoded atomic.Int64
}

// objectsV2 is the call option that decodes a ListObjectsV2 response
// with listxml.
func (l *listDecoders) objectsV2(o *awss3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return swapDeserializer(st, l, func(body []byte, h http.Header) (any, error) {
			out := &awss3.ListObjectsV2Output{RequestCharged: requestCharged(h)}
			return out, listxml.ListObjectsV2(body, out)
		})
	})
}

// objectVersions is objectsV2 for ListObjectVersions.
func (l *listDecoders) objectVersions(o *awss3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return swapDeserializer(st, l, func(body []byte, h http.Header) (any, error) {
			out := &awss3.ListObjectVersionsOutput{RequestCharged: requestCharged(h)}
			return out, listxml.ListObjectVersions(body, out)
		})
	})
}

// requestCharged is the header binding both listings have, read as the
// SDK reads it.
func requestCharged(h http.Header) types.RequestCharged {
	if v := h.Values("x-amz-request-charged"); len(v) != 0 {
		return types.RequestCharged(strings.TrimSpace(v[0]))
	}
	return ""
}

// maxPresize bounds the buffer made ready for a body from its
// Content-Length alone; a page of a thousand keys is well under it, and a
// larger body still reads, growing as it comes.
const maxPresize = 16 << 20

// operationDeserializer is the ID the SDK gives every operation's
// deserializer.
const operationDeserializer = "OperationDeserializer"

func swapDeserializer(st *middleware.Stack, l *listDecoders, decode func([]byte, http.Header) (any, error)) error {
	sdk, ok := st.Deserialize.Get(operationDeserializer)
	if !ok {
		return nil // nothing to stand in for: the SDK decodes as it will
	}
	_, err := st.Deserialize.Swap(operationDeserializer, &fastDeserializer{sdk: sdk, decode: decode, l: l})
	return err
}

// fastDeserializer decodes a successful response's body with decode, and
// hands every other response, and any body decode cannot read, to the
// SDK's deserializer.
type fastDeserializer struct {
	sdk    middleware.DeserializeMiddleware
	decode func([]byte, http.Header) (any, error)
	l      *listDecoders
}

func (*fastDeserializer) ID() string { return operationDeserializer }

func (m *fastDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return m.sdk.HandleDeserialize(ctx, in, replay{out, md, err})
	}
	buf, _ := m.l.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer m.l.bufs.Put(buf)
	buf.Reset()
	if n := resp.ContentLength; n > 0 && n <= maxPresize {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare to see EOF without growing
	}
	_, readErr := buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if readErr == nil {
		result, err := m.decode(buf.Bytes(), resp.Header)
		if err == nil {
			m.l.decoded.Add(1)
			out.Result = result
			return out, md, nil
		}
		m.l.log.DebugContext(ctx, "listing response left to the SDK's deserializer", "reason", err)
	}
	// The SDK decides, reading the same bytes and meeting the same error.
	var body io.Reader = bytes.NewReader(buf.Bytes())
	if readErr != nil {
		body = io.MultiReader(body, failingReader{readErr})
	}
	resp.Body = io.NopCloser(body)
	return m.sdk.HandleDeserialize(ctx, in, replay{out, md, nil})
}

// replay answers the SDK's deserializer with a response already received.
type replay struct {
	out middleware.DeserializeOutput
	md  middleware.Metadata
	err error
}

func (r replay) HandleDeserialize(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return r.out, r.md, r.err
}

// failingReader gives err, as the response body did.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }
