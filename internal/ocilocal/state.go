package ocilocal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// The emulator's state: buckets, object versions and multipart uploads.
// Every change is a record applied under the state's lock; with a data
// directory each record is first appended to a journal, which is replayed
// when the server starts again, so the state survives a restart. Content
// lives in blobs beside the journal.

// Versioning states of a bucket.
const (
	versioningEnabled   = "Enabled"
	versioningDisabled  = "Disabled"
	versioningSuspended = "Suspended"
)

// Storage tiers and archival states as the REST API spells them.
const (
	tierStandard         = "Standard"
	tierInfrequentAccess = "InfrequentAccess"
	tierArchive          = "Archive"

	archivalArchived  = "Archived"
	archivalRestoring = "Restoring"
	archivalRestored  = "Restored"
)

type bucketMeta struct {
	Name          string            `json:"name"`
	CompartmentID string            `json:"compartmentId"`
	ID            string            `json:"id"`
	ETag          string            `json:"etag"`
	Created       time.Time         `json:"created"`
	Versioning    string            `json:"versioning"`
	StorageTier   string            `json:"storageTier"`
	Metadata      map[string]string `json:"metadata,omitempty"`
}

// version is one version of an object, or a delete marker.
type version struct {
	Name         string    `json:"name"`
	VersionID    string    `json:"versionId"`
	DeleteMarker bool      `json:"deleteMarker,omitempty"`
	Size         int64     `json:"size"`
	Segments     []segment `json:"segments,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	// MD5 is the listing md5: base64 of the content's MD5, or for a
	// multipart object base64 of the MD5 of the parts' binary MD5s plus "-N".
	MD5 string `json:"md5,omitempty"`
	// Parts is the number of parts of a multipart object, 0 otherwise.
	Parts int `json:"parts,omitempty"`
	// Additional checksums, base64, present only when the upload asked for
	// them. CRC32C is always of the whole object; SHA256 and SHA384 are of the
	// whole object for single uploads and composite ("-N") for multipart.
	CRC32C string    `json:"crc32c,omitempty"`
	SHA256 string    `json:"sha256,omitempty"`
	SHA384 string    `json:"sha384,omitempty"`
	Time   time.Time `json:"time"`

	StorageTier string `json:"storageTier,omitempty"`
	// RestoreReady and RestoredUntil bound the window in which an archived
	// object is readable; both zero when it was never restored.
	RestoreReady  time.Time `json:"restoreReady,omitzero"`
	RestoredUntil time.Time `json:"restoredUntil,omitzero"`

	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
}

// archivalState returns the version's archival state at now, "" for objects
// that are not in the archive tier.
func (v *version) archivalState(now time.Time) string {
	switch {
	case v.StorageTier != tierArchive:
		return ""
	case v.RestoreReady.IsZero() || !now.Before(v.RestoredUntil):
		return archivalArchived
	case now.Before(v.RestoreReady):
		return archivalRestoring
	default:
		return archivalRestored
	}
}

type part struct {
	Num    int       `json:"num"`
	ETag   string    `json:"etag"`
	MD5    string    `json:"md5"`
	Size   int64     `json:"size"`
	Blob   string    `json:"blob"`
	Digest string    `json:"digest,omitempty"` // base64 digest of the upload's checksum algorithm
	Time   time.Time `json:"time"`
}

type upload struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Created            time.Time         `json:"created"`
	StorageTier        string            `json:"storageTier,omitempty"`
	ChecksumAlgorithm  string            `json:"checksumAlgorithm,omitempty"`
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	Parts              map[int]*part     `json:"parts,omitempty"`
}

type bucket struct {
	meta bucketMeta
	// objects holds each name's versions, oldest first; the last one is the
	// newest, current unless it is a delete marker.
	objects map[string][]*version
	// names is objects' keys in byte order, nil when it must be rebuilt.
	// Writers clear it under the state's write lock; listings, which hold
	// only its read lock, rebuild it under namesMu.
	names   []string
	namesMu sync.Mutex
	uploads map[string]*upload
}

// sortedNames returns the bucket's object names in byte order.
func (b *bucket) sortedNames() []string {
	b.namesMu.Lock()
	defer b.namesMu.Unlock()
	if b.names == nil {
		b.names = make([]string, 0, len(b.objects))
		for n := range b.objects {
			b.names = append(b.names, n)
		}
		slices.Sort(b.names)
	}
	return b.names
}

// latest returns the newest version of name, nil if there is none.
func (b *bucket) latest(name string) *version {
	vs := b.objects[name]
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

// current returns the readable current version of name, nil when there is
// none or the newest version is a delete marker.
func (b *bucket) current(name string) *version {
	v := b.latest(name)
	if v == nil || v.DeleteMarker {
		return nil
	}
	return v
}

// find returns the version of name with the given id.
func (b *bucket) find(name, versionID string) *version {
	for _, v := range b.objects[name] {
		if v.VersionID == versionID {
			return v
		}
	}
	return nil
}

// Record operations.
const (
	recPutBucket    = "putBucket"
	recDeleteBucket = "deleteBucket"
	recPutVersion   = "putVersion"
	recDelVersion   = "deleteVersion"
	recRestore      = "restore"
	recNewUpload    = "createUpload"
	recPutPart      = "putPart"
	recCommit       = "commitUpload"
	recAbort        = "abortUpload"
)

// record is one change to the state.
type record struct {
	Op        string      `json:"op"`
	Bucket    string      `json:"bucket"`
	Meta      *bucketMeta `json:"meta,omitempty"`
	Version   *version    `json:"version,omitempty"`
	Object    string      `json:"object,omitempty"`
	VersionID string      `json:"versionId,omitempty"`
	Upload    *upload     `json:"upload,omitempty"`
	UploadID  string      `json:"uploadId,omitempty"`
	Part      *part       `json:"part,omitempty"`
}

type state struct {
	mu      sync.RWMutex
	buckets map[string]*bucket
	blobs   blobStore
	journal *os.File // nil in memory
	log     *slog.Logger
}

const journalName = "journal.jsonl"

// openState returns an empty in-memory state when dir is "", else the state
// kept in dir, replaying its journal.
func openState(dir string, log *slog.Logger) (*state, error) {
	st := &state{buckets: map[string]*bucket{}, log: log}
	if dir == "" {
		st.blobs = newMemBlobs()
		return st, nil
	}
	blobDir := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	st.blobs = dirBlobs{dir: blobDir}
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	n, good, err := st.replay(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replaying %s: %w", path, err)
	}
	// Drop a torn last line left by a crash, then append after the rest.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("truncating %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	st.journal = f
	log.Info("state loaded", "dir", dir, "records", n, "buckets", len(st.buckets))
	return st, nil
}

// replay applies the journal's records and returns how many there were and
// the offset after the last complete one.
func (st *state) replay(f *os.File) (n int, good int64, err error) {
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return n, good, nil // an incomplete last line is dropped
		}
		if err != nil {
			return n, good, err
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			return n, good, fmt.Errorf("record %d: %w", n+1, err)
		}
		st.apply(rec)
		n++
		good += int64(len(line))
	}
}

// commit journals rec and applies it. The caller holds st.mu for writing.
func (st *state) commit(rec record) error {
	if st.journal != nil {
		line, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encoding %s record: %w", rec.Op, err)
		}
		if _, err := st.journal.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("writing journal: %w", err)
		}
	}
	st.apply(rec)
	return nil
}

// apply changes the state by rec. It must succeed for any record commit
// accepted, on replay too; content that a change orphans is removed.
func (st *state) apply(rec record) {
	b := st.buckets[rec.Bucket]
	switch rec.Op {
	case recPutBucket:
		if b == nil {
			b = &bucket{objects: map[string][]*version{}, uploads: map[string]*upload{}}
			st.buckets[rec.Bucket] = b
		}
		b.meta = *rec.Meta
		return
	case recDeleteBucket:
		delete(st.buckets, rec.Bucket)
		return
	}
	if b == nil {
		st.log.Warn("record for a missing bucket ignored", "op", rec.Op, "bucket", rec.Bucket)
		return
	}
	switch rec.Op {
	case recPutVersion:
		st.putVersion(b, rec.Version)
	case recDelVersion:
		vs := b.objects[rec.Object]
		for i, v := range vs {
			if v.VersionID == rec.VersionID {
				st.removeSegments(v.Segments)
				vs = slices.Delete(vs, i, i+1)
				break
			}
		}
		if len(vs) == 0 {
			delete(b.objects, rec.Object)
			b.names = nil
		} else {
			b.objects[rec.Object] = vs
		}
	case recRestore:
		if v := b.find(rec.Object, rec.VersionID); v != nil {
			v.RestoreReady, v.RestoredUntil = rec.Version.RestoreReady, rec.Version.RestoredUntil
		}
	case recNewUpload:
		b.uploads[rec.Upload.ID] = rec.Upload
	case recPutPart:
		u := b.uploads[rec.UploadID]
		if u == nil {
			st.removeSegments([]segment{{Blob: rec.Part.Blob}})
			return
		}
		if u.Parts == nil {
			u.Parts = map[int]*part{}
		}
		if old := u.Parts[rec.Part.Num]; old != nil {
			st.removeSegments([]segment{{Blob: old.Blob}})
		}
		u.Parts[rec.Part.Num] = rec.Part
	case recCommit:
		u := b.uploads[rec.UploadID]
		delete(b.uploads, rec.UploadID)
		if u != nil {
			used := map[string]bool{}
			for _, s := range rec.Version.Segments {
				used[s.Blob] = true
			}
			for _, p := range u.Parts {
				if !used[p.Blob] {
					st.removeSegments([]segment{{Blob: p.Blob}})
				}
			}
		}
		st.putVersion(b, rec.Version)
	case recAbort:
		if u := b.uploads[rec.UploadID]; u != nil {
			for _, p := range u.Parts {
				st.removeSegments([]segment{{Blob: p.Blob}})
			}
			delete(b.uploads, rec.UploadID)
		}
	default:
		st.log.Warn("unknown record ignored", "op", rec.Op)
	}
}

// putVersion makes v the newest version of its name. Unless versioning is
// enabled it replaces the versions there were.
func (st *state) putVersion(b *bucket, v *version) {
	vs, existed := b.objects[v.Name]
	if b.meta.Versioning != versioningEnabled {
		for _, old := range vs {
			st.removeSegments(old.Segments)
		}
		vs = vs[:0]
	}
	b.objects[v.Name] = append(vs, v)
	if !existed {
		b.names = nil
	}
}

func (st *state) removeSegments(segs []segment) {
	for _, s := range segs {
		if err := st.blobs.remove(s.Blob); err != nil {
			st.log.Warn("removing content", "blob", s.Blob, "err", err)
		}
	}
}

// close closes the journal.
func (st *state) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.journal == nil {
		return nil
	}
	err := st.journal.Close()
	st.journal = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("closing journal: %w", err)
	}
	return nil
}
