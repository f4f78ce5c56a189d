package ocilocal

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func noSuchUpload(req request, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NoSuchUpload",
		msg: fmt.Sprintf("The upload '%s' of object '%s' does not exist in bucket '%s'", id, req.object, req.bucket)}
}

type uploadJSON struct {
	Namespace   string `json:"namespace"`
	Bucket      string `json:"bucket"`
	Object      string `json:"object"`
	UploadID    string `json:"uploadId"`
	TimeCreated string `json:"timeCreated"`
	StorageTier string `json:"storageTier,omitempty"`
}

func (s *Server) uploadJSON(bucket string, u *upload) uploadJSON {
	return uploadJSON{Namespace: s.namespace, Bucket: bucket, Object: u.Object, UploadID: u.ID, TimeCreated: formatTime(u.Created), StorageTier: u.StorageTier}
}

func (s *Server) createMultipartUpload(req request) error {
	alg, err := checksumAlgorithm(req.r.Header)
	if err != nil {
		return err
	}
	var body struct {
		Object             string            `json:"object"`
		ContentType        string            `json:"contentType"`
		ContentLanguage    string            `json:"contentLanguage"`
		ContentEncoding    string            `json:"contentEncoding"`
		ContentDisposition string            `json:"contentDisposition"`
		CacheControl       string            `json:"cacheControl"`
		StorageTier        string            `json:"storageTier"`
		Metadata           map[string]string `json:"metadata"`
	}
	if err := readJSON(req.r, &body); err != nil {
		return err
	}
	if body.Object == "" {
		return badRequest("object is required.")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	tier, err := parseTier(body.StorageTier, b.meta.StorageTier)
	if err != nil {
		return err
	}
	md := map[string]string{}
	for k, v := range body.Metadata {
		md[strings.TrimPrefix(strings.ToLower(k), "opc-meta-")] = v
	}
	u := &upload{
		ID: newUUID(), Object: body.Object, Created: s.now().UTC().Truncate(time.Millisecond),
		StorageTier: tier, ChecksumAlgorithm: alg,
		ContentType: body.ContentType, ContentEncoding: body.ContentEncoding, ContentLanguage: body.ContentLanguage,
		ContentDisposition: body.ContentDisposition, CacheControl: body.CacheControl, Metadata: md,
	}
	if err := s.st.commit(record{Op: recNewUpload, Bucket: req.bucket, Upload: u}); err != nil {
		return err
	}
	req.w.Header().Set("Location", fmt.Sprintf("/n/%s/b/%s/u/%s?uploadId=%s", req.namespace, req.bucket, body.Object, u.ID))
	return writeJSON(req.w, http.StatusOK, s.uploadJSON(req.bucket, u))
}

// findUpload returns the upload named by the uploadId query parameter; the
// caller holds s.st.mu.
func (s *Server) findUpload(req request) (*upload, error) {
	b, err := s.bucketLocked(req)
	if err != nil {
		return nil, err
	}
	id := req.r.URL.Query().Get("uploadId")
	if id == "" {
		return nil, badRequest("uploadId is required.")
	}
	u := b.uploads[id]
	if u == nil || u.Object != req.object {
		return nil, noSuchUpload(req, id)
	}
	return u, nil
}

func (s *Server) uploadPart(req request) error {
	num, err := strconv.Atoi(req.r.URL.Query().Get("uploadPartNum"))
	if err != nil || num < 1 || num > 10000 {
		return badRequest("uploadPartNum must be a number from 1 to 10000.")
	}
	s.st.mu.RLock()
	u, err := s.findUpload(req)
	var alg string
	if err == nil {
		alg = u.ChecksumAlgorithm
	}
	s.st.mu.RUnlock()
	if err != nil {
		return err
	}
	if h := req.r.Header.Get("opc-checksum-algorithm"); h != "" {
		if alg, err = checksumAlgorithm(req.r.Header); err != nil {
			return err
		}
	}
	got, err := s.receive(req, alg)
	if err != nil {
		return err
	}
	p := &part{Num: num, ETag: newUUID(), MD5: b64(got.md5), Size: got.size, Blob: got.blob, Time: s.now().UTC().Truncate(time.Millisecond)}
	if got.digest != nil {
		p.Digest = b64(got.digest)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if _, err = s.findUpload(req); err == nil {
		err = s.st.commit(record{Op: recPutPart, Bucket: req.bucket, UploadID: u.ID, Part: p})
	}
	if err != nil {
		_ = s.st.blobs.remove(got.blob) // the request failed either way
		return err
	}
	h := req.w.Header()
	h.Set("ETag", p.ETag)
	h.Set("opc-content-md5", p.MD5)
	if _, header := newAlgHash(alg); header != "" {
		h.Set(header, p.Digest)
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// MultipartMD5 returns what the service reports as the MD5 of an object
// uploaded in parts with the given MD5s, in part order: base64 of the MD5
// of the concatenated binary part MD5s, a hyphen and the number of parts.
func MultipartMD5(partMD5s [][]byte) string {
	h := md5.New()
	for _, m := range partMD5s {
		h.Write(m)
	}
	return b64(h.Sum(nil)) + "-" + strconv.Itoa(len(partMD5s))
}

func (s *Server) commitMultipartUpload(req request) error {
	var body struct {
		PartsToCommit []struct {
			PartNum int    `json:"partNum"`
			ETag    string `json:"etag"`
		} `json:"partsToCommit"`
		PartsToExclude []int `json:"partsToExclude"`
	}
	if err := readJSON(req.r, &body); err != nil {
		return err
	}
	if len(body.PartsToCommit) == 0 {
		return badRequest("partsToCommit must name at least one part.")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u, err := s.findUpload(req)
	if err != nil {
		return err
	}
	b := s.st.buckets[req.bucket]
	if err := checkWritePreconditions(req, b.current(req.object)); err != nil {
		return err
	}
	listed := map[int]bool{}
	var parts []*part
	for _, pc := range body.PartsToCommit {
		p := u.Parts[pc.PartNum]
		switch {
		case listed[pc.PartNum]:
			return badRequest("Part %d is listed twice.", pc.PartNum)
		case p == nil:
			return &apiError{status: http.StatusBadRequest, code: "InvalidUploadPart", msg: fmt.Sprintf("Part %d was not uploaded.", pc.PartNum)}
		case strings.Trim(pc.ETag, `"`) != p.ETag:
			return &apiError{status: http.StatusBadRequest, code: "InvalidUploadPart", msg: fmt.Sprintf("Part %d has ETag %s, not %s.", pc.PartNum, p.ETag, pc.ETag)}
		}
		listed[pc.PartNum] = true
		parts = append(parts, p)
	}
	for _, n := range body.PartsToExclude {
		if listed[n] {
			return badRequest("Part %d is both committed and excluded.", n)
		}
		listed[n] = true
	}
	for n := range u.Parts {
		if !listed[n] {
			return badRequest("Part %d was uploaded but is neither committed nor excluded.", n)
		}
	}
	slices.SortFunc(parts, func(a, b *part) int { return a.Num - b.Num })

	v := &version{
		Name: req.object, VersionID: newUUID(), ETag: newUUID(), Parts: len(parts),
		Time: s.now().UTC().Truncate(time.Millisecond), StorageTier: u.StorageTier,
		ContentType: u.ContentType, ContentEncoding: u.ContentEncoding, ContentLanguage: u.ContentLanguage,
		ContentDisposition: u.ContentDisposition, CacheControl: u.CacheControl, Metadata: u.Metadata,
	}
	var md5s [][]byte
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.MD5)
		if err != nil {
			return fmt.Errorf("part %d has a bad MD5: %w", p.Num, err)
		}
		md5s = append(md5s, raw)
		v.Segments = append(v.Segments, segment{Blob: p.Blob, Size: p.Size})
		v.Size += p.Size
	}
	v.MD5 = MultipartMD5(md5s)
	switch u.ChecksumAlgorithm {
	case "CRC32C":
		// The service reports the CRC32C of the whole reconstructed object.
		rd, err := openSegments(s.st.blobs, v.Segments, 0, v.Size)
		if err != nil {
			return err
		}
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		_, err = io.Copy(h, rd)
		rd.Close()
		if err != nil {
			return fmt.Errorf("computing CRC32C: %w", err)
		}
		v.CRC32C = b64(h.Sum(nil))
	case "SHA256", "SHA384":
		// SHA-256 and SHA-384 of multipart objects are composite: the hash
		// of the parts' binary hashes, with "-N".
		h, _ := newAlgHash(u.ChecksumAlgorithm)
		for _, p := range parts {
			raw, err := base64.StdEncoding.DecodeString(p.Digest)
			if err != nil || p.Digest == "" {
				return badRequest("Part %d was uploaded without a %s checksum.", p.Num, u.ChecksumAlgorithm)
			}
			h.Write(raw)
		}
		sum := b64(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
		if u.ChecksumAlgorithm == "SHA256" {
			v.SHA256 = sum
		} else {
			v.SHA384 = sum
		}
	}
	if err := s.st.commit(record{Op: recCommit, Bucket: req.bucket, UploadID: u.ID, Version: v}); err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("opc-multipart-md5", v.MD5)
	h.Set("ETag", v.ETag)
	h.Set("Last-Modified", v.Time.Format(http.TimeFormat))
	h.Set("version-id", v.VersionID)
	setIf(h, "opc-content-crc32c", v.CRC32C)
	setIf(h, "opc-multipart-sha256", v.SHA256)
	setIf(h, "opc-multipart-sha384", v.SHA384)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func parseLimit(q string) (int, error) {
	if q == "" {
		return 1000, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > 1000 {
		return 0, badRequest("limit must be a number from 1 to 1000, not %q.", q)
	}
	return n, nil
}

func (s *Server) listUploadParts(req request) error {
	q := req.r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	from := 1
	if pg := q.Get("page"); pg != "" {
		if from, err = strconv.Atoi(pg); err != nil {
			return badRequest("Invalid page token %q.", pg)
		}
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	u, err := s.findUpload(req)
	if err != nil {
		return err
	}
	nums := make([]int, 0, len(u.Parts))
	for n := range u.Parts {
		if n >= from {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	type partJSON struct {
		ETag       string `json:"etag"`
		MD5        string `json:"md5"`
		Size       int64  `json:"size"`
		PartNumber int    `json:"partNumber"`
	}
	out := []partJSON{}
	for i, n := range nums {
		if i == limit {
			req.w.Header().Set("opc-next-page", strconv.Itoa(n))
			break
		}
		p := u.Parts[n]
		out = append(out, partJSON{ETag: p.ETag, MD5: p.MD5, Size: p.Size, PartNumber: p.Num})
	}
	return writeJSON(req.w, http.StatusOK, out)
}

func (s *Server) listMultipartUploads(req request) error {
	q := req.r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	type position struct {
		Object string `json:"o"`
		ID     string `json:"u"`
	}
	var from position
	if pg := q.Get("page"); pg != "" {
		raw, err := base64.RawURLEncoding.DecodeString(pg)
		if err == nil {
			err = json.Unmarshal(raw, &from)
		}
		if err != nil {
			return badRequest("Invalid page token %q.", pg)
		}
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	ups := make([]*upload, 0, len(b.uploads))
	for _, u := range b.uploads {
		ups = append(ups, u)
	}
	cmp := func(a, b *upload) int {
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(ups, cmp)
	out := []uploadJSON{}
	for _, u := range ups {
		if cmp(u, &upload{Object: from.Object, ID: from.ID}) < 0 {
			continue
		}
		if len(out) == limit {
			tok, _ := json.Marshal(position{Object: u.Object, ID: u.ID})
			req.w.Header().Set("opc-next-page", base64.RawURLEncoding.EncodeToString(tok))
			break
		}
		out = append(out, s.uploadJSON(req.bucket, u))
	}
	return writeJSON(req.w, http.StatusOK, out)
}

func (s *Server) abortMultipartUpload(req request) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u, err := s.findUpload(req)
	if err != nil {
		return err
	}
	if err := s.st.commit(record{Op: recAbort, Bucket: req.bucket, UploadID: u.ID}); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
