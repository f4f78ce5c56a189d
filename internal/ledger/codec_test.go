package ledger

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

func sampleEntries() []Entry {
	at := time.Date(2026, 11, 1, 8, 0, 0, 123456789, time.UTC)
	del := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	md5 := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromListing}
	mp := inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: "0123456789abcdef0123456789abcdef", Parts: 3, PartSize: 8 << 20, Source: inventory.FromETag}
	return []Entry{
		{Key: "", Verdict: Extra, Evidence: EvidenceNone, Detail: "the empty key"},
		{
			Key: "a b/c+d%20?#/日本語", Verdict: Verified, Evidence: EvidenceMD5,
			Stores: []StoreFingerprint{
				{Store: "legacy-us", Role: Legacy, Fingerprint: inventory.Fingerprint{Size: 43, ETag: "9e107d9d372bb6826bd81d3542a419d6", Checksums: []inventory.Checksum{md5}, Modified: at, StorageTier: "STANDARD", Encryption: inventory.EncryptionNone}},
				{Store: "oci-us", Role: Target, Fingerprint: inventory.Fingerprint{Size: 43, ETag: "opaque-etag", Checksums: []inventory.Checksum{md5}, Created: at}},
			},
			Comparisons: []Comparison{{Store: "legacy-us", Evidence: EvidenceMD5, Result: ResultEqual, Legacy: ChecksumValue(md5), Target: ChecksumValue(md5)}, {Store: "legacy-sg", Evidence: EvidenceMultipartMD5, Result: ResultDiffer, Legacy: ChecksumValue(mp), Target: SizeValue(7), Carried: true}},
			HeldBy:      []string{"legacy-us"},
			ProvenAt:    &Proof{At: at, Evidence: EvidenceMD5, Size: 43, Checksums: []inventory.Checksum{md5}},
		},
		{
			Key: "deleted/one", Verdict: DeletionIncomplete, Evidence: EvidenceMultipartMD5, Detail: "line\nbreak and <html> & \"quotes\"",
			Stores: []StoreFingerprint{
				{Store: "legacy-sg", Role: Legacy, Fingerprint: inventory.Fingerprint{Presence: inventory.DeleteMarker, Size: 9, Checksums: []inventory.Checksum{mp}, NoncurrentVersions: 2, VersionID: "v1", PartCount: 3, PartSize: 8 << 20}},
				{Store: "legacy-us", Role: Legacy, Fingerprint: inventory.Fingerprint{Presence: inventory.NoObject, UnfinishedUploads: 1}},
			},
			HeldBy:    []string{"legacy-us", "legacy-sg"},
			DeletedAt: &del,
		},
		{Key: "zz\u00ff", Verdict: CopyLost, Evidence: EvidenceDeep, DeletedAt: &del, ProvenAt: &Proof{At: at, Evidence: EvidenceDeep, Size: 1, Encryption: "aws:kms", PartSize: 5}},
	}
}

func writeLedger(t testing.TB, entries []Entry) ([]byte, Digest) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range entries {
		if err := w.Write(&entries[i]); err != nil {
			t.Fatalf("write %q: %v", entries[i].Key, err)
		}
	}
	d, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), d
}

func readAll(data []byte) ([]Entry, error) {
	r, err := NewReader(bytes.NewReader(data), "test.jsonl.gz")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []Entry
	for {
		page, err := r.NextPage()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, page...)
	}
}

func TestRoundTrip(t *testing.T) {
	want := sampleEntries()
	data, d := writeLedger(t, want)
	got, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries after a round trip (-want +got):\n%s", diff)
	}
	sum := sha256.Sum256(data)
	wantDigest := Digest{Entries: 4, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), First: "", Last: "zz\u00ff"}
	if diff := cmp.Diff(wantDigest, d); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	// The same entries make the same bytes: digests are reproducible.
	again, _ := writeLedger(t, want)
	if !bytes.Equal(data, again) {
		t.Error("writing the same entries twice gave different bytes")
	}
}

// An entry judged from a baseline survives the codec whole.
func TestBaselineRoundTrip(t *testing.T) {
	want := []Entry{baselineEntry()}
	data, _ := writeLedger(t, want)
	got, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestReaderPagesAcrossPageBoundaries(t *testing.T) {
	var want []Entry
	for i := range 2*DefaultPageSize + 3 {
		want = append(want, Entry{Key: fmt.Sprintf("k%06d/%c", i, rune(0x100+i)), Verdict: Verified, Evidence: EvidenceMD5})
	}
	data, _ := writeLedger(t, want)
	got, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestWriterRejectsOutOfOrderKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want string
	}{
		{"backwards", []string{"b", "a"}, `writing ledger: key "a" comes after "b": keys must be in strictly increasing byte order`},
		{"repeated", []string{"a", "a"}, `writing ledger: key "a" repeats`},
		{"byte order, not unicode collation", []string{"é", "z"}, `writing ledger: key "z" comes after "é": keys must be in strictly increasing byte order`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter(io.Discard)
			var err error
			for _, k := range tc.keys {
				if err = w.Write(&Entry{Key: k, Verdict: Verified}); err != nil {
					break
				}
			}
			var oe *OrderError
			if !errors.As(err, &oe) {
				t.Fatalf("got %v, want an OrderError", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterRejectsInvalidVerdict(t *testing.T) {
	w := NewWriter(io.Discard)
	err := w.Write(&Entry{Key: "a", Verdict: "fine"})
	if diff := cmp.Diff(`writing ledger entry "a": invalid verdict "fine"`, errString(err)); diff != "" {
		t.Error(diff)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// gz compresses plain JSON Lines text, for hand-written bad ledgers.
func gz(text string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	return buf.Bytes()
}

func TestReaderRejectsBadLedgers(t *testing.T) {
	good, _ := writeLedger(t, sampleEntries())
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x01
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte("{\"key\":\"a\"}\n"), "reading ledger test.jsonl.gz: gzip: invalid header"},
		{"truncated compressed stream", good[:len(good)-9], "ledger test.jsonl.gz after line 4: unexpected EOF"},
		{"a flipped byte", flipped, ""},
		{"last line without newline", gz(`{"key":"a","verdict":"verified","evidence":"md5"}`), "ledger test.jsonl.gz line 1: unexpected EOF: the last line has no newline"},
		{"unknown verdict", gz(`{"key":"a","verdict":"ok","evidence":"md5"}` + "\n"), `ledger test.jsonl.gz line 1: unknown verdict "ok"`},
		{"unknown evidence", gz(`{"key":"a","verdict":"verified","evidence":"vibes"}` + "\n"), `ledger test.jsonl.gz line 1: unknown evidence "vibes"`},
		{"unknown field", gz(`{"key":"a","verdict":"verified","evidence":"md5","trust":"me"}` + "\n"), `ledger test.jsonl.gz line 1: json: unknown field "trust"`},
		{"no verdict", gz(`{"key":"a"}` + "\n"), `ledger test.jsonl.gz line 1: entry "a" has no verdict`},
		{"keys out of order", gz(`{"key":"b","verdict":"verified","evidence":"md5"}` + "\n" + `{"key":"a","verdict":"verified","evidence":"md5"}` + "\n"),
			`ledger test.jsonl.gz line 2: key "a" comes after "b": keys must be in strictly increasing byte order`},
		{"two values on a line", gz(`{"key":"a","verdict":"verified","evidence":"md5"} {}` + "\n"), "ledger test.jsonl.gz line 1: more than one JSON value on the line"},
		{"a stray brace after the value", gz(`{"key":"a","verdict":"verified","evidence":"md5"}}` + "\n"), "ledger test.jsonl.gz line 1: more than one JSON value on the line"},
		{"not json", gz("hello\n"), "ledger test.jsonl.gz line 1: invalid character 'h' looking for beginning of value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(tc.data)
			if err == nil {
				t.Fatal("read a bad ledger without an error")
			}
			if tc.want != "" {
				if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func FuzzReader(f *testing.F) {
	good, _ := writeLedger(f, sampleEntries())
	f.Add(good)
	f.Add(gz(`{"key":"a","verdict":"verified","evidence":"md5"}` + "\n"))
	f.Add(gz(`{"key":"a","verdict":"verified","evidence":"md5","stores":[{"store":"s","role":"legacy","presence":"delete_marker","size":-1}]}` + "\n"))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := readAll(data)
		if err != nil {
			return
		}
		// Whatever decodes must be sorted and must encode again.
		for i := 1; i < len(entries); i++ {
			if entries[i].Key <= entries[i-1].Key {
				t.Fatalf("reader returned %q after %q", entries[i].Key, entries[i-1].Key)
			}
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := range entries {
			if err := w.Write(&entries[i]); err != nil {
				t.Fatalf("re-encoding a decoded entry: %v", err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReaderPlain fuzzes the decoder behind the compression, where the
// interesting bytes are.
func FuzzReaderPlain(f *testing.F) {
	f.Add(`{"key":"a","verdict":"verified","evidence":"md5"}` + "\n")
	f.Add(`{"key":"a","verdict":"deleted","evidence":"md5","proven_at":{"at":"2026-11-01T08:00:00Z","evidence":"md5","size":3},"deleted_at":"2026-11-02T00:00:00Z"}` + "\n")
	f.Add(`{"key":"a","verdict":"verified","evidence":"md5","stores":[{"store":"s","role":"legacy","presence":"current","size":1,"checksums":[{"algorithm":"md5","type":"full_object","value":"00","source":"etag"}]}]}` + "\n" + `{"key":"b","verdict":"extra","evidence":"none"}` + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		entries, err := readAll(gz(text))
		if err != nil {
			return
		}
		for i := 1; i < len(entries); i++ {
			if entries[i].Key <= entries[i-1].Key {
				t.Fatalf("reader returned %q after %q", entries[i].Key, entries[i-1].Key)
			}
		}
	})
}
