package ledger

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// jsonLine is the reference encoding of e: encoding/json with HTML escaping
// off, as the Writer used it, without the newline.
func jsonLine(e *Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkEncoders fails unless appendEntry encodes e to encoding/json's bytes,
// or refuses it exactly when encoding/json does. It returns the line, or
// nil when both refused.
func checkEncoders(t *testing.T, e *Entry) []byte {
	t.Helper()
	want, err := jsonLine(e)
	got, ok := appendEntry([]byte("prefix"), e)
	switch {
	case err != nil && ok:
		t.Fatalf("appendEntry encoded an entry encoding/json refuses (%v):\n%s", err, got)
	case err != nil:
		if string(got) != "prefix" {
			t.Fatalf("appendEntry refused an entry but changed the buffer to %q", got)
		}
		return nil
	case !ok:
		t.Fatalf("appendEntry refused an entry encoding/json encodes:\n%s", want)
	}
	if diff := cmp.Diff(string(want), strings.TrimPrefix(string(got), "prefix")); diff != "" {
		t.Fatalf("appendEntry (+) and encoding/json (-) disagree:\n%s", diff)
	}
	return want
}

// trickyEntries are entries whose encodings are easy to get wrong, each
// named after what it checks.
func trickyEntries() map[string]Entry {
	at := time.Date(2026, 11, 1, 8, 0, 0, 120000000, time.UTC)
	sum := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromListing}
	var controls strings.Builder
	for c := range 0x20 {
		controls.WriteByte(byte(c))
	}
	controls.WriteString("\x7f\"\\/<>&")
	store := func(f inventory.Fingerprint) Entry {
		return Entry{Key: "k", Verdict: Verified, Evidence: EvidenceMD5, Stores: []StoreFingerprint{{Store: "s", Role: Legacy, Fingerprint: f}}}
	}
	values := func(v ...Value) Entry {
		e := Entry{Key: "k", Verdict: Mismatch, Evidence: EvidenceMD5}
		for _, v := range v {
			e.Comparisons = append(e.Comparisons, Comparison{Store: "s", Evidence: EvidenceMD5, Result: ResultDiffer, Legacy: v, Target: v})
		}
		return e
	}
	tz := func(name string, offset int) Entry {
		t := time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone(name, offset))
		return Entry{Key: "k", Verdict: Deleted, Evidence: EvidenceMD5, DeletedAt: &t, ProvenAt: &Proof{At: t}}
	}
	entries := map[string]Entry{
		"zero entry":                          {},
		"unicode key":                         {Key: "日本語/ñ/🙂/\u00ff", Verdict: Verified, Evidence: EvidenceMD5},
		"control characters and specials":     {Key: controls.String(), Verdict: Error, Evidence: EvidenceNone, Detail: controls.String()},
		"invalid UTF-8 in key and detail":     {Key: "a\xffb\xc3", Verdict: Error, Evidence: EvidenceNone, Detail: "\xe6\x97\xa5\xe6\x97 cut \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big \xc0\xaf overlong"},
		"U+2028, U+2029 and U+FFFD":           {Key: "\u2028\u2029\ufffd\u2027\u202a", Verdict: Error, Evidence: EvidenceNone},
		"HTML is not escaped":                 {Key: "<a href='x'>&amp;</a>", Verdict: Verified, Evidence: EvidenceMD5},
		"unknown verdict and evidence":        {Key: "k", Verdict: "fine", Evidence: "vibes"},
		"empty slices are left out like nil":  {Key: "k", Verdict: Verified, Evidence: EvidenceMD5, Stores: []StoreFingerprint{}, Comparisons: []Comparison{}, HeldBy: []string{}, ProvenAt: &Proof{Checksums: []inventory.Checksum{}}},
		"empty strings in a list":             {Key: "k", Verdict: Verified, Evidence: EvidenceMD5, HeldBy: []string{"", "b", ""}},
		"zero proof time is written":          {Key: "k", Verdict: Verified, Evidence: EvidenceMD5, ProvenAt: &Proof{}},
		"zero deletion time is written":       {Key: "k", Verdict: Deleted, Evidence: EvidenceMD5, DeletedAt: &time.Time{}},
		"zero fingerprint times are left out": store(inventory.Fingerprint{Created: time.Time{}.In(time.FixedZone("X", 3600)), Modified: time.Time{}}),
		"nanoseconds without trailing zeros":  store(inventory.Fingerprint{Created: at, Modified: at.Add(-120000000 + 1)}),
		"every fingerprint field":             store(inventory.Fingerprint{Key: "own", Presence: inventory.DeleteMarker, Size: -1, ETag: "e\"t", Checksums: []inventory.Checksum{sum, {Parts: -2, PartSize: 1}}, Encryption: "aws:kms", PartCount: 3, PartSize: 5 << 20, VersionID: "v", NoncurrentVersions: 2, UnfinishedUploads: 1, StorageTier: "GLACIER", ArchivalState: "restoring", Archived: true, Created: at, Modified: at}),
		"presence current is left out":        store(inventory.Fingerprint{Presence: inventory.Current}),
		"presence delete_marker":              store(inventory.Fingerprint{Presence: inventory.DeleteMarker}),
		"presence no_object":                  store(inventory.Fingerprint{Presence: inventory.NoObject}),
		"presence without a name is refused":  store(inventory.Fingerprint{Presence: 3}),
		"extreme sizes":                       store(inventory.Fingerprint{Size: -1 << 63, PartSize: 1<<63 - 1, PartCount: -1}),
		"value kinds":                         values(SizeValue(0), SizeValue(-7), Value{Kind: KindSize, Text: "ignored", Parts: 3, Size: 1}, Value{Kind: KindETag, Text: "\"quoted\""}, ChecksumValue(sum), Value{Kind: "md5", Text: "ab", Parts: 4}, Value{Kind: "md5", Text: "ab", Parts: -4}, Value{Parts: 1}, Value{Size: 5}, Value{Kind: "k\xe6\x97", Text: "\xa5t\u2028"}),
		"carried comparison":                  {Key: "k", Verdict: Verified, Evidence: EvidenceMD5, Comparisons: []Comparison{{Carried: true}}},
		"baseline of every fingerprint field": {Key: "k", Verdict: DeletedUnverified, Evidence: EvidenceNone, Baseline: []BaselineRef{{Store: "s\u2028", Inventory: "<i>", Date: at,
			Fingerprint: inventory.Fingerprint{Key: "own", Presence: inventory.DeleteMarker, Size: 3, ETag: "e", Checksums: []inventory.Checksum{sum}, Encryption: "aws:kms", VersionID: "v", NoncurrentVersions: 1, Modified: at}}, {}}},
		"empty baseline is left out":        {Key: "k", Verdict: Deleted, Evidence: EvidenceMD5, Baseline: []BaselineRef{}},
		"baseline of a zero date":           {Key: "k", Verdict: Deleted, Evidence: EvidenceMD5, Baseline: []BaselineRef{{Store: "s", Date: time.Time{}}}},
		"baseline of year 10000 is refused": {Key: "k", Verdict: Deleted, Evidence: EvidenceMD5, Baseline: []BaselineRef{{Date: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"time zones":                        tz("CET", 3600),
		"time zone west with minutes":       tz("X", -(9*3600 + 30*60)),
		"time zone with seconds":            tz("LMT", 3600+61),
		"time zone of 24 hours is refused":  tz("X", 24*3600),
		"year 10000 is refused":             {Key: "k", DeletedAt: ptr(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
		"year -1 is refused":                {Key: "k", ProvenAt: &Proof{At: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"year 0":                            {Key: "k", ProvenAt: &Proof{At: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"local time":                        {Key: "k", DeletedAt: ptr(time.Date(2026, 7, 1, 12, 0, 0, 1, time.Local))},
	}
	for i, e := range sampleEntries() {
		entries["sample "+string(rune('0'+i))] = e
	}
	entries["judged from a baseline"] = baselineEntry()
	return entries
}

// baselineEntry is an entry judged from an S3 Inventory: deleted before
// any run, its copy proven identical to what the inventory listed.
func baselineEntry() Entry {
	at := time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)
	del := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	md5 := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromETag}
	return Entry{Key: "from/inventory", Verdict: Deleted, Evidence: EvidenceMD5, DeletedAt: &del, HeldBy: []string{"legacy-us"},
		Comparisons: []Comparison{{Store: "legacy-us", Evidence: EvidenceMD5, Result: ResultEqual, Legacy: ChecksumValue(md5), Target: ChecksumValue(md5)}},
		ProvenAt:    &Proof{At: del, Evidence: EvidenceMD5, Size: 43, Checksums: []inventory.Checksum{md5}},
		Baseline: []BaselineRef{{Store: "legacy-us", Inventory: "s3://inventory/legacy-us/baseline/2024-01-02T03-04Z/manifest.json", Date: at,
			Fingerprint: inventory.Fingerprint{Size: 43, ETag: "9e107d9d372bb6826bd81d3542a419d6", Checksums: []inventory.Checksum{md5}, Encryption: inventory.EncryptionNone, StorageTier: "STANDARD", Modified: at}}}}
}

func ptr[T any](v T) *T { return &v }

func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	for name, e := range trickyEntries() {
		t.Run(name, func(t *testing.T) {
			line := checkEncoders(t, &e)
			if strings.HasSuffix(name, "is refused") != (line == nil) {
				t.Errorf("refused: %v, want %v", line == nil, strings.HasSuffix(name, "is refused"))
			}
		})
	}
}

// FuzzAppendEntry encodes entries built from the fuzzer's bytes with both
// encoders, and reads each line back with both decoders.
func FuzzAppendEntry(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 300))
	f.Add([]byte("\x03\x05keyé\x01\x00\x02\x30\x05\x06detail\xff\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"))
	for _, e := range sampleEntries() {
		line, _ := jsonLine(&e)
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := fuzzEntry(data)
		line := checkEncoders(t, &e)
		if line == nil {
			return
		}
		var slow Entry
		if decodeJSON(line, &slow) == nil && !checkDecoders(t, line) {
			t.Fatalf("the fast decoder left a line it wrote to encoding/json:\n%s", line)
		}
	})
}

// fuzzSource hands out values drawn from a fuzzer's bytes, zeros when
// they run out.
type fuzzSource []byte

func (s *fuzzSource) byte() byte {
	if len(*s) == 0 {
		return 0
	}
	b := (*s)[0]
	*s = (*s)[1:]
	return b
}

func (s *fuzzSource) bytes(n int) []byte {
	n = min(n, len(*s))
	b := (*s)[:n]
	*s = (*s)[n:]
	return b
}

// string returns a string of up to 31 bytes, or one of a few words.
func (s *fuzzSource) string() string {
	n := s.byte()
	if n >= 224 {
		words := []string{"", "legacy", "target", "md5", "size", "etag", "verified", "none", "\u2028", "\xff", "a:b-3", "日本", "\"\\", "\x00", "-", ":"}
		return words[int(n-224)%len(words)]
	}
	return string(s.bytes(int(n % 32)))
}

func (s *fuzzSource) int64() int64 {
	switch n := s.byte(); {
	case n < 128:
		return int64(n) - 8
	case n < 192:
		return int64(binary.LittleEndian.Uint64(append(s.bytes(8), make([]byte, 8)...)))
	default:
		return []int64{0, 1, -1, 1<<63 - 1, -1 << 63, 1e18, -1e18, 1 << 53}[n%8]
	}
}

func (s *fuzzSource) time() time.Time {
	var loc *time.Location
	switch s.byte() % 4 {
	case 0:
		loc = time.UTC
	case 1:
		loc = time.Local
	default:
		loc = time.FixedZone("Z", int(int32(s.int64()%(30*3600))))
	}
	switch s.byte() % 4 {
	case 0:
		return time.Time{}.In(loc)
	case 1:
		return time.Unix(s.int64(), s.int64()).In(loc)
	default:
		year := int(s.byte())*45 - 500 // -500 to 10975
		return time.Date(year, time.Month(s.byte()%12+1), int(s.byte()%31+1), int(s.byte()%24), int(s.byte()%60), int(s.byte()%60), int(s.int64()%1e9), loc)
	}
}

func (s *fuzzSource) checksums() []inventory.Checksum {
	var sums []inventory.Checksum
	switch n := s.byte() % 8; n {
	case 0:
		return nil
	case 1:
		return []inventory.Checksum{}
	default:
		for range n - 1 {
			sums = append(sums, inventory.Checksum{
				Algorithm: inventory.Algorithm(s.string()), Type: inventory.ChecksumType(s.string()), Value: s.string(),
				Parts: int(s.int64()), PartSize: s.int64(), Source: inventory.Source(s.string()),
			})
		}
	}
	return sums
}

func (s *fuzzSource) value() Value {
	return Value{Kind: s.string(), Text: s.string(), Parts: int(s.int64()), Size: s.int64()}
}

// fuzzEntry builds an entry from data, every field drawn from it.
func fuzzEntry(data []byte) Entry {
	s := fuzzSource(data)
	e := Entry{Key: s.string(), Verdict: Verdict(s.string()), Evidence: Evidence(s.string()), Detail: s.string()}
	if n := s.byte() % 5; n > 0 {
		e.Stores = []StoreFingerprint{}
		for range n - 1 {
			e.Stores = append(e.Stores, StoreFingerprint{Store: s.string(), Role: Role(s.string()), Fingerprint: inventory.Fingerprint{
				Key: s.string(), Presence: inventory.Presence(s.byte() % 5), Size: s.int64(), ETag: s.string(),
				Checksums: s.checksums(), Encryption: s.string(), PartCount: int(s.int64()), PartSize: s.int64(),
				VersionID: s.string(), NoncurrentVersions: int(s.int64()), UnfinishedUploads: int(s.int64()),
				StorageTier: s.string(), ArchivalState: s.string(), Archived: s.byte()%2 == 1, Created: s.time(), Modified: s.time(),
			}})
		}
	}
	if n := s.byte() % 5; n > 0 {
		e.Comparisons = []Comparison{}
		for range n - 1 {
			e.Comparisons = append(e.Comparisons, Comparison{Store: s.string(), Evidence: Evidence(s.string()), Result: s.string(),
				Legacy: s.value(), Target: s.value(), Carried: s.byte()%2 == 1})
		}
	}
	if n := s.byte() % 5; n > 0 {
		e.HeldBy = []string{}
		for range n - 1 {
			e.HeldBy = append(e.HeldBy, s.string())
		}
	}
	if s.byte()%2 == 1 {
		e.ProvenAt = &Proof{At: s.time(), Evidence: Evidence(s.string()), Size: s.int64(), Checksums: s.checksums(), Encryption: s.string(), PartSize: s.int64()}
	}
	if s.byte()%2 == 1 {
		e.DeletedAt = ptr(s.time())
	}
	if n := s.byte() % 4; n > 0 {
		e.Baseline = []BaselineRef{}
		for range n - 1 {
			e.Baseline = append(e.Baseline, BaselineRef{Store: s.string(), Inventory: s.string(), Date: s.time(), Fingerprint: inventory.Fingerprint{
				Key: s.string(), Presence: inventory.Presence(s.byte() % 5), Size: s.int64(), ETag: s.string(),
				Checksums: s.checksums(), Encryption: s.string(), VersionID: s.string(), NoncurrentVersions: int(s.int64()),
				StorageTier: s.string(), Modified: s.time(),
			}})
		}
	}
	return e
}
