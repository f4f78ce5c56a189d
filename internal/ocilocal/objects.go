package ocilocal

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func objectNotFound(req request) *apiError {
	return &apiError{status: http.StatusNotFound, code: "ObjectNotFound",
		msg: fmt.Sprintf("The object '%s' was not found in the bucket '%s'", req.object, req.bucket)}
}

// checksumAlgorithm parses opc-checksum-algorithm: "" (MD5 only), CRC32C,
// SHA256 or SHA384.
func checksumAlgorithm(h http.Header) (string, error) {
	alg := strings.ToUpper(h.Get("opc-checksum-algorithm"))
	switch alg {
	case "", "CRC32C", "SHA256", "SHA384":
		return alg, nil
	}
	return "", badRequest("Invalid opc-checksum-algorithm %q: use CRC32C, SHA256 or SHA384.", h.Get("opc-checksum-algorithm"))
}

// newAlgHash returns the hash of an additional checksum algorithm, and the
// header that carries its value.
func newAlgHash(alg string) (hash.Hash, string) {
	switch alg {
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), "opc-content-crc32c"
	case "SHA256":
		return sha256.New(), "opc-content-sha256"
	case "SHA384":
		return sha512.New384(), "opc-content-sha384"
	}
	return nil, ""
}

// received is a request body stored in a blob, with its digests.
type received struct {
	blob   string
	size   int64
	md5    []byte
	digest []byte // of the checksum algorithm, nil without one
}

// receive streams the request body into a new blob while hashing it, and
// checks Content-MD5 and the algorithm's opc-content-* header against what
// arrived. On error nothing is kept.
func (s *Server) receive(req request, alg string) (received, error) {
	h := req.r.Header
	md5h := md5.New()
	algHash, algHeader := newAlgHash(alg)
	writers := []io.Writer{md5h}
	if algHash != nil {
		writers = append(writers, algHash)
	}
	blob := newID(16)
	n, err := s.st.blobs.create(blob, io.TeeReader(req.r.Body, io.MultiWriter(writers...)))
	if err != nil {
		_ = s.st.blobs.remove(blob) // the request failed either way
		if errors.Is(err, errUnauthenticated) {
			return received{}, err
		}
		return received{}, badRequest("Reading the request body: %v.", err)
	}
	got := received{blob: blob, size: n, md5: md5h.Sum(nil)}
	if algHash != nil {
		got.digest = algHash.Sum(nil)
	}
	fail := func(e *apiError) (received, error) {
		_ = s.st.blobs.remove(blob) // the request failed either way
		return received{}, e
	}
	if want := h.Get("Content-MD5"); want != "" && want != b64(got.md5) {
		return fail(&apiError{status: http.StatusBadRequest, code: "UnmatchedContentMD5",
			msg: fmt.Sprintf("The computed MD5 of the request body (%s) does not match the Content-MD5 header (%s)", b64(got.md5), want)})
	}
	if algHash != nil {
		if want := h.Get(algHeader); want != "" && want != b64(got.digest) {
			return fail(&apiError{status: http.StatusBadRequest, code: "UnmatchedContent" + alg,
				msg: fmt.Sprintf("The computed %s of the request body (%s) does not match the %s header (%s)", alg, b64(got.digest), algHeader, want)})
		}
	}
	return got, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// objectAttrs reads the headers a PutObject sets on the object.
func objectAttrs(h http.Header, v *version) {
	v.ContentType = h.Get("Content-Type")
	v.ContentEncoding = h.Get("Content-Encoding")
	v.ContentLanguage = h.Get("Content-Language")
	v.ContentDisposition = h.Get("Content-Disposition")
	v.CacheControl = h.Get("Cache-Control")
	for name, vals := range h {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "opc-meta-") && len(vals) > 0 {
			if v.Metadata == nil {
				v.Metadata = map[string]string{}
			}
			v.Metadata[strings.TrimPrefix(lower, "opc-meta-")] = vals[0]
		}
	}
}

func parseTier(s string, def string) (string, error) {
	switch {
	case s == "":
		return def, nil
	case strings.EqualFold(s, tierStandard):
		return tierStandard, nil
	case strings.EqualFold(s, tierInfrequentAccess):
		return tierInfrequentAccess, nil
	case strings.EqualFold(s, tierArchive):
		return tierArchive, nil
	}
	return "", badRequest("Invalid storage tier %q: use Standard, InfrequentAccess or Archive.", s)
}

// checkPreconditions applies If-Match and If-None-Match to a write of name.
func checkWritePreconditions(req request, cur *version) error {
	h := req.r.Header
	if m := h.Get("If-Match"); m != "" && (cur == nil || (m != "*" && m != cur.ETag)) {
		return &apiError{status: http.StatusPreconditionFailed, code: "IfMatchFailed", msg: "The If-Match header does not match the object's ETag."}
	}
	if m := h.Get("If-None-Match"); m == "*" && cur != nil {
		return &apiError{status: http.StatusConflict, code: "IfNoneMatchFailed", msg: fmt.Sprintf("The object '%s' already exists.", req.object)}
	}
	return nil
}

func (s *Server) putObject(req request) error {
	alg, err := checksumAlgorithm(req.r.Header)
	if err != nil {
		return err
	}
	s.st.mu.RLock()
	b, err := s.bucketLocked(req)
	var defTier string
	if err == nil {
		defTier = b.meta.StorageTier
	}
	s.st.mu.RUnlock()
	if err != nil {
		return err
	}
	tier, err := parseTier(req.r.Header.Get("storage-tier"), defTier)
	if err != nil {
		return err
	}
	got, err := s.receive(req, alg)
	if err != nil {
		return err
	}
	v := &version{
		Name: req.object, VersionID: newUUID(), Size: got.size,
		Segments: []segment{{Blob: got.blob, Size: got.size}},
		ETag:     newUUID(), MD5: b64(got.md5),
		Time:        s.now().UTC().Truncate(time.Millisecond),
		StorageTier: tier,
	}
	switch alg {
	case "CRC32C":
		v.CRC32C = b64(got.digest)
	case "SHA256":
		v.SHA256 = b64(got.digest)
	case "SHA384":
		v.SHA384 = b64(got.digest)
	}
	objectAttrs(req.r.Header, v)

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err = s.bucketLocked(req)
	if err == nil {
		err = checkWritePreconditions(req, b.current(req.object))
	}
	if err == nil {
		err = s.st.commit(record{Op: recPutVersion, Bucket: req.bucket, Version: v})
	}
	if err != nil {
		_ = s.st.blobs.remove(got.blob) // the request failed either way
		return err
	}
	wh := req.w.Header()
	wh.Set("ETag", v.ETag)
	wh.Set("opc-content-md5", v.MD5)
	wh.Set("Last-Modified", v.Time.Format(http.TimeFormat))
	wh.Set("version-id", v.VersionID)
	if _, header := newAlgHash(alg); header != "" {
		wh.Set(header, b64(got.digest))
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// setObjectHeaders writes the headers a HEAD or GET of v answers with.
func (s *Server) setObjectHeaders(h http.Header, v *version) {
	h.Set("ETag", v.ETag)
	h.Set("Last-Modified", v.Time.Format(http.TimeFormat))
	h.Set("version-id", v.VersionID)
	h.Set("Accept-Ranges", "bytes")
	if v.Parts == 0 {
		h.Set("Content-MD5", v.MD5)
		setIf(h, "opc-content-sha256", v.SHA256)
		setIf(h, "opc-content-sha384", v.SHA384)
	} else {
		h.Set("opc-multipart-md5", v.MD5)
		setIf(h, "opc-multipart-sha256", v.SHA256)
		setIf(h, "opc-multipart-sha384", v.SHA384)
	}
	setIf(h, "opc-content-crc32c", v.CRC32C)
	h.Set("storage-tier", v.StorageTier)
	if st := v.archivalState(s.now()); st != "" {
		h.Set("archival-state", st)
	}
	ct := v.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	setIf(h, "Content-Encoding", v.ContentEncoding)
	setIf(h, "Content-Language", v.ContentLanguage)
	setIf(h, "Content-Disposition", v.ContentDisposition)
	setIf(h, "Cache-Control", v.CacheControl)
	for k, val := range v.Metadata {
		h.Set("opc-meta-"+k, val)
	}
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// lookup returns the version a GET, HEAD or restore names: versionId's, or
// the current one.
func lookup(b *bucket, req request, versionID string) (*version, error) {
	var v *version
	if versionID != "" {
		v = b.find(req.object, versionID)
	} else {
		v = b.current(req.object)
	}
	if v == nil || v.DeleteMarker {
		return nil, objectNotFound(req)
	}
	return v, nil
}

func (s *Server) getObject(req request) error {
	q := req.r.URL.Query()
	s.st.mu.RLock()
	b, err := s.bucketLocked(req)
	var v *version
	if err == nil {
		v, err = lookup(b, req, q.Get("versionId"))
	}
	if err != nil {
		s.st.mu.RUnlock()
		return err
	}
	if m := req.r.Header.Get("If-Match"); m != "" && m != "*" && m != v.ETag {
		s.st.mu.RUnlock()
		return &apiError{status: http.StatusPreconditionFailed, code: "IfMatchFailed", msg: "The If-Match header does not match the object's ETag."}
	}
	h := req.w.Header()
	s.setObjectHeaders(h, v)
	if m := req.r.Header.Get("If-None-Match"); m != "" && (m == "*" || m == v.ETag) {
		s.st.mu.RUnlock()
		req.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if req.op == opHeadObject {
		s.st.mu.RUnlock()
		h.Set("Content-Length", strconv.FormatInt(v.Size, 10))
		req.w.WriteHeader(http.StatusOK)
		return nil
	}
	if st := v.archivalState(s.now()); st == archivalArchived || st == archivalRestoring {
		s.st.mu.RUnlock()
		for _, k := range []string{"ETag", "Content-MD5", "opc-multipart-md5", "Content-Type", "Last-Modified"} {
			h.Del(k)
		}
		return &apiError{status: http.StatusConflict, code: "NotRestored",
			msg: fmt.Sprintf("The object '%s' is archived (%s); restore it before reading it.", req.object, st)}
	}
	offset, length, status, rerr := parseRange(req.r.Header.Get("Range"), v.Size)
	if rerr != nil {
		s.st.mu.RUnlock()
		if rerr.status == http.StatusRequestedRangeNotSatisfiable {
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", v.Size))
		}
		return rerr
	}
	// Open the content under the lock, so that a concurrent overwrite that
	// removes it cannot pull it away mid-read.
	rd, err := openSegments(s.st.blobs, v.Segments, offset, length)
	s.st.mu.RUnlock()
	if err != nil {
		return err
	}
	defer rd.Close()
	if status == http.StatusPartialContent {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, v.Size))
		h.Del("Content-MD5")
		h.Del("opc-multipart-md5")
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	req.w.WriteHeader(status)
	if _, err := io.CopyN(req.w, rd, length); err != nil {
		// The status is sent; the client sees a short body.
		s.log.Debug("copying object content", "object", req.object, "err", err)
	}
	return nil
}

// openSegments opens the content of segs from offset for length bytes.
func openSegments(blobs blobStore, segs []segment, offset, length int64) (io.ReadCloser, error) {
	var readers []io.Reader
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	left := length
	for _, seg := range segs {
		if left <= 0 {
			break
		}
		if offset >= seg.Size {
			offset -= seg.Size
			continue
		}
		f, err := blobs.open(seg.Blob)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("opening content: %w", err)
		}
		closers = append(closers, f)
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			closeAll()
			return nil, fmt.Errorf("seeking content: %w", err)
		}
		n := min(seg.Size-offset, left)
		readers = append(readers, io.LimitReader(f, n))
		left -= n
		offset = 0
	}
	return multiReadCloser{Reader: io.MultiReader(readers...), closers: closers}, nil
}

type multiReadCloser struct {
	io.Reader
	closers []io.Closer
}

func (m multiReadCloser) Close() error {
	var first error
	for _, c := range m.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// parseRange interprets a Range header against size: a single range
// "bytes=a-b", "bytes=a-" or "bytes=-n".
func parseRange(h string, size int64) (offset, length int64, status int, e *apiError) {
	if h == "" {
		return 0, size, http.StatusOK, nil
	}
	unsatisfiable := &apiError{status: http.StatusRequestedRangeNotSatisfiable, code: "InvalidRange", msg: fmt.Sprintf("The range %q cannot be satisfied for an object of %d bytes.", h, size)}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, 0, badRequest("Unsupported Range %q: use a single bytes=first-last range.", h)
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, 0, badRequest("Malformed Range %q.", h)
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, 0, badRequest("Malformed Range %q.", h)
		}
		if n == 0 || size == 0 {
			return 0, 0, 0, unsatisfiable
		}
		n = min(n, size)
		return size - n, n, http.StatusPartialContent, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, 0, 0, badRequest("Malformed Range %q.", h)
	}
	if a >= size {
		return 0, 0, 0, unsatisfiable
	}
	end := size - 1
	if last != "" {
		b, err := strconv.ParseInt(last, 10, 64)
		if err != nil || b < a {
			return 0, 0, 0, badRequest("Malformed Range %q.", h)
		}
		end = min(b, size-1)
	}
	return a, end - a + 1, http.StatusPartialContent, nil
}

func (s *Server) deleteObject(req request) error {
	versionID := req.r.URL.Query().Get("versionId")
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	h := req.w.Header()
	if versionID != "" {
		v := b.find(req.object, versionID)
		if v == nil {
			return objectNotFound(req)
		}
		if err := s.st.commit(record{Op: recDelVersion, Bucket: req.bucket, Object: req.object, VersionID: versionID}); err != nil {
			return err
		}
		h.Set("version-id", versionID)
		if v.DeleteMarker {
			h.Set("is-delete-marker", "true")
		}
		req.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	cur := b.current(req.object)
	if cur == nil {
		return objectNotFound(req)
	}
	if m := req.r.Header.Get("If-Match"); m != "" && m != "*" && m != cur.ETag {
		return &apiError{status: http.StatusPreconditionFailed, code: "IfMatchFailed", msg: "The If-Match header does not match the object's ETag."}
	}
	if b.meta.Versioning == versioningDisabled {
		if err := s.st.commit(record{Op: recDelVersion, Bucket: req.bucket, Object: req.object, VersionID: cur.VersionID}); err != nil {
			return err
		}
		req.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	marker := &version{Name: req.object, VersionID: newUUID(), DeleteMarker: true, Time: s.now().UTC().Truncate(time.Millisecond)}
	if err := s.st.commit(record{Op: recPutVersion, Bucket: req.bucket, Version: marker}); err != nil {
		return err
	}
	h.Set("version-id", marker.VersionID)
	h.Set("is-delete-marker", "true")
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restoreObjects(req request) error {
	var body struct {
		ObjectName string `json:"objectName"`
		Hours      *int   `json:"hours"`
		VersionID  string `json:"versionId"`
	}
	if err := readJSON(req.r, &body); err != nil {
		return err
	}
	hours := 24
	if body.Hours != nil {
		hours = *body.Hours
	}
	if hours < 1 || hours > 240 {
		return badRequest("hours must be from 1 to 240, not %d.", hours)
	}
	req.object = body.ObjectName
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	v, err := lookup(b, req, body.VersionID)
	if err != nil {
		return err
	}
	if v.StorageTier != tierArchive {
		return &apiError{status: http.StatusConflict, code: "NotArchived", msg: fmt.Sprintf("The object '%s' is not in the archive tier.", body.ObjectName)}
	}
	now := s.now().UTC()
	ready := now.Add(s.restoreDelay)
	if st := v.archivalState(now); st == archivalRestoring || st == archivalRestored {
		ready = v.RestoreReady
	}
	upd := &version{RestoreReady: ready, RestoredUntil: ready.Add(time.Duration(hours) * time.Hour)}
	if err := s.st.commit(record{Op: recRestore, Bucket: req.bucket, Object: v.Name, VersionID: v.VersionID, Version: upd}); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusAccepted)
	return nil
}
