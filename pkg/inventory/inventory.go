// Package inventory defines what every store speaks: the fingerprint of an
// object as a store reports it without reading it, and the listing interface
// through which a store streams fingerprints sorted by logical key.
//
// Backends live in sub-packages, one per kind of store (memory, s3, oci).
// They translate what their service reports into the store-neutral
// [Fingerprint], so that the verdict engine never needs to know which kind of
// store it is looking at: it asks [Features] instead.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) by [Store.Head] and [Store.Open] when the
// store holds no current object under the key.
var ErrNotFound = errors.New("object not found")

// ErrArchived is returned (wrapped) by [Store.Open] when the object's content
// cannot be read before it is restored from an archive tier.
var ErrArchived = errors.New("object is archived and must be restored before it can be read")

// Presence says what a store holds under a key at the time of the listing.
type Presence uint8

const (
	// Current: the store holds a current (readable) object under the key.
	Current Presence = iota
	// DeleteMarker: the newest version is a delete marker. Noncurrent
	// versions may still hold data ([Fingerprint.NoncurrentVersions]).
	DeleteMarker
	// NoObject: no current object and no delete marker; only unfinished
	// multipart uploads (or noncurrent versions) remain.
	NoObject
)

var presenceNames = [...]string{Current: "current", DeleteMarker: "delete_marker", NoObject: "no_object"}

// String returns the name used in ledgers and reports.
func (p Presence) String() string {
	if int(p) < len(presenceNames) {
		return presenceNames[p]
	}
	return fmt.Sprintf("presence(%d)", uint8(p))
}

// MarshalText implements [encoding.TextMarshaler].
func (p Presence) MarshalText() ([]byte, error) {
	if int(p) >= len(presenceNames) {
		return nil, fmt.Errorf("unknown presence %d", uint8(p))
	}
	return []byte(presenceNames[p]), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (p *Presence) UnmarshalText(b []byte) error {
	for i, n := range presenceNames {
		if string(b) == n {
			*p = Presence(i)
			return nil
		}
	}
	return fmt.Errorf("unknown presence %q", b)
}

// Fingerprint is what a store tells about the object under one logical key
// without reading its content.
//
// When Presence is [DeleteMarker], the size, checksums and version fields
// describe the newest noncurrent version the marker hides, if there is one
// (NoncurrentVersions > 0); otherwise they are zero.
type Fingerprint struct {
	// Key is the logical key: the object's key relative to the store's prefix.
	Key string `json:"key,omitempty"`
	// Presence says whether a current object exists.
	Presence Presence `json:"presence,omitzero"`
	// Size is the object's size in bytes.
	Size int64 `json:"size"`
	// ETag is the store's entity tag without quotes. It is opaque: whether it
	// carries a content hash is expressed through Checksums, never by
	// interpreting the ETag elsewhere.
	ETag string `json:"etag,omitempty"`
	// Checksums are the content checksums the store computed or that were
	// asserted in user metadata, each with where it came from.
	Checksums []Checksum `json:"checksums,omitempty"`
	// Encryption is the server-side encryption as reported by a HEAD:
	// "" unknown, EncryptionNone, or the store's name for it (for S3
	// "AES256", "aws:kms", "aws:kms:dsse"; EncryptionCustomerKey for SSE-C).
	Encryption string `json:"encryption,omitempty"`
	// PartCount is the number of parts of a multipart object, 0 when the
	// object was uploaded in one piece or the count is unknown.
	PartCount int `json:"part_count,omitempty"`
	// PartSize is the size of every part but the last, 0 when unknown.
	PartSize int64 `json:"part_size,omitempty"`
	// VersionID is the version id of the described version, if versioned.
	VersionID string `json:"version_id,omitempty"`
	// NoncurrentVersions counts the versions that are not current (delete
	// markers excluded) and still hold data.
	NoncurrentVersions int `json:"noncurrent_versions,omitempty"`
	// UnfinishedUploads counts multipart uploads of this key that were
	// started and neither completed nor aborted.
	UnfinishedUploads int `json:"unfinished_uploads,omitempty"`
	// StorageTier is the store's storage class or tier ("STANDARD",
	// "GLACIER", "Archive", ...).
	StorageTier string `json:"storage_tier,omitempty"`
	// ArchivalState is the store's archival or restore state, if any.
	ArchivalState string `json:"archival_state,omitempty"`
	// Archived is true when the content cannot be read before a restore.
	Archived bool `json:"archived,omitempty"`
	// Created is when the object (version) was created, if the store says.
	Created time.Time `json:"created,omitzero"`
	// Modified is when the object was last modified.
	Modified time.Time `json:"modified,omitzero"`
}

// Well-known values of [Fingerprint.Encryption].
const (
	EncryptionNone        = "none"
	EncryptionCustomerKey = "SSE-C"
)

// Holds reports whether the store still holds any data under the key: a
// current object, noncurrent versions, or parts of unfinished uploads.
func (f *Fingerprint) Holds() bool {
	return f.Presence == Current || f.NoncurrentVersions > 0 || f.UnfinishedUploads > 0
}

// Checksum returns the first checksum with the given algorithm, type and
// source, and whether there was one.
func (f *Fingerprint) Checksum(alg Algorithm, typ ChecksumType, src Source) (Checksum, bool) {
	for _, c := range f.Checksums {
		if c.Algorithm == alg && c.Type == typ && c.Source == src {
			return c, true
		}
	}
	return Checksum{}, false
}

// KeyRange is a half-open range of logical keys [Start, End) in byte order.
// An empty End means no upper bound.
type KeyRange struct {
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
}

// Contains reports whether key lies in the range.
func (r KeyRange) Contains(key string) bool {
	return key >= r.Start && (r.End == "" || key < r.End)
}

// After returns the part of r that lies strictly after key. It is how a
// checkpointed shard resumes: key+"\x00" is the least key greater than key.
func (r KeyRange) After(key string) KeyRange {
	next := key + "\x00"
	if next > r.Start {
		r.Start = next
	}
	return r
}

// String formats the range as [start, end).
func (r KeyRange) String() string {
	end := r.End
	if end == "" {
		end = "∞"
	} else {
		end = fmt.Sprintf("%q", end)
	}
	return fmt.Sprintf("[%q, %s)", r.Start, end)
}

// Features says what a store can tell and do. The engine asks, rather than
// switching on the kind of store.
type Features struct {
	// ListingChecksums: listings carry a content checksum (an MD5-like ETag
	// or an md5 field), so many keys settle without a HEAD.
	ListingChecksums bool
	// Versions: the store is versioned, so listings report delete markers
	// and noncurrent versions.
	Versions bool
	// MultipartUploads: listings report unfinished multipart uploads.
	MultipartUploads bool
	// Head: [Store.Head] tells more than the listing (additional checksums,
	// encryption, part size).
	Head bool
	// PartSizes: [Store.Head] reports the part size of multipart objects.
	PartSizes bool
	// Read: [Store.Open] can stream content.
	Read bool
}

// Listing is a pull stream of fingerprints sorted by logical key in byte
// order, like [database/sql.Rows]: it is bound to the context it was
// created with, and must be closed.
type Listing interface {
	// NextPage returns the next page of fingerprints. After the last page it
	// returns nil, [io.EOF]. The slice is valid until the next call; the
	// fingerprints in it may be kept.
	NextPage() ([]Fingerprint, error)
	// Close stops the listing and releases what it holds. It is safe to call
	// more than once.
	Close() error
}

// ByteRange is a range of bytes of an object's content: Length bytes from
// Offset, or to the end when Length is negative.
type ByteRange struct {
	Offset int64
	Length int64
}

// Whole is the byte range of an entire object.
var Whole = ByteRange{Offset: 0, Length: -1}

// Store is one place objects live: a bucket and prefix of one kind of store.
type Store interface {
	// Name is the store's name from the configuration.
	Name() string
	// Features says what the store can tell and do.
	Features() Features
	// List streams the fingerprints of the logical keys in r.
	List(ctx context.Context, r KeyRange) Listing
	// Head returns the fullest fingerprint the store gives for the current
	// object under key without reading it. It returns an error wrapping
	// [ErrNotFound] when there is none.
	Head(ctx context.Context, key string) (Fingerprint, error)
	// Open streams the content of the current object under key.
	Open(ctx context.Context, key string, r ByteRange) (io.ReadCloser, error)
}

// Collect drains a listing into a slice. It is meant for tests and small
// listings: a whole bucket's listing must never be collected.
func Collect(l Listing) ([]Fingerprint, error) {
	defer l.Close()
	var all []Fingerprint
	for {
		page, err := l.NextPage()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
		all = append(all, page...)
	}
}

// PrefixLister is implemented by stores that can list the common prefixes
// of their keys (S3's and OCI's delimiter listings). Planners use it to cut
// a store into shards without listing every key.
type PrefixLister interface {
	// Prefixes returns the distinct logical key prefixes up to and
	// including the first delimiter, sorted in byte order.
	Prefixes(ctx context.Context, delimiter string) ([]string, error)
}

// KeySampler is implemented by stores that can list just the keys after a
// point, with one listing request each. Planners sample a store's key
// space with it to cut it into shards of even sizes, never listing it
// whole.
type KeySampler interface {
	// SampleKeys returns up to n logical keys greater than after, in byte
	// order, from one listing request, and whether more keys follow them.
	// It may return fewer than n keys while more follow.
	SampleKeys(ctx context.Context, after string, n int) (keys []string, more bool, err error)
}
