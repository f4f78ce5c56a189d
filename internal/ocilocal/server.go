// Package ocilocal is a local OCI Object Storage emulator. It serves the
// Object Storage REST API (namespaces, buckets, objects, listings, object
// versions, multipart uploads, archive restores) faithfully enough for the
// unmodified OCI SDK and CLI, and like the real service it rejects every
// request that does not carry a valid request signature from a configured
// key. Tests start it in-process with [Start]; cmd/ocilocal serves it on
// its own.
//
// State lives in memory, or with [Options.DataDir] in a folder so that it
// survives a restart. [Faults] inject throttling, server errors, latency and
// connection resets.
package ocilocal

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a [Server].
type Options struct {
	// Namespace is the tenancy's Object Storage namespace, "ocilocal" when
	// empty.
	Namespace string
	// Keys are the public keys whose signatures are accepted. A request's
	// keyId ("tenancy/user/fingerprint") is matched by its fingerprint.
	Keys []*rsa.PublicKey
	// DataDir keeps the state in a folder when set, so that it survives a
	// restart; empty keeps it in memory.
	DataDir string
	// Faults are injected from the start; see also [Server.SetFaults].
	Faults Faults
	// MaxClockSkew is how far a request's Date may be from the server's
	// clock, 5 minutes (the real service's limit) when zero.
	MaxClockSkew time.Duration
	// RestoreDelay is how long a restore of an archived object takes before
	// the object can be read; the real service takes hours, 0 is instant.
	RestoreDelay time.Duration
	// Now is the clock, time.Now when nil.
	Now func() time.Time
	// Logger receives a debug line per request; slog.Default when nil.
	Logger *slog.Logger
}

// Server is the emulator, an [http.Handler]. It is safe for concurrent use.
type Server struct {
	namespace    string
	keys         map[string]*rsa.PublicKey // by fingerprint
	maxSkew      time.Duration
	restoreDelay time.Duration
	now          func() time.Time
	log          *slog.Logger
	st           *state
	faults       faultInjector
	requests     map[string]*atomic.Int64 // by operation, "unknown" for the rest
}

// New returns a server with opts. With a DataDir it loads the state kept
// there; call [Server.Close] to release it.
func New(opts Options) (*Server, error) {
	s := &Server{
		namespace:    opts.Namespace,
		keys:         map[string]*rsa.PublicKey{},
		maxSkew:      opts.MaxClockSkew,
		restoreDelay: opts.RestoreDelay,
		now:          opts.Now,
		log:          opts.Logger,
	}
	if s.namespace == "" {
		s.namespace = "ocilocal"
	}
	if s.maxSkew <= 0 {
		s.maxSkew = 5 * time.Minute
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if len(opts.Keys) == 0 {
		return nil, errors.New("ocilocal: no public key configured: every request must be signed by a configured key")
	}
	for _, k := range opts.Keys {
		fp, err := Fingerprint(k)
		if err != nil {
			return nil, fmt.Errorf("ocilocal: %w", err)
		}
		s.keys[fp] = k
	}
	st, err := openState(opts.DataDir, s.log)
	if err != nil {
		return nil, fmt.Errorf("ocilocal: %w", err)
	}
	s.st = st
	s.faults.set(opts.Faults)
	s.requests = map[string]*atomic.Int64{"unknown": {}}
	for _, op := range Operations {
		s.requests[op] = &atomic.Int64{}
	}
	return s, nil
}

// Namespace returns the namespace the server serves.
func (s *Server) Namespace() string { return s.namespace }

// SetFaults replaces the injected faults; the zero Faults turns them off.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

// FaultStats returns the faults injected so far.
func (s *Server) FaultStats() FaultStats { return s.faults.stats() }

// Requests returns how many requests for the operation op the server has
// received, faulted and rejected ones included.
func (s *Server) Requests(op string) int64 {
	if c, ok := s.requests[op]; ok {
		return c.Load()
	}
	return 0
}

// Close releases the state (the journal of a data directory).
func (s *Server) Close() error { return s.st.close() }

// Operation names, as the OCI API reference and [Faults.Operations] spell
// them.
const (
	opGetNamespace          = "GetNamespace"
	opCreateBucket          = "CreateBucket"
	opListBuckets           = "ListBuckets"
	opGetBucket             = "GetBucket"
	opHeadBucket            = "HeadBucket"
	opUpdateBucket          = "UpdateBucket"
	opDeleteBucket          = "DeleteBucket"
	opListObjects           = "ListObjects"
	opListObjectVersions    = "ListObjectVersions"
	opPutObject             = "PutObject"
	opGetObject             = "GetObject"
	opHeadObject            = "HeadObject"
	opDeleteObject          = "DeleteObject"
	opRestoreObjects        = "RestoreObjects"
	opCreateMultipartUpload = "CreateMultipartUpload"
	opListMultipartUploads  = "ListMultipartUploads"
	opUploadPart            = "UploadPart"
	opCommitMultipartUpload = "CommitMultipartUpload"
	opListUploadParts       = "ListMultipartUploadParts"
	opAbortMultipartUpload  = "AbortMultipartUpload"
)

// Operations lists the operations the server implements.
var Operations = []string{
	opGetNamespace, opCreateBucket, opListBuckets, opGetBucket, opHeadBucket, opUpdateBucket,
	opDeleteBucket, opListObjects, opListObjectVersions, opPutObject, opGetObject, opHeadObject,
	opDeleteObject, opRestoreObjects, opCreateMultipartUpload, opListMultipartUploads, opUploadPart,
	opCommitMultipartUpload, opListUploadParts, opAbortMultipartUpload,
}

// request is one routed request.
type request struct {
	op        string
	namespace string
	bucket    string
	object    string
	r         *http.Request
	w         http.ResponseWriter
}

// route maps a request to its operation. Path segments are unescaped one by
// one, so an object name may contain "/" whether or not the client escaped
// it. An unknown route returns op "" and an error to answer after the
// signature check.
func route(r *http.Request) (request, *apiError) {
	req := request{r: r}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	unescape := func(s string) (string, *apiError) {
		v, err := url.PathUnescape(s)
		if err != nil {
			return "", &apiError{status: http.StatusBadRequest, code: "InvalidParameter", msg: fmt.Sprintf("Bad path escape %q.", s)}
		}
		return v, nil
	}
	m := r.Method
	notFound := &apiError{status: http.StatusNotFound, code: "NotFound", msg: fmt.Sprintf("No such route: %s %s.", m, r.URL.EscapedPath())}
	if len(segs) == 0 || segs[0] != "n" {
		return req, notFound
	}
	// Object routes keep everything after /o/ or /u/ as the name.
	if len(segs) >= 6 && segs[2] == "b" && (segs[4] == "o" || segs[4] == "u") {
		var e *apiError
		if req.namespace, e = unescape(segs[1]); e != nil {
			return req, e
		}
		if req.bucket, e = unescape(segs[3]); e != nil {
			return req, e
		}
		if req.object, e = unescape(strings.Join(segs[5:], "/")); e != nil {
			return req, e
		}
		if req.object == "" {
			return req, &apiError{status: http.StatusBadRequest, code: "InvalidParameter", msg: "The object name is empty."}
		}
		var ops map[string]string
		if segs[4] == "o" {
			ops = map[string]string{http.MethodPut: opPutObject, http.MethodGet: opGetObject, http.MethodHead: opHeadObject, http.MethodDelete: opDeleteObject}
		} else {
			ops = map[string]string{http.MethodPut: opUploadPart, http.MethodPost: opCommitMultipartUpload, http.MethodGet: opListUploadParts, http.MethodDelete: opAbortMultipartUpload}
		}
		if req.op = ops[m]; req.op == "" {
			return req, methodNotAllowed(m)
		}
		return req, nil
	}
	for len(segs) > 1 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1]
	}
	var e *apiError
	if len(segs) >= 2 {
		if req.namespace, e = unescape(segs[1]); e != nil {
			return req, e
		}
	}
	if len(segs) >= 4 {
		if req.bucket, e = unescape(segs[3]); e != nil {
			return req, e
		}
	}
	pick := func(ops map[string]string) (request, *apiError) {
		if req.op = ops[m]; req.op == "" {
			return req, methodNotAllowed(m)
		}
		return req, nil
	}
	switch {
	case len(segs) == 1 || (len(segs) == 2 && segs[1] == ""):
		return pick(map[string]string{http.MethodGet: opGetNamespace})
	case len(segs) == 3 && segs[2] == "b":
		return pick(map[string]string{http.MethodPost: opCreateBucket, http.MethodGet: opListBuckets})
	case len(segs) == 4 && segs[2] == "b":
		return pick(map[string]string{http.MethodGet: opGetBucket, http.MethodHead: opHeadBucket, http.MethodPost: opUpdateBucket, http.MethodDelete: opDeleteBucket})
	case len(segs) == 5 && segs[2] == "b" && segs[4] == "o":
		return pick(map[string]string{http.MethodGet: opListObjects})
	case len(segs) == 5 && segs[2] == "b" && segs[4] == "objectversions":
		return pick(map[string]string{http.MethodGet: opListObjectVersions})
	case len(segs) == 5 && segs[2] == "b" && segs[4] == "u":
		return pick(map[string]string{http.MethodPost: opCreateMultipartUpload, http.MethodGet: opListMultipartUploads})
	case len(segs) == 6 && segs[2] == "b" && segs[4] == "actions" && segs[5] == "restoreObjects":
		return pick(map[string]string{http.MethodPost: opRestoreObjects})
	}
	return req, notFound
}

func methodNotAllowed(m string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", msg: fmt.Sprintf("Method %s is not allowed here.", m)}
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	reqID := newID(16)
	w.Header().Set("opc-request-id", reqID)
	req, routeErr := route(r)
	req.w = w
	op := req.op
	if op == "" {
		op = "unknown"
	}
	s.requests[op].Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	req.w = rec
	defer func() {
		s.log.Debug("request", "op", op, "method", r.Method, "path", r.URL.EscapedPath(),
			"status", rec.status, "request_id", reqID, "elapsed", s.now().Sub(start))
	}()
	if s.inject(r.Context(), rec, op) {
		return
	}
	if err := s.authenticate(r, op); err != nil {
		s.log.Info("request rejected", "op", op, "request_id", reqID, "err", err)
		writeError(rec, r, &apiError{status: http.StatusUnauthorized, code: "NotAuthenticated", msg: err.Error()})
		return
	}
	if routeErr != nil {
		writeError(rec, r, routeErr)
		return
	}
	if op != opGetNamespace && req.namespace != s.namespace {
		writeError(rec, r, &apiError{status: http.StatusNotFound, code: "NamespaceNotFound",
			msg: fmt.Sprintf("You do not have authorization to perform this request, or the namespace %q could not be found.", req.namespace)})
		return
	}
	if err := s.dispatch(req); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			if errors.Is(err, errUnauthenticated) {
				ae = &apiError{status: http.StatusUnauthorized, code: "NotAuthenticated", msg: err.Error()}
			} else {
				s.log.Error("request failed", "op", op, "request_id", reqID, "err", err)
				ae = &apiError{status: http.StatusInternalServerError, code: "InternalServerError", msg: err.Error()}
			}
		}
		writeError(rec, r, ae)
	}
}

func (s *Server) dispatch(req request) error {
	switch req.op {
	case opGetNamespace:
		return writeJSON(req.w, http.StatusOK, s.namespace)
	case opCreateBucket:
		return s.createBucket(req)
	case opListBuckets:
		return s.listBuckets(req)
	case opGetBucket, opHeadBucket:
		return s.getBucket(req)
	case opUpdateBucket:
		return s.updateBucket(req)
	case opDeleteBucket:
		return s.deleteBucket(req)
	case opListObjects:
		return s.listObjects(req)
	case opListObjectVersions:
		return s.listObjectVersions(req)
	case opPutObject:
		return s.putObject(req)
	case opGetObject, opHeadObject:
		return s.getObject(req)
	case opDeleteObject:
		return s.deleteObject(req)
	case opRestoreObjects:
		return s.restoreObjects(req)
	case opCreateMultipartUpload:
		return s.createMultipartUpload(req)
	case opListMultipartUploads:
		return s.listMultipartUploads(req)
	case opUploadPart:
		return s.uploadPart(req)
	case opCommitMultipartUpload:
		return s.commitMultipartUpload(req)
	case opListUploadParts:
		return s.listUploadParts(req)
	case opAbortMultipartUpload:
		return s.abortMultipartUpload(req)
	}
	return &apiError{status: http.StatusNotImplemented, code: "NotImplemented", msg: req.op + " is not implemented."}
}

// apiError is an error answer in the service's JSON form.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidParameter", msg: fmt.Sprintf(format, args...)}
}

// writeError answers with e. HEAD answers carry no body, as the real
// service's do.
func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if r != nil && r.Method == http.MethodHead {
		w.WriteHeader(e.status)
		return
	}
	body, _ := json.Marshal(map[string]string{"code": e.code, "message": e.msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body) // the client went away: nothing to tell it
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding answer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// maxJSONBody bounds the JSON bodies the server reads.
const maxJSONBody = 1 << 20

// readJSON reads the whole body (so that a signed body hash is checked)
// and decodes it into v.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		if errors.Is(err, errUnauthenticated) {
			return err
		}
		return badRequest("Reading the request body: %v.", err)
	}
	if len(body) > maxJSONBody {
		return badRequest("The request body is larger than %d bytes.", maxJSONBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("The request body is not valid JSON: %v.", err)
	}
	return nil
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Hijack lets fault injection reset the connection.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// newID returns n random bytes in hex.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random UUID, the form OCI uses for ETags and version ids.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
