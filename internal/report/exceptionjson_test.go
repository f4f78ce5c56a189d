package report

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/parityproof/parityproof/internal/ledger"
)

// anyString draws printable ASCII most of the time, and otherwise any
// Unicode, HTML's special characters, control characters or bytes that
// are not UTF-8: everything encoding/json escapes.
func anyString() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`[ -~]{0,20}`),
		rapid.StringMatching(`[<>&"\\/a\x00-\x1f\x7f]{0,8}`),
		rapid.String(),
		rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "bytes")) }),
		rapid.SampledFrom([]string{"\u2028", "\u2029", "a\u2028b", "\ufffd", "é", "☃"}),
	)
}

// An exception appended by appendException is, byte for byte, the one
// json.MarshalIndent writes, whatever its strings hold.
func TestAppendExceptionIsMarshalIndent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := Exception{
			Pair: anyString().Draw(t, "pair"), Key: anyString().Draw(t, "key"),
			Verdict:  ledger.Verdict(anyString().Draw(t, "verdict")),
			Severity: ledger.Severity(anyString().Draw(t, "severity")),
			Evidence: ledger.Evidence(anyString().Draw(t, "evidence")),
			Detail:   anyString().Draw(t, "detail"),
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "stores") {
			s := ExceptionStore{
				Store: anyString().Draw(t, "store"), Role: anyString().Draw(t, "role"),
				Presence: anyString().Draw(t, "presence"), Size: rapid.Int64().Draw(t, "size"),
			}
			for range rapid.IntRange(0, 3).Draw(t, "checksums") {
				s.Checksums = append(s.Checksums, anyString().Draw(t, "checksum"))
			}
			if i == 1 && rapid.Bool().Draw(t, "empty checksums") {
				s.Checksums = []string{} // empty, not nil: omitted all the same
			}
			x.Stores = append(x.Stores, s)
		}
		want, err := json.MarshalIndent(&x, exceptionIndent, "  ")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(appendException(nil, &x))); diff != "" {
			t.Fatalf("appendException (-MarshalIndent +got):\n%s", diff)
		}
	})
}

// BenchmarkExceptionJSON is the cost of one exception of report.json, a
// mismatch held by two stores: as appendException writes it, and as
// json.MarshalIndent did.
func BenchmarkExceptionJSON(b *testing.B) {
	x := Exception{
		Pair: "us-users", Key: "users/0042/photos/2019/IMG_20190412_181502.jpg",
		Verdict: ledger.Mismatch, Severity: ledger.Mismatch.Severity(), Evidence: ledger.EvidenceNone,
		Detail: "the copy in oci-us differs: md5 of legacy-us is 9e107d9d372bb6826bd81d3542a419d6, of oci-us 37b51d194a7513e45b56f6524f2d51f2",
		Stores: []ExceptionStore{
			{Store: "legacy-us", Role: "legacy", Presence: "current", Size: 2_481_920, Checksums: []string{"md5:9e107d9d372bb6826bd81d3542a419d6 (listing)"}},
			{Store: "oci-us", Role: "target", Presence: "current", Size: 2_481_920, Checksums: []string{"md5:37b51d194a7513e45b56f6524f2d51f2 (listing)", "crc32c:yZRlqg== (head)"}},
		},
	}
	b.Run("appendException", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendException(buf[:0], &x)
		}
	})
	b.Run("MarshalIndent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.MarshalIndent(&x, exceptionIndent, "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
}
