package ocilocal

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// timeFormat is how the service writes times in JSON bodies.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// bucketNameRE is a bucket name's alphabet; its length, 1 to 256, is
// checked apart: a {1,256} in the pattern compiles to one instruction per
// repeat, 241 KB allocated when the program starts.
var bucketNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

type bucketJSON struct {
	Namespace           string            `json:"namespace"`
	Name                string            `json:"name"`
	CompartmentID       string            `json:"compartmentId"`
	Metadata            map[string]string `json:"metadata"`
	CreatedBy           string            `json:"createdBy"`
	TimeCreated         string            `json:"timeCreated"`
	ETag                string            `json:"etag"`
	PublicAccessType    string            `json:"publicAccessType"`
	StorageTier         string            `json:"storageTier"`
	ObjectEventsEnabled bool              `json:"objectEventsEnabled"`
	ReplicationEnabled  bool              `json:"replicationEnabled"`
	IsReadOnly          bool              `json:"isReadOnly"`
	ID                  string            `json:"id"`
	Versioning          string            `json:"versioning"`
	AutoTiering         string            `json:"autoTiering"`
	ApproximateCount    *int64            `json:"approximateCount,omitempty"`
	ApproximateSize     *int64            `json:"approximateSize,omitempty"`
}

func (s *Server) bucketJSON(b *bucket, withCounts bool) bucketJSON {
	meta := b.meta
	md := meta.Metadata
	if md == nil {
		md = map[string]string{}
	}
	out := bucketJSON{
		Namespace: s.namespace, Name: meta.Name, CompartmentID: meta.CompartmentID, Metadata: md,
		CreatedBy: DefaultUser, TimeCreated: formatTime(meta.Created), ETag: meta.ETag,
		PublicAccessType: "NoPublicAccess", StorageTier: meta.StorageTier, ID: meta.ID,
		Versioning: meta.Versioning, AutoTiering: "Disabled",
	}
	if withCounts {
		var n, size int64
		for _, vs := range b.objects {
			for _, v := range vs {
				if !v.DeleteMarker {
					n++
					size += v.Size
				}
			}
		}
		out.ApproximateCount, out.ApproximateSize = &n, &size
	}
	return out
}

func bucketNotFound(ns, name string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "BucketNotFound",
		msg: fmt.Sprintf("Either the bucket named '%s' does not exist in the namespace '%s' or you are not authorized to access it", name, ns)}
}

// bucketLocked returns the request's bucket; the caller holds s.st.mu.
func (s *Server) bucketLocked(req request) (*bucket, error) {
	b := s.st.buckets[req.bucket]
	if b == nil {
		return nil, bucketNotFound(req.namespace, req.bucket)
	}
	return b, nil
}

func (s *Server) createBucket(req request) error {
	var body struct {
		Name          string            `json:"name"`
		CompartmentID string            `json:"compartmentId"`
		Metadata      map[string]string `json:"metadata"`
		Versioning    string            `json:"versioning"`
		StorageTier   string            `json:"storageTier"`
	}
	if err := readJSON(req.r, &body); err != nil {
		return err
	}
	if len(body.Name) > 256 || !bucketNameRE.MatchString(body.Name) {
		return badRequest("Invalid bucket name %q: use letters, digits, '.', '-' and '_'.", body.Name)
	}
	if body.CompartmentID == "" {
		return badRequest("compartmentId is required.")
	}
	switch body.Versioning {
	case "":
		body.Versioning = versioningDisabled
	case versioningEnabled, versioningDisabled:
	default:
		return badRequest("Invalid versioning %q: use Enabled or Disabled.", body.Versioning)
	}
	switch body.StorageTier {
	case "":
		body.StorageTier = tierStandard
	case tierStandard, tierArchive:
	default:
		return badRequest("Invalid storageTier %q: use Standard or Archive.", body.StorageTier)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.st.buckets[body.Name] != nil {
		return &apiError{status: http.StatusConflict, code: "BucketAlreadyExists",
			msg: fmt.Sprintf("Either the bucket '%s' in namespace '%s' already exists or you are not authorized to create it", body.Name, req.namespace)}
	}
	meta := bucketMeta{
		Name: body.Name, CompartmentID: body.CompartmentID, Metadata: body.Metadata,
		ID:      "ocid1.bucket.oc1..ocilocal" + newID(8),
		ETag:    newUUID(),
		Created: s.now().UTC().Truncate(time.Millisecond), Versioning: body.Versioning, StorageTier: body.StorageTier,
	}
	if err := s.st.commit(record{Op: recPutBucket, Bucket: body.Name, Meta: &meta}); err != nil {
		return err
	}
	b := s.st.buckets[body.Name]
	req.w.Header().Set("ETag", meta.ETag)
	req.w.Header().Set("Location", fmt.Sprintf("/n/%s/b/%s", req.namespace, body.Name))
	return writeJSON(req.w, http.StatusOK, s.bucketJSON(b, false))
}

func (s *Server) listBuckets(req request) error {
	compartment := req.r.URL.Query().Get("compartmentId")
	if compartment == "" {
		return badRequest("compartmentId is required.")
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	type summary struct {
		Namespace     string `json:"namespace"`
		Name          string `json:"name"`
		CompartmentID string `json:"compartmentId"`
		CreatedBy     string `json:"createdBy"`
		TimeCreated   string `json:"timeCreated"`
		ETag          string `json:"etag"`
	}
	out := []summary{}
	for _, b := range s.st.buckets {
		if b.meta.CompartmentID == compartment {
			out = append(out, summary{s.namespace, b.meta.Name, b.meta.CompartmentID, DefaultUser, formatTime(b.meta.Created), b.meta.ETag})
		}
	}
	slices.SortFunc(out, func(a, b summary) int { return strings.Compare(a.Name, b.Name) })
	return writeJSON(req.w, http.StatusOK, out)
}

func (s *Server) getBucket(req request) error {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	req.w.Header().Set("ETag", b.meta.ETag)
	if req.op == opHeadBucket {
		req.w.WriteHeader(http.StatusOK)
		return nil
	}
	fields := strings.ToLower(req.r.URL.Query().Get("fields"))
	withCounts := strings.Contains(fields, "approximatecount") || strings.Contains(fields, "approximatesize")
	return writeJSON(req.w, http.StatusOK, s.bucketJSON(b, withCounts))
}

func (s *Server) updateBucket(req request) error {
	var body struct {
		Versioning string            `json:"versioning"`
		Metadata   map[string]string `json:"metadata"`
	}
	if err := readJSON(req.r, &body); err != nil {
		return err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	meta := b.meta
	switch body.Versioning {
	case "":
	case versioningEnabled, versioningSuspended:
		meta.Versioning = body.Versioning
	case versioningDisabled:
		if meta.Versioning != versioningDisabled {
			return badRequest("Versioning cannot be disabled once enabled; suspend it instead.")
		}
	default:
		return badRequest("Invalid versioning %q.", body.Versioning)
	}
	if body.Metadata != nil {
		meta.Metadata = body.Metadata
	}
	meta.ETag = newUUID()
	if err := s.st.commit(record{Op: recPutBucket, Bucket: meta.Name, Meta: &meta}); err != nil {
		return err
	}
	req.w.Header().Set("ETag", meta.ETag)
	return writeJSON(req.w, http.StatusOK, s.bucketJSON(b, false))
}

func (s *Server) deleteBucket(req request) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 || len(b.uploads) > 0 {
		return &apiError{status: http.StatusConflict, code: "BucketNotEmpty",
			msg: fmt.Sprintf("Bucket named '%s' is not empty. Delete all objects, object versions and uploads first.", req.bucket)}
	}
	if err := s.st.commit(record{Op: recDeleteBucket, Bucket: req.bucket}); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
