package inventory

import "fmt"

// Algorithm names a checksum algorithm. The names are the ones used in
// ledgers and reports.
type Algorithm string

// Checksum algorithms stores compute.
const (
	MD5       Algorithm = "md5"
	CRC32     Algorithm = "crc32"
	CRC32C    Algorithm = "crc32c"
	CRC64NVME Algorithm = "crc64nvme"
	SHA1      Algorithm = "sha1"
	SHA256    Algorithm = "sha256"
	SHA384    Algorithm = "sha384"
)

// ChecksumType says what a checksum covers.
type ChecksumType string

const (
	// FullObject: the checksum of the whole content, whatever the upload's
	// part layout.
	FullObject ChecksumType = "full_object"
	// Composite: the checksum over the binary checksums of the parts
	// (an S3 multipart ETag "hex-N", OCI's opc-multipart-md5 "base64-N", S3's
	// COMPOSITE additional checksums). Two composite values agree only when
	// both uploads used the same part layout.
	Composite ChecksumType = "composite"
)

// Source says where a checksum came from, which decides how much it proves.
type Source string

const (
	// FromListing: carried by the store's listing.
	FromListing Source = "listing"
	// FromETag: an S3-style ETag that is the MD5 of the content (or of its
	// parts) unless the object is encrypted with SSE-KMS or SSE-C. Equal
	// values prove parity; a difference proves nothing until the encryption
	// is known ([Fingerprint.Encryption]).
	FromETag Source = "etag"
	// FromHead: reported by a HEAD of the object.
	FromHead Source = "head"
	// FromMetadata: written into user metadata by a migration tool (rclone's
	// md5chksum). It is asserted, not computed by the store.
	FromMetadata Source = "metadata"
	// FromContent: computed by parityproof while reading the content.
	FromContent Source = "content"
)

// Checksum is one content checksum of an object.
type Checksum struct {
	Algorithm Algorithm    `json:"algorithm"`
	Type      ChecksumType `json:"type"`
	// Value is the checksum in lowercase hex, whatever encoding the store
	// used (S3 ETags are hex, OCI and S3 additional checksums base64).
	Value string `json:"value"`
	// Parts is the number of parts a composite checksum covers, 0 for
	// full-object checksums.
	Parts int `json:"parts,omitempty"`
	// PartSize is the part size a composite checksum was computed with,
	// 0 when unknown.
	PartSize int64  `json:"part_size,omitempty"`
	Source   Source `json:"source"`
}

// String formats the checksum for details and logs: "md5:9e10…" or
// "md5:9e10…-3" for composite checksums.
func (c Checksum) String() string {
	if c.Type == Composite {
		return fmt.Sprintf("%s:%s-%d", c.Algorithm, c.Value, c.Parts)
	}
	return fmt.Sprintf("%s:%s", c.Algorithm, c.Value)
}
