package s3inventory

import (
	"strconv"
	"strings"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// etagChecksum reads the MD5 an S3 ETag stands for, the way the S3 backend
// does for listings: 32 hex digits are the content's MD5, "hex-N" the MD5
// over the binary MD5s of N parts (1 to 10000). Anything else is an opaque
// id and returns false. The checksum's source is [inventory.FromETag]: it
// is an MD5 only when the object is not encrypted with SSE-KMS or SSE-C,
// which [inventory.Fingerprint.Encryption] tells when the inventory has
// EncryptionStatus.
func etagChecksum(etag string) (inventory.Checksum, bool) {
	value, parts := etag, 0
	if i := strings.LastIndexByte(etag, '-'); i >= 0 {
		n, err := strconv.Atoi(etag[i+1:])
		if err != nil || n < 1 || n > 10000 {
			return inventory.Checksum{}, false
		}
		value, parts = etag[:i], n
	}
	if len(value) != 32 {
		return inventory.Checksum{}, false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return inventory.Checksum{}, false
		}
	}
	c := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: strings.ToLower(value), Source: inventory.FromETag}
	if parts > 0 {
		c.Type, c.Parts = inventory.Composite, parts
	}
	return c, true
}

// encryptions translates S3 Inventory's EncryptionStatus into the names
// [inventory.Fingerprint.Encryption] uses (S3's x-amz-server-side-encryption
// values). A status not listed is kept as the inventory gives it, which the
// engine treats as an encryption it cannot vouch for.
var encryptions = map[string]string{
	"NOT-SSE":  inventory.EncryptionNone,
	"SSE-S3":   "AES256",
	"SSE-KMS":  "aws:kms",
	"DSSE-KMS": "aws:kms:dsse",
	"SSE-C":    inventory.EncryptionCustomerKey,
}
