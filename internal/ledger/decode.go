package ledger

import (
	"math"
	"slices"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// decoder decodes ledger lines in the form appendEntry writes them, without
// encoding/json. It accepts only a narrow form of JSON: no whitespace,
// members in declaration order with none repeated, strings with no invalid
// UTF-8 and no surrogate escapes, integers with no fraction or exponent,
// no nulls and no empty arrays. Whatever else it meets, it reports false, and the
// Reader decodes the line with encoding/json instead, so errors and edge
// cases are encoding/json's. Every line it accepts, encoding/json (with
// unknown fields disallowed) accepts too and decodes to the same entry:
// values with text or JSON unmarshalers go through the same methods, or
// through an equivalent check (verdicts, evidence). FuzzDecoder holds the
// two decoders to this.
type decoder struct {
	b []byte // the line
	i int    // the cursor in b

	// Reused between lines: what arrays are decoded into before they are
	// copied out at their length (see list), and unescaped strings.
	stores      []StoreFingerprint
	comparisons []Comparison
	checksums   []inventory.Checksum
	heldBy      []string
	baselines   []BaselineRef
	text        []byte

	// names holds strings seen that repeat from entry to entry, so that
	// they are not allocated again for each.
	names []string
}

// maxNames bounds decoder.names.
const maxNames = 16

// entry decodes line into e, which must be zero. It reports false, with e
// in any state, when the line is not in the form it knows.
func (d *decoder) entry(line []byte, e *Entry) bool {
	d.b, d.i = line, 0
	ok := d.object(entryFields, func(name string) bool {
		switch name {
		case "key":
			return d.string(&e.Key)
		case "verdict":
			return d.verdict(&e.Verdict)
		case "evidence":
			return d.evidence(&e.Evidence)
		case "detail":
			return d.string(&e.Detail)
		case "stores":
			return list(d, &e.Stores, &d.stores, d.store)
		case "comparisons":
			return list(d, &e.Comparisons, &d.comparisons, d.comparison)
		case "held_by":
			return list(d, &e.HeldBy, &d.heldBy, d.name)
		case "proven_at":
			e.ProvenAt = new(Proof)
			return d.proof(e.ProvenAt)
		case "deleted_at":
			e.DeletedAt = new(time.Time)
			return d.time(e.DeletedAt)
		case "baseline":
			return list(d, &e.Baseline, &d.baselines, d.baseline)
		}
		return false
	})
	return ok && d.i == len(d.b)
}

// The members of each object, in the order encoding/json writes them.
var (
	entryFields = newFields("key", "verdict", "evidence", "detail", "stores", "comparisons", "held_by", "proven_at", "deleted_at", "baseline")
	storeFields = newFields(append([]string{"store", "role"}, fingerprintFields...)...)
	// fingerprintFields are an embedded inventory.Fingerprint's.
	fingerprintFields = []string{"key", "presence", "size", "etag", "checksums", "encryption", "part_count", "part_size",
		"version_id", "noncurrent_versions", "unfinished_uploads", "storage_tier", "archival_state", "archived", "created", "modified"}
	baselineFields   = newFields(append([]string{"store", "inventory", "date"}, fingerprintFields...)...)
	checksumFields   = newFields("algorithm", "type", "value", "parts", "part_size", "source")
	comparisonFields = newFields("store", "evidence", "result", "legacy", "target", "carried")
	proofFields      = newFields("at", "evidence", "size", "checksums", "encryption", "part_size")
)

// fields are the members an object may have, in their order: their names
// and how each starts, `"name":`.
type fields struct {
	names, starts []string
}

func newFields(names ...string) fields {
	f := fields{names: names}
	for _, n := range names {
		f.starts = append(f.starts, `"`+n+`":`)
	}
	return f
}

func (d *decoder) store(s *StoreFingerprint) bool {
	return d.object(storeFields, func(name string) bool {
		switch name {
		case "store":
			return d.name(&s.Store)
		case "role":
			return d.word((*string)(&s.Role), roles)
		}
		return d.fingerprint(&s.Fingerprint, name)
	})
}

func (d *decoder) baseline(r *BaselineRef) bool {
	return d.object(baselineFields, func(name string) bool {
		switch name {
		case "store":
			return d.name(&r.Store)
		case "inventory":
			return d.name(&r.Inventory)
		case "date":
			return d.time(&r.Date)
		}
		return d.fingerprint(&r.Fingerprint, name)
	})
}

// fingerprint decodes the member name of an embedded Fingerprint.
func (d *decoder) fingerprint(f *inventory.Fingerprint, name string) bool {
	switch name {
	case "key":
		return d.string(&f.Key)
	case "presence":
		return d.unmarshalText(&f.Presence)
	case "size":
		return d.int64(&f.Size)
	case "etag":
		return d.string(&f.ETag)
	case "checksums":
		return list(d, &f.Checksums, &d.checksums, d.checksum)
	case "encryption":
		return d.name(&f.Encryption)
	case "part_count":
		return d.int(&f.PartCount)
	case "part_size":
		return d.int64(&f.PartSize)
	case "version_id":
		return d.string(&f.VersionID)
	case "noncurrent_versions":
		return d.int(&f.NoncurrentVersions)
	case "unfinished_uploads":
		return d.int(&f.UnfinishedUploads)
	case "storage_tier":
		return d.name(&f.StorageTier)
	case "archival_state":
		return d.string(&f.ArchivalState)
	case "archived":
		return d.bool(&f.Archived)
	case "created":
		return d.time(&f.Created)
	case "modified":
		return d.time(&f.Modified)
	}
	return false
}

func (d *decoder) checksum(c *inventory.Checksum) bool {
	return d.object(checksumFields, func(name string) bool {
		switch name {
		case "algorithm":
			return d.word((*string)(&c.Algorithm), algorithms)
		case "type":
			return d.word((*string)(&c.Type), checksumTypes)
		case "value":
			return d.string(&c.Value)
		case "parts":
			return d.int(&c.Parts)
		case "part_size":
			return d.int64(&c.PartSize)
		case "source":
			return d.word((*string)(&c.Source), sources)
		}
		return false
	})
}

func (d *decoder) comparison(c *Comparison) bool {
	return d.object(comparisonFields, func(name string) bool {
		switch name {
		case "store":
			return d.name(&c.Store)
		case "evidence":
			return d.evidence(&c.Evidence)
		case "result":
			return d.word(&c.Result, results)
		case "legacy":
			return d.unmarshalText(&c.Legacy)
		case "target":
			return d.unmarshalText(&c.Target)
		case "carried":
			return d.bool(&c.Carried)
		}
		return false
	})
}

func (d *decoder) proof(p *Proof) bool {
	return d.object(proofFields, func(name string) bool {
		switch name {
		case "at":
			return d.time(&p.At)
		case "evidence":
			return d.evidence(&p.Evidence)
		case "size":
			return d.int64(&p.Size)
		case "checksums":
			return list(d, &p.Checksums, &d.checksums, d.checksum)
		case "encryption":
			return d.name(&p.Encryption)
		case "part_size":
			return d.int64(&p.PartSize)
		}
		return false
	})
}

// list decodes an array of at least one value into buf, each value with
// elem, then copies it out to *p at its length. buf is kept, cleared, for
// the next list.
func list[T any](d *decoder, p *[]T, buf *[]T, elem func(*T) bool) bool {
	s := (*buf)[:0]
	ok := d.array(func() bool {
		var zero T
		s = append(s, zero)
		return elem(&s[len(s)-1])
	})
	if ok {
		*p = slices.Clone(s)
	}
	clear(s)
	*buf = s[:0]
	return ok
}

// object decodes an object whose members are among f, in their order,
// each at most once, calling member with each member's name once the
// cursor is on its value.
func (d *decoder) object(f fields, member func(name string) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	next := 0
	for {
		for next < len(f.starts) && !d.literal(f.starts[next]) {
			next++
		}
		if next == len(f.starts) || !member(f.names[next]) {
			return false
		}
		next++
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// array decodes an array of at least one value, calling elem for each.
// An empty array is left to encoding/json, which makes it an empty slice,
// not a nil one.
func (d *decoder) array(elem func() bool) bool {
	if !d.consume('[') {
		return false
	}
	for {
		if !elem() {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume(']')
	}
}

func (d *decoder) consume(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *decoder) bool(p *bool) bool {
	switch {
	case d.literal("true"):
		*p = true
	case d.literal("false"):
		*p = false
	default:
		return false
	}
	return true
}

// int64 decodes an integer without fraction or exponent, as
// strconv.ParseInt does for encoding/json, refusing those that overflow.
func (d *decoder) int64(p *int64) bool {
	neg := d.consume('-')
	start := d.i
	var n uint64
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' && d.i-start < 19 {
		n = n*10 + uint64(d.b[d.i]-'0')
		d.i++
	}
	switch digits := d.i - start; {
	case digits == 0, digits > 1 && d.b[start] == '0':
		return false
	case neg && n <= 1<<63:
		*p = -int64(n)
	case !neg && n <= math.MaxInt64:
		*p = int64(n)
	default:
		return false
	}
	return true
}

func (d *decoder) int(p *int) bool {
	var n int64
	if !d.int64(&n) || int64(int(n)) != n {
		return false
	}
	*p = int(n)
	return true
}

// string decodes a string.
func (d *decoder) string(p *string) bool {
	t, ok := d.unquote()
	if ok {
		*p = string(t)
	}
	return ok
}

// word decodes a string that is often one of words, handing out the
// shared copy of the word when it is one.
func (d *decoder) word(p *string, words []string) bool {
	t, ok := d.unquote()
	if !ok {
		return false
	}
	*p = lookup(t, words)
	return true
}

// lookup returns t as one of words if it is one, else as a new string.
func lookup(t []byte, words []string) string {
	for _, w := range words {
		if w == string(t) {
			return w
		}
	}
	return string(t)
}

// The words decoder.word hands out without allocating them again.
var (
	roles         = []string{string(Legacy), string(Target)}
	algorithms    = []string{string(inventory.MD5), string(inventory.CRC32), string(inventory.CRC32C), string(inventory.CRC64NVME), string(inventory.SHA1), string(inventory.SHA256), string(inventory.SHA384)}
	checksumTypes = []string{string(inventory.FullObject), string(inventory.Composite)}
	sources       = []string{string(inventory.FromListing), string(inventory.FromETag), string(inventory.FromHead), string(inventory.FromMetadata), string(inventory.FromContent)}
	results       = []string{ResultEqual, ResultDiffer, ResultIncomparable}
)

// name decodes a string that repeats from entry to entry (store names,
// storage tiers, encryption), handing out one copy of each of the first
// maxNames seen.
func (d *decoder) name(p *string) bool {
	t, ok := d.unquote()
	if !ok {
		return false
	}
	for _, n := range d.names {
		if n == string(t) {
			*p = n
			return true
		}
	}
	*p = string(t)
	if len(d.names) < maxNames {
		d.names = append(d.names, *p)
	}
	return true
}

// verdict decodes a verdict, accepting what Verdict.UnmarshalText accepts.
func (d *decoder) verdict(p *Verdict) bool {
	t, ok := d.unquote()
	if !ok {
		return false
	}
	for _, v := range Verdicts {
		if string(v) == string(t) {
			*p = v
			return true
		}
	}
	return false
}

// evidence decodes evidence, accepting what Evidence.UnmarshalText accepts.
func (d *decoder) evidence(p *Evidence) bool {
	t, ok := d.unquote()
	if !ok {
		return false
	}
	for _, e := range evidenceList {
		if string(e) == string(t) {
			*p = e
			return true
		}
	}
	return false
}

// unmarshalText decodes a string into a value with a text unmarshaler, as
// encoding/json does: the unquoted string goes to UnmarshalText.
func (d *decoder) unmarshalText(u interface{ UnmarshalText([]byte) error }) bool {
	t, ok := d.unquote()
	return ok && u.UnmarshalText(t) == nil
}

// time decodes a time as encoding/json does, handing the quoted string to
// time.Time.UnmarshalJSON, as long as it holds only the characters of
// RFC 3339 (encoding/json would pass an escape through as it is).
func (d *decoder) time(t *time.Time) bool {
	start := d.i
	if !d.consume('"') {
		return false
	}
	for ; d.i < len(d.b); d.i++ {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return t.UnmarshalJSON(d.b[start:d.i]) == nil
		case '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', c == ':', c == '.', c == '+', c == '-':
		default:
			return false
		}
	}
	return false
}

// unquote decodes a string, returning its bytes: a slice of the line, or
// of d.text when it had escapes, valid until the next call.
func (d *decoder) unquote() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.i
	// The common case: plain ASCII, nothing to unescape.
	rest := d.b[start:]
	n := 0
	for n < len(rest) && plain[rest[n]] {
		n++
	}
	d.i += n
	if n < len(rest) && rest[n] == '"' {
		d.i++
		return rest[:n], true
	}
	return d.unescape(start)
}

// unescape decodes the rest of a string that started at start, from the
// first byte at the cursor that is an escape or not plain ASCII, into
// d.text.
func (d *decoder) unescape(start int) ([]byte, bool) {
	t := append(d.text[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			d.text = t
			return t, true
		case c < ' ':
			return nil, false
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return nil, false
			}
			esc := d.b[d.i+1]
			d.i += 2
			switch esc {
			case '"', '\\', '/':
				t = append(t, esc)
			case 'b':
				t = append(t, '\b')
			case 'f':
				t = append(t, '\f')
			case 'n':
				t = append(t, '\n')
			case 'r':
				t = append(t, '\r')
			case 't':
				t = append(t, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok || utf16.IsSurrogate(r) {
					return nil, false
				}
				t = utf8.AppendRune(t, r)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			t = append(t, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			t = append(t, d.b[d.i:d.i+size]...)
			d.i += size
		}
	}
	return nil, false
}

// hex4 decodes the four hex digits of a \u escape.
func (d *decoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}
