// Package checksum turns the checksum encodings stores use (hex ETags,
// base64 MD5s, "-N" multipart forms) into [inventory.Checksum] values, and
// computes checksums of content while it streams.
package checksum

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// digestSize is the size in bytes of each algorithm's digest.
var digestSize = map[inventory.Algorithm]int{
	inventory.MD5:       16,
	inventory.CRC32:     4,
	inventory.CRC32C:    4,
	inventory.CRC64NVME: 8,
	inventory.SHA1:      20,
	inventory.SHA256:    32,
	inventory.SHA384:    48,
}

// ParseETag interprets an S3-style ETag: 32 hex digits are the MD5 of the
// content, "hex-N" the MD5 over the binary MD5s of N parts. Anything else
// (an opaque id) returns false. The result has source [inventory.FromETag]:
// it stands for an MD5 only if the object is not encrypted with SSE-KMS or
// SSE-C, which a listing cannot tell.
func ParseETag(etag string) (inventory.Checksum, bool) {
	etag = strings.Trim(etag, `"`)
	value, parts, composite, err := splitParts(etag)
	if err != nil || len(value) != 32 || !isHex(value) {
		return inventory.Checksum{}, false
	}
	c := inventory.Checksum{
		Algorithm: inventory.MD5,
		Type:      inventory.FullObject,
		Value:     strings.ToLower(value),
		Source:    inventory.FromETag,
	}
	if composite {
		c.Type, c.Parts = inventory.Composite, parts
	}
	return c, true
}

// ParseBase64 decodes a base64 checksum as OCI and S3's additional
// checksums give it, "value" for a full-object checksum or "value-N" for a
// composite one over N parts (OCI's opc-multipart-md5, S3's COMPOSITE
// checksums). typ is the checksum type the store declared, if it declared
// one; a "-N" suffix always means composite.
func ParseBase64(alg inventory.Algorithm, typ inventory.ChecksumType, s string, src inventory.Source) (inventory.Checksum, error) {
	value, parts, composite, err := splitParts(strings.TrimSpace(s))
	if err != nil {
		return inventory.Checksum{}, fmt.Errorf("%s checksum %q: %w", alg, s, err)
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return inventory.Checksum{}, fmt.Errorf("%s checksum %q is not base64: %w", alg, s, err)
	}
	if want, ok := digestSize[alg]; !ok {
		return inventory.Checksum{}, fmt.Errorf("unknown checksum algorithm %q", alg)
	} else if len(raw) != want {
		return inventory.Checksum{}, fmt.Errorf("%s checksum %q has %d bytes, want %d", alg, s, len(raw), want)
	}
	if typ == "" {
		typ = inventory.FullObject
	}
	c := inventory.Checksum{Algorithm: alg, Type: typ, Value: hex.EncodeToString(raw), Source: src}
	if composite {
		c.Type, c.Parts = inventory.Composite, parts
	}
	return c, nil
}

// Base64 returns the checksum's value in base64, as OCI and S3 headers
// carry it, with the "-N" suffix of composite checksums.
func Base64(c inventory.Checksum) (string, error) {
	raw, err := hex.DecodeString(c.Value)
	if err != nil {
		return "", fmt.Errorf("checksum %s is not hex: %w", c, err)
	}
	s := base64.StdEncoding.EncodeToString(raw)
	if c.Type == inventory.Composite {
		s += "-" + strconv.Itoa(c.Parts)
	}
	return s, nil
}

// splitParts splits "value-N" into value and N.
func splitParts(s string) (value string, parts int, composite bool, err error) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return s, 0, false, nil
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 || n > 10000 {
		return "", 0, false, fmt.Errorf("part count %q is not a number from 1 to 10000", s[i+1:])
	}
	return s[:i], n, true, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
