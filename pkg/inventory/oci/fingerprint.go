package oci

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// The metadata key rclone writes the source MD5 into on multipart uploads
// (as opc-meta-md5chksum), base64.
const rcloneMD5Key = "md5chksum"

const (
	tierArchive      = "Archive"
	archivalRestored = "Restored"
)

// archived reports whether content in tier with archival state cannot be
// read before a restore.
func archived(tier, state string) bool {
	return tier == tierArchive && state != archivalRestored
}

// summaryFingerprint is what one listed object (or version) says.
type objectInfo struct {
	name          string
	size          *int64
	etag, md5     *string
	created       *common.SDKTime
	modified      *common.SDKTime
	tier, archive string
	versionID     *string
}

func sdkTime(t *common.SDKTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time.UTC()
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// fingerprint translates a listed object; key is its logical key.
func (s *Store) fingerprint(key string, o objectInfo) inventory.Fingerprint {
	fp := inventory.Fingerprint{
		Key:           key,
		ETag:          str(o.etag),
		VersionID:     str(o.versionID),
		StorageTier:   o.tier,
		ArchivalState: o.archive,
		Archived:      archived(o.tier, o.archive),
		Created:       sdkTime(o.created),
		Modified:      sdkTime(o.modified),
	}
	if o.size != nil {
		fp.Size = *o.size
	}
	if o.md5 != nil && *o.md5 != "" {
		// The listing md5 is base64 of the MD5, or of the MD5 of the parts'
		// MD5s plus "-N" for a multipart object.
		c, err := checksum.ParseBase64(inventory.MD5, "", *o.md5, inventory.FromListing)
		if err != nil {
			s.log.Warn("listing md5 ignored", "key", key, "err", err)
		} else {
			fp.Checksums = append(fp.Checksums, c)
			fp.PartCount = c.Parts
		}
	}
	return fp
}

func fromSummary(o objectstorage.ObjectSummary) objectInfo {
	return objectInfo{name: *o.Name, size: o.Size, etag: o.Etag, md5: o.Md5, created: o.TimeCreated, modified: o.TimeModified,
		tier: string(o.StorageTier), archive: string(o.ArchivalState)}
}

func fromVersion(o objectstorage.ObjectVersionSummary) objectInfo {
	return objectInfo{name: *o.Name, size: o.Size, etag: o.Etag, md5: o.Md5, created: o.TimeCreated, modified: o.TimeModified,
		tier: string(o.StorageTier), archive: string(o.ArchivalState), versionID: o.VersionId}
}

// headFingerprint translates a HEAD's headers.
func (s *Store) headFingerprint(key string, h objectstorage.HeadObjectResponse) inventory.Fingerprint {
	fp := inventory.Fingerprint{
		Key:           key,
		ETag:          str(h.ETag),
		VersionID:     str(h.VersionId),
		StorageTier:   string(h.StorageTier),
		ArchivalState: string(h.ArchivalState),
		Archived:      archived(string(h.StorageTier), string(h.ArchivalState)),
		Modified:      sdkTime(h.LastModified),
	}
	if h.ContentLength != nil {
		fp.Size = *h.ContentLength
	}
	add := func(alg inventory.Algorithm, typ inventory.ChecksumType, v *string, src inventory.Source) {
		if v == nil || *v == "" {
			return
		}
		c, err := checksum.ParseBase64(alg, typ, *v, src)
		if err != nil {
			s.log.Warn("HEAD checksum ignored", "key", key, "algorithm", alg, "err", err)
			return
		}
		if c.Type == inventory.Composite {
			fp.PartCount = c.Parts
		}
		fp.Checksums = append(fp.Checksums, c)
	}
	add(inventory.MD5, inventory.FullObject, h.ContentMd5, inventory.FromHead)
	add(inventory.MD5, inventory.Composite, h.OpcMultipartMd5, inventory.FromHead)
	// OCI documents opc-content-crc32c as the CRC32C of the whole object,
	// multipart uploads included.
	add(inventory.CRC32C, inventory.FullObject, h.OpcContentCrc32c, inventory.FromHead)
	// SHA-256 and SHA-384 are whole-object for single uploads, and for
	// multipart uploads only composite, in the opc-multipart-* headers.
	add(inventory.SHA256, inventory.FullObject, h.OpcContentSha256, inventory.FromHead)
	add(inventory.SHA256, inventory.Composite, h.OpcMultipartSha256, inventory.FromHead)
	add(inventory.SHA384, inventory.FullObject, h.OpcContentSha384, inventory.FromHead)
	add(inventory.SHA384, inventory.Composite, h.OpcMultipartSha384, inventory.FromHead)
	if v, ok := h.OpcMeta[rcloneMD5Key]; ok {
		if c, ok := assertedMD5(v); ok {
			fp.Checksums = append(fp.Checksums, c)
		} else {
			s.log.Warn("opc-meta-md5chksum ignored: neither base64 nor hex MD5", "key", key, "value", v)
		}
	}
	return fp
}

// assertedMD5 reads an MD5 a migration tool wrote into metadata: base64 as
// rclone writes it, or 32 hex digits.
func assertedMD5(v string) (inventory.Checksum, bool) {
	v = strings.TrimSpace(v)
	if c, err := checksum.ParseBase64(inventory.MD5, inventory.FullObject, v, inventory.FromMetadata); err == nil && c.Type == inventory.FullObject {
		return c, true
	}
	if raw, err := hex.DecodeString(v); err == nil && len(raw) == 16 {
		return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: strings.ToLower(v), Source: inventory.FromMetadata}, true
	}
	return inventory.Checksum{}, false
}
