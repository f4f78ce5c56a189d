package ledger

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// The ledger's entries are written by hand rather than with encoding/json,
// which took most of a run's CPU time. The bytes are the ones
// encoding/json.Marshal writes with HTML escaping off, to the last byte:
// ledger digests are a contract, and FuzzAppendEntry holds the two encoders
// to it. Fields come in declaration order (an embedded struct's fields in
// its place), omitempty leaves out false, 0, "" and empty slices and nil
// pointers, omitzero leaves out zero values (or those whose IsZero says so),
// and text marshalers' output is escaped like any string.

// appendEntry appends the JSON encoding of e to b. It reports false, with
// b as it was, when encoding/json would refuse e (a Presence without a
// name, a time RFC 3339 cannot express), so that the caller can let
// encoding/json say why.
func appendEntry(b []byte, e *Entry) ([]byte, bool) {
	b0 := b
	var ok bool
	b = append(b, `{"key":`...)
	b = appendString(b, e.Key)
	b = append(b, `,"verdict":`...)
	b = appendString(b, string(e.Verdict))
	b = append(b, `,"evidence":`...)
	b = appendString(b, string(e.Evidence))
	if e.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendString(b, e.Detail)
	}
	if len(e.Stores) > 0 {
		b = append(b, `,"stores":[`...)
		for i := range e.Stores {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendStore(b, &e.Stores[i]); !ok {
				return b0, false
			}
		}
		b = append(b, ']')
	}
	if len(e.Comparisons) > 0 {
		b = append(b, `,"comparisons":[`...)
		for i := range e.Comparisons {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendComparison(b, &e.Comparisons[i])
		}
		b = append(b, ']')
	}
	if len(e.HeldBy) > 0 {
		b = append(b, `,"held_by":[`...)
		for i, s := range e.HeldBy {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	if e.ProvenAt != nil {
		b = append(b, `,"proven_at":`...)
		if b, ok = appendProof(b, e.ProvenAt); !ok {
			return b0, false
		}
	}
	if e.DeletedAt != nil {
		b = append(b, `,"deleted_at":`...)
		if b, ok = appendTime(b, *e.DeletedAt); !ok {
			return b0, false
		}
	}
	if len(e.Baseline) > 0 {
		b = append(b, `,"baseline":[`...)
		for i := range e.Baseline {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendBaseline(b, &e.Baseline[i]); !ok {
				return b0, false
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

// appendStore appends a StoreFingerprint: its own fields, then the
// embedded Fingerprint's.
func appendStore(b []byte, s *StoreFingerprint) ([]byte, bool) {
	b = append(b, `{"store":`...)
	b = appendString(b, s.Store)
	b = append(b, `,"role":`...)
	b = appendString(b, string(s.Role))
	return appendFingerprint(b, &s.Fingerprint)
}

// appendBaseline appends a BaselineRef: its own fields, then the embedded
// Fingerprint's.
func appendBaseline(b []byte, r *BaselineRef) ([]byte, bool) {
	b = append(b, `{"store":`...)
	b = appendString(b, r.Store)
	b = append(b, `,"inventory":`...)
	b = appendString(b, r.Inventory)
	b = append(b, `,"date":`...)
	b, ok := appendTime(b, r.Date)
	if !ok {
		return b, false
	}
	return appendFingerprint(b, &r.Fingerprint)
}

// appendFingerprint appends the fields of an embedded Fingerprint and
// closes the object they are in.
func appendFingerprint(b []byte, f *inventory.Fingerprint) ([]byte, bool) {
	if f.Key != "" {
		b = append(b, `,"key":`...)
		b = appendString(b, f.Key)
	}
	if f.Presence != inventory.Current {
		text, err := f.Presence.MarshalText()
		if err != nil {
			return b, false
		}
		b = append(b, `,"presence":"`...)
		b = append(append(b, text...), '"') // a name: nothing to escape
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, f.Size, 10)
	if f.ETag != "" {
		b = append(b, `,"etag":`...)
		b = appendString(b, f.ETag)
	}
	if len(f.Checksums) > 0 {
		b = append(b, `,"checksums":`...)
		b = appendChecksums(b, f.Checksums)
	}
	if f.Encryption != "" {
		b = append(b, `,"encryption":`...)
		b = appendString(b, f.Encryption)
	}
	if f.PartCount != 0 {
		b = append(b, `,"part_count":`...)
		b = strconv.AppendInt(b, int64(f.PartCount), 10)
	}
	if f.PartSize != 0 {
		b = append(b, `,"part_size":`...)
		b = strconv.AppendInt(b, f.PartSize, 10)
	}
	if f.VersionID != "" {
		b = append(b, `,"version_id":`...)
		b = appendString(b, f.VersionID)
	}
	if f.NoncurrentVersions != 0 {
		b = append(b, `,"noncurrent_versions":`...)
		b = strconv.AppendInt(b, int64(f.NoncurrentVersions), 10)
	}
	if f.UnfinishedUploads != 0 {
		b = append(b, `,"unfinished_uploads":`...)
		b = strconv.AppendInt(b, int64(f.UnfinishedUploads), 10)
	}
	if f.StorageTier != "" {
		b = append(b, `,"storage_tier":`...)
		b = appendString(b, f.StorageTier)
	}
	if f.ArchivalState != "" {
		b = append(b, `,"archival_state":`...)
		b = appendString(b, f.ArchivalState)
	}
	if f.Archived {
		b = append(b, `,"archived":true`...)
	}
	var ok bool
	if !f.Created.IsZero() {
		b = append(b, `,"created":`...)
		if b, ok = appendTime(b, f.Created); !ok {
			return b, false
		}
	}
	if !f.Modified.IsZero() {
		b = append(b, `,"modified":`...)
		if b, ok = appendTime(b, f.Modified); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendChecksums appends a non-empty list of checksums.
func appendChecksums(b []byte, sums []inventory.Checksum) []byte {
	b = append(b, '[')
	for i := range sums {
		c := &sums[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"algorithm":`...)
		b = appendString(b, string(c.Algorithm))
		b = append(b, `,"type":`...)
		b = appendString(b, string(c.Type))
		b = append(b, `,"value":`...)
		b = appendString(b, c.Value)
		if c.Parts != 0 {
			b = append(b, `,"parts":`...)
			b = strconv.AppendInt(b, int64(c.Parts), 10)
		}
		if c.PartSize != 0 {
			b = append(b, `,"part_size":`...)
			b = strconv.AppendInt(b, c.PartSize, 10)
		}
		b = append(b, `,"source":`...)
		b = appendString(b, string(c.Source))
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendComparison appends a Comparison.
func appendComparison(b []byte, c *Comparison) []byte {
	b = append(b, `{"store":`...)
	b = appendString(b, c.Store)
	b = append(b, `,"evidence":`...)
	b = appendString(b, string(c.Evidence))
	b = append(b, `,"result":`...)
	b = appendString(b, c.Result)
	if !c.Legacy.IsZero() {
		b = append(b, `,"legacy":`...)
		b = appendValue(b, c.Legacy)
	}
	if !c.Target.IsZero() {
		b = append(b, `,"target":`...)
		b = appendValue(b, c.Target)
	}
	if c.Carried {
		b = append(b, `,"carried":true`...)
	}
	return append(b, '}')
}

// appendProof appends a Proof.
func appendProof(b []byte, p *Proof) ([]byte, bool) {
	b = append(b, `{"at":`...)
	b, ok := appendTime(b, p.At)
	if !ok {
		return b, false
	}
	b = append(b, `,"evidence":`...)
	b = appendString(b, string(p.Evidence))
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, p.Size, 10)
	if len(p.Checksums) > 0 {
		b = append(b, `,"checksums":`...)
		b = appendChecksums(b, p.Checksums)
	}
	if p.Encryption != "" {
		b = append(b, `,"encryption":`...)
		b = appendString(b, p.Encryption)
	}
	if p.PartSize != 0 {
		b = append(b, `,"part_size":`...)
		b = strconv.AppendInt(b, p.PartSize, 10)
	}
	return append(b, '}'), true
}

// appendValue appends v's text, v.String(), as a JSON string without
// building it first. Escaping its parts one by one gives the bytes of
// escaping the whole: they are joined by ASCII bytes (":" and "-"), and no
// UTF-8 sequence runs across an ASCII byte.
func appendValue(b []byte, v Value) []byte {
	b = append(b, '"')
	b = appendEscaped(b, v.Kind)
	b = append(b, ':')
	switch {
	case v.Kind == KindSize:
		b = strconv.AppendInt(b, v.Size, 10)
	case v.Parts > 0:
		b = appendEscaped(b, v.Text)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(v.Parts), 10)
	default:
		b = appendEscaped(b, v.Text)
	}
	return append(b, '"')
}

// appendTime appends t as time.Time.MarshalJSON does: RFC 3339 with as
// many digits of nanoseconds as needed. It reports false, with b as it
// was, for the times MarshalJSON refuses.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	out, err := t.AppendText(append(b, '"'))
	if err != nil {
		return b, false
	}
	return append(out, '"'), true
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plain holds the bytes that stand for themselves in a JSON string and
// are plain ASCII: all but control characters, '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendEscaped appends s escaped for the inside of a JSON string the way
// encoding/json does with HTML escaping off: '"' and '\\' with a
// backslash, control characters as \b, \f, \n, \r, \t or \u00XX, each
// byte that is not valid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and
// \u2029, and everything else as it is.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
