package s3

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// Storage classes whose objects must be restored before they can be read.
var archiveClasses = map[string]bool{"GLACIER": true, "DEEP_ARCHIVE": true}

// listedFingerprint is what a listing tells of one object or version: its
// ETag (and the MD5 it stands for), size, storage class, whether it is
// archived, and when it was modified.
func listedFingerprint(key, etag string, size int64, modified time.Time, class string, restore *types.RestoreStatus) inventory.Fingerprint {
	fp := etagFingerprint(key, etag)
	fp.Size = size
	fp.StorageTier = class
	if !modified.IsZero() {
		fp.Modified = modified.UTC()
	}
	restored := false
	if restore != nil {
		if aws.ToBool(restore.IsRestoreInProgress) {
			fp.ArchivalState = `ongoing-request="true"`
		} else if restore.RestoreExpiryDate != nil {
			fp.ArchivalState = `ongoing-request="false"`
			restored = true
		}
	}
	fp.Archived = archiveClasses[class] && !restored
	return fp
}

// etagFingerprint starts a fingerprint from the ETag: unquoted, and when
// it has the form of an MD5 ("hex" or "hex-N"), that MD5 with source
// [inventory.FromETag] and, for "-N", the part count.
func etagFingerprint(key, etag string) inventory.Fingerprint {
	fp := inventory.Fingerprint{Key: key, ETag: strings.Trim(etag, `"`)}
	if c, ok := checksum.ParseETag(fp.ETag); ok {
		fp.Checksums = append(fp.Checksums, c)
		if c.Type == inventory.Composite {
			fp.PartCount = c.Parts
		}
	}
	return fp
}

// headFingerprint translates a HeadObject response (with ChecksumMode
// ENABLED) into a fingerprint.
func headFingerprint(key string, out *awss3.HeadObjectOutput) (inventory.Fingerprint, error) {
	fp := etagFingerprint(key, aws.ToString(out.ETag))
	fp.Size = aws.ToInt64(out.ContentLength)
	fp.VersionID = aws.ToString(out.VersionId)
	if fp.VersionID == "null" {
		fp.VersionID = ""
	}
	if out.LastModified != nil {
		fp.Modified = out.LastModified.UTC()
	}
	var typ inventory.ChecksumType
	switch out.ChecksumType {
	case types.ChecksumTypeFullObject:
		typ = inventory.FullObject
	case types.ChecksumTypeComposite:
		typ = inventory.Composite
	}
	for _, c := range []struct {
		alg   inventory.Algorithm
		value *string
	}{
		{inventory.CRC32, out.ChecksumCRC32},
		{inventory.CRC32C, out.ChecksumCRC32C},
		{inventory.CRC64NVME, out.ChecksumCRC64NVME},
		{inventory.MD5, out.ChecksumMD5},
		{inventory.SHA1, out.ChecksumSHA1},
		{inventory.SHA256, out.ChecksumSHA256},
	} {
		if aws.ToString(c.value) == "" {
			continue
		}
		t := typ
		if t == "" && fp.PartCount > 0 {
			// A multipart object whose checksum type was not declared (older
			// objects, some S3-compatible stores): S3 made CRC64NVME
			// full-object and every other algorithm composite.
			t = inventory.Composite
			if c.alg == inventory.CRC64NVME {
				t = inventory.FullObject
			}
		}
		sum, err := checksum.ParseBase64(c.alg, t, *c.value, inventory.FromHead)
		if err != nil {
			return inventory.Fingerprint{}, fmt.Errorf("S3 reported a malformed checksum: %w", err)
		}
		if sum.Type == inventory.Composite && sum.Parts == 0 {
			sum.Parts = fp.PartCount
		}
		fp.Checksums = append(fp.Checksums, sum)
	}
	if v := metadata(out.Metadata, "md5chksum"); v != "" {
		// rclone's assertion of the source's MD5. It is user metadata: a
		// malformed value is ignored rather than failing the HEAD.
		if sum, err := checksum.ParseBase64(inventory.MD5, inventory.FullObject, v, inventory.FromMetadata); err == nil {
			fp.Checksums = append(fp.Checksums, sum)
		}
	}
	switch {
	case aws.ToString(out.SSECustomerAlgorithm) != "":
		fp.Encryption = inventory.EncryptionCustomerKey
	case out.ServerSideEncryption != "":
		fp.Encryption = string(out.ServerSideEncryption)
	default:
		fp.Encryption = inventory.EncryptionNone
	}
	fp.StorageTier = string(out.StorageClass)
	if fp.StorageTier == "" {
		fp.StorageTier = string(types.StorageClassStandard) // S3 omits the header for STANDARD
	}
	restore := aws.ToString(out.Restore)
	restored := strings.Contains(restore, `ongoing-request="false"`)
	fp.ArchivalState = restore
	if out.ArchiveStatus != "" {
		fp.ArchivalState = strings.TrimSpace(string(out.ArchiveStatus) + " " + restore)
	}
	fp.Archived = (archiveClasses[fp.StorageTier] || out.ArchiveStatus != "") && !restored
	return fp, nil
}

// metadata looks a user metadata key up without regard to case: the SDK
// gives the keys as the service sent them.
func metadata(m map[string]string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
