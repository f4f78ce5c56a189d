package checksum

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// crc64NVMEPoly is the CRC-64/NVME polynomial in the reversed form
// hash/crc64 takes (normal form 0xAD93D23594C935A9), the algorithm S3 uses
// for its default CRC64NVME checksums.
const crc64NVMEPoly = 0x9A6C9329AC4BC9B5

// Tables are computed once; hash/crc32 and hash/crc64 cache theirs too.
var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)
)

// NewCRC64NVME returns a hash computing CRC-64/NVME.
func NewCRC64NVME() hash.Hash64 { return crc64.New(crc64NVMETable) }

// NewCRC32C returns a hash computing CRC-32C (Castagnoli).
func NewCRC32C() hash.Hash32 { return crc32.New(crc32cTable) }

// Digester computes, while content streams through it, the full-object
// MD5, CRC32C, CRC64NVME and SHA-256 of the content and, when given a part
// size, the composite MD5 and CRC32C under that part layout (the S3
// multipart ETag and COMPOSITE checksum). It reads each byte once and never
// holds more than the hash states.
type Digester struct {
	partSize int64

	md5, sha256 hash.Hash
	crc32c      hash.Hash32
	crc64       hash.Hash64

	partMD5, partCRC32C hash.Hash
	partLen             int64
	parts               int
	md5OfMD5s           hash.Hash
	crcOfCRCs           hash.Hash
	total               int64
}

// NewDigester returns a Digester. partSize > 0 also computes the composite
// checksums of an upload in parts of that size.
func NewDigester(partSize int64) *Digester {
	d := &Digester{
		partSize: partSize,
		md5:      md5.New(),
		sha256:   sha256.New(),
		crc32c:   NewCRC32C(),
		crc64:    NewCRC64NVME(),
	}
	if partSize > 0 {
		d.partMD5, d.partCRC32C = md5.New(), NewCRC32C()
		d.md5OfMD5s, d.crcOfCRCs = md5.New(), NewCRC32C()
	}
	return d
}

// Write hashes p. It never fails.
func (d *Digester) Write(p []byte) (int, error) {
	n := len(p)
	d.total += int64(n)
	d.md5.Write(p)
	d.sha256.Write(p)
	d.crc32c.Write(p)
	d.crc64.Write(p)
	for d.partSize > 0 && len(p) > 0 {
		chunk := p
		if room := d.partSize - d.partLen; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		d.partMD5.Write(chunk)
		d.partCRC32C.Write(chunk)
		d.partLen += int64(len(chunk))
		p = p[len(chunk):]
		if d.partLen == d.partSize {
			d.endPart()
		}
	}
	return n, nil
}

func (d *Digester) endPart() {
	d.md5OfMD5s.Write(d.partMD5.Sum(nil))
	d.crcOfCRCs.Write(d.partCRC32C.Sum(nil))
	d.partMD5.Reset()
	d.partCRC32C.Reset()
	d.partLen = 0
	d.parts++
}

// Size returns the number of bytes written.
func (d *Digester) Size() int64 { return d.total }

// Checksums returns the checksums of what was written, with source
// [inventory.FromContent]. Composite checksums are included when the
// Digester was given a part size and content was written.
func (d *Digester) Checksums() []inventory.Checksum {
	sum := func(alg inventory.Algorithm, h hash.Hash) inventory.Checksum {
		return inventory.Checksum{Algorithm: alg, Type: inventory.FullObject, Value: hex.EncodeToString(h.Sum(nil)), Source: inventory.FromContent}
	}
	out := []inventory.Checksum{
		sum(inventory.MD5, d.md5),
		sum(inventory.CRC32C, d.crc32c),
		sum(inventory.CRC64NVME, d.crc64),
		sum(inventory.SHA256, d.sha256),
	}
	if d.partSize <= 0 {
		return out
	}
	// Finish a copy of the composite state so Checksums may be called twice.
	parts := d.parts
	md5s, crcs := cloneHash(d.md5OfMD5s, md5.New()), cloneHash(d.crcOfCRCs, NewCRC32C())
	if d.partLen > 0 {
		md5s.Write(d.partMD5.Sum(nil))
		crcs.Write(d.partCRC32C.Sum(nil))
		parts++
	}
	if parts == 0 {
		return out
	}
	for _, c := range []inventory.Checksum{sum(inventory.MD5, md5s), sum(inventory.CRC32C, crcs)} {
		c.Type, c.Parts, c.PartSize = inventory.Composite, parts, d.partSize
		out = append(out, c)
	}
	return out
}

// cloneHash copies h's state into fresh (both from the same constructor).
func cloneHash(h, fresh hash.Hash) hash.Hash {
	type binaryHash interface {
		MarshalBinary() ([]byte, error)
		UnmarshalBinary([]byte) error
	}
	state, err := h.(binaryHash).MarshalBinary()
	if err != nil {
		panic("checksum: hash state cannot be copied: " + err.Error())
	}
	if err := fresh.(binaryHash).UnmarshalBinary(state); err != nil {
		panic("checksum: hash state cannot be restored: " + err.Error())
	}
	return fresh
}
