package parity

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Fixtures that build a test's world in one line each.

var (
	earlier = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	now     = time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
)

var (
	legacyFeatures = inventory.Features{ListingChecksums: true, Versions: true, MultipartUploads: true, Head: true, PartSizes: true, Read: true}
	targetFeatures = inventory.Features{ListingChecksums: true, Head: true, Read: true}
)

func testPair() Pair {
	return Pair{
		Name:   "us-users",
		Legacy: []StoreInfo{{Name: "legacy-us", Features: legacyFeatures}, {Name: "legacy-sg", Features: legacyFeatures}},
		Target: StoreInfo{Name: "oci-us", Features: targetFeatures},
	}
}

func md5hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func crc32chex(s string) string {
	return fmt.Sprintf("%08x", crc32.Checksum([]byte(s), crc32.MakeTable(crc32.Castagnoli)))
}

// etag is an S3 listing's ETag of content s: an MD5 unless SSE-KMS.
func etag(s string) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: md5hex(s), Source: inventory.FromETag}
}

// mpETag is an S3 multipart ETag "hex-N" (the value stands in for the MD5
// of part MD5s of content s).
func mpETag(s string, parts int) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: md5hex("parts:" + s), Parts: parts, Source: inventory.FromETag}
}

// ociMD5 is an OCI listing's md5 of content s.
func ociMD5(s string) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: md5hex(s), Source: inventory.FromListing}
}

// ociMPMD5 is an OCI listing's multipart md5 "base64-N".
func ociMPMD5(s string, parts int) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: md5hex("parts:" + s), Parts: parts, Source: inventory.FromListing}
}

func headCRC32C(s string) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.CRC32C, Type: inventory.FullObject, Value: crc32chex(s), Source: inventory.FromHead}
}

func headSHA256(s string) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.SHA256, Type: inventory.FullObject, Value: sha256hex(s), Source: inventory.FromHead}
}

func assertedMD5(s string) inventory.Checksum {
	return inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: md5hex(s), Source: inventory.FromMetadata}
}

// deepSums are the checksums a content read of s returns.
func deepSums(s string) []inventory.Checksum {
	return []inventory.Checksum{
		{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: md5hex(s), Source: inventory.FromContent},
		{Algorithm: inventory.CRC32C, Type: inventory.FullObject, Value: crc32chex(s), Source: inventory.FromContent},
		{Algorithm: inventory.SHA256, Type: inventory.FullObject, Value: sha256hex(s), Source: inventory.FromContent},
	}
}

func fp(key string, size int64, sums ...inventory.Checksum) *inventory.Fingerprint {
	return &inventory.Fingerprint{Key: key, Size: size, Checksums: sums, ETag: etagOf(sums)}
}

// etagOf gives fixtures an ETag: the first ETag-derived checksum's value.
func etagOf(sums []inventory.Checksum) string {
	for _, c := range sums {
		if c.Source == inventory.FromETag {
			if c.Type == inventory.Composite {
				return fmt.Sprintf("%s-%d", c.Value, c.Parts)
			}
			return c.Value
		}
	}
	return ""
}

func with(f *inventory.Fingerprint, edit func(*inventory.Fingerprint)) *inventory.Fingerprint {
	c := *f
	edit(&c)
	return &c
}

// proofOf is the proof a run at t made of target fingerprint f.
func proofOf(t time.Time, ev ledger.Evidence, f *inventory.Fingerprint) *ledger.Proof {
	return &ledger.Proof{At: t, Evidence: ev, Size: f.Size, Checksums: f.Checksums, Encryption: f.Encryption, PartSize: f.PartSize}
}

func timePtr(t time.Time) *time.Time { return &t }

// fakeResolver answers HEADs and reads from maps and records the calls.
type fakeResolver struct {
	mu     sync.Mutex
	heads  map[string]inventory.Fingerprint // "store/key"
	reads  map[string][]inventory.Checksum  // "store/key"
	errs   map[string]error                 // "head store/key" or "read store/key"
	budget int64                            // bytes left; <0 unlimited
	calls  []string
}

func (r *fakeResolver) Head(ctx context.Context, store, key string) (inventory.Fingerprint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "head "+store+"/"+key)
	if err := r.errs["head "+store+"/"+key]; err != nil {
		return inventory.Fingerprint{}, err
	}
	f, ok := r.heads[store+"/"+key]
	if !ok {
		return inventory.Fingerprint{}, fmt.Errorf("fake head %s/%s: no fixture", store, key)
	}
	return f, nil
}

func (r *fakeResolver) Read(ctx context.Context, req ReadRequest) ([]inventory.Checksum, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	call := fmt.Sprintf("read %s/%s", req.Store, req.Key)
	if req.PartSize > 0 {
		call += fmt.Sprintf(" parts of %d", req.PartSize)
	}
	r.calls = append(r.calls, call)
	if err := r.errs["read "+req.Store+"/"+req.Key]; err != nil {
		return nil, err
	}
	if r.budget >= 0 {
		if req.Size > r.budget {
			return nil, fmt.Errorf("reading %d bytes: %w", req.Size, ErrBudgetExhausted)
		}
		r.budget -= req.Size
	}
	sums, ok := r.reads[req.Store+"/"+req.Key]
	if !ok {
		return nil, fmt.Errorf("fake read %s/%s: no fixture", req.Store, req.Key)
	}
	return sums, nil
}

// sliceStream is an EntryStream over a slice, in pages of 2.
type sliceStream struct{ entries []ledger.Entry }

func (s *sliceStream) NextPage() ([]ledger.Entry, error) {
	if len(s.entries) == 0 {
		return nil, io.EOF
	}
	n := min(2, len(s.entries))
	page := s.entries[:n]
	s.entries = s.entries[n:]
	return page, nil
}

// roundTrip writes entries through the ledger codec and reads them back,
// so that the next run reads what a real ledger file would hold.
func roundTrip(t interface{ Fatalf(string, ...any) }, entries []ledger.Entry) []ledger.Entry {
	r, err := ledger.NewReader(bytes.NewReader(encodeLedger(t, entries)), "roundtrip")
	if err != nil {
		t.Fatalf("reading ledger: %v", err)
	}
	var out []ledger.Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading ledger: %v", err)
		}
		out = append(out, *e)
	}
}
