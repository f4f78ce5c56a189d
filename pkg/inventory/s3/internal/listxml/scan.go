// Package listxml decodes S3 listing responses (ListObjectsV2 and
// ListObjectVersions) into the SDK's output types, several times faster
// than the SDK's own deserializers, which read through encoding/xml's
// tokenizer and spend most of a listing's CPU there.
//
// It reads a plain subset of XML: an optional UTF-8 declaration, elements
// without namespace prefixes, attributes with quoted ASCII values, text in
// printable ASCII or UTF-8 with the five predefined entities and
// character references, and whitespace between elements. That is what S3, and the S3-compatible
// stores this project meets, write. Anything else — comments, CDATA,
// a carriage return in text, a reference to a surrogate, a name that differs
// from a known one only in case, a malformed or truncated document — gives
// [ErrUnsupported], and the caller hands the response to the SDK's
// deserializer, which then decides. A response that is decoded here
// decodes to exactly what the SDK's deserializer gives; the differential
// tests and the fuzz target hold it to that.
package listxml

import (
	"bytes"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrUnsupported says a response is outside the subset this package reads;
// the SDK's deserializer must decode it.
var ErrUnsupported = errors.New("listxml: response outside the XML subset decoded here")

// maxDepth bounds the nesting of elements skipped over.
const maxDepth = 32

// decoder reads one document. The first problem stops it: every method
// then returns zero values, and err is ErrUnsupported.
type decoder struct {
	b       []byte
	i       int
	err     error
	scratch []byte // text with entities, decoded

	// Slabs the output's pointers point into (see take).
	strs   []string
	int64s []int64
	times  []time.Time
}

func (d *decoder) fail() {
	d.err = ErrUnsupported
	d.i = len(d.b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *decoder) skipSpace() {
	for d.i < len(d.b) && isSpace(d.b[d.i]) {
		d.i++
	}
}

// The declarations read here: the version must be 1.0 and the encoding,
// if named, UTF-8, as encoding/xml wants without a CharsetReader.
var declarations = []string{
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0" encoding="utf-8"?>`,
	`<?xml version="1.0"?>`,
}

// root reads up to and including the document element's start tag.
func (d *decoder) root() (name []byte, empty bool) {
	d.skipSpace()
	if bytes.HasPrefix(d.b[d.i:], []byte("<?")) {
		ok := false
		for _, decl := range declarations {
			if bytes.HasPrefix(d.b[d.i:], []byte(decl)) {
				d.i += len(decl)
				ok = true
				break
			}
		}
		if !ok {
			d.fail()
			return nil, false
		}
		d.skipSpace()
	}
	if d.i >= len(d.b) || d.b[d.i] != '<' {
		d.fail()
		return nil, false
	}
	return d.startTag()
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// name reads an ASCII name without a namespace prefix.
func (d *decoder) name() []byte {
	start := d.i
	if d.i >= len(d.b) || !isNameStart(d.b[d.i]) {
		d.fail()
		return nil
	}
	for d.i < len(d.b) && isNameByte(d.b[d.i]) {
		d.i++
	}
	return d.b[start:d.i]
}

// startTag reads a start tag, d.b[d.i] being its '<'. Attributes are read
// and dropped: nothing the listings give is carried in one.
func (d *decoder) startTag() (name []byte, empty bool) {
	d.i++ // '<'
	name = d.name()
	for d.err == nil {
		spaced := d.i < len(d.b) && isSpace(d.b[d.i])
		d.skipSpace()
		if d.i >= len(d.b) {
			d.fail()
			break
		}
		switch d.b[d.i] {
		case '>':
			d.i++
			return name, false
		case '/':
			if d.i+1 < len(d.b) && d.b[d.i+1] == '>' {
				d.i += 2
				return name, true
			}
			d.fail()
		default:
			if !spaced {
				d.fail()
				break
			}
			d.attribute()
		}
	}
	return nil, false
}

// attribute reads name="value" or name='value'; the name may carry one
// prefix (xmlns:x).
func (d *decoder) attribute() {
	d.name()
	if d.i < len(d.b) && d.b[d.i] == ':' {
		d.i++
		d.name()
	}
	d.skipSpace()
	if d.err != nil || d.i >= len(d.b) || d.b[d.i] != '=' {
		d.fail()
		return
	}
	d.i++
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != '"' && d.b[d.i] != '\'' {
		d.fail()
		return
	}
	quote := d.b[d.i]
	d.i++
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == quote:
			d.i++
			return
		case c < 0x20 || c >= 0x7f || c == '<' || c == '&':
			d.fail()
			return
		}
		d.i++
	}
	d.fail()
}

// endTag reads </name>, allowing space before the '>'.
func (d *decoder) endTag(name []byte) {
	if !bytes.HasPrefix(d.b[d.i:], []byte("</")) {
		d.fail()
		return
	}
	d.i += 2
	if !bytes.HasPrefix(d.b[d.i:], name) {
		d.fail()
		return
	}
	d.i += len(name)
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != '>' {
		d.fail()
		return
	}
	d.i++
}

// child reads the next child element's start tag within the element
// parent, or parent's end tag: then ok is false. Only whitespace may come
// before it.
func (d *decoder) child(parent []byte) (name []byte, empty, ok bool) {
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != '<' {
		d.fail()
		return nil, false, false
	}
	return d.tag(parent)
}

// tag reads the tag at d.b[d.i], a '<', within the element parent: a
// child's start tag, or parent's end tag (ok false).
func (d *decoder) tag(parent []byte) (name []byte, empty, ok bool) {
	if d.i+1 >= len(d.b) {
		d.fail()
		return nil, false, false
	}
	switch d.b[d.i+1] {
	case '/':
		d.endTag(parent)
		return nil, false, false
	case '!', '?':
		d.fail()
		return nil, false, false
	}
	name, empty = d.startTag()
	return name, empty, d.err == nil
}

// each calls fn with each child element of parent, whose start tag was
// just read, up to its end tag or the first problem. fn must read the
// child whole.
func (d *decoder) each(parent []byte, empty bool, fn func(name []byte, empty bool)) {
	if empty {
		return
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			return
		}
		fn(name, empty)
	}
}

// chars reads text up to the next '<'. It returns the text as written
// and, when it held entities, says the decoded text is in d.scratch.
func (d *decoder) chars() (raw []byte, decoded bool) {
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '<':
			return d.b[start:d.i], decoded
		case c == '&':
			if !decoded {
				d.scratch = append(d.scratch[:0], d.b[start:d.i]...)
				decoded = true
			}
			r, n := entity(d.b[d.i:])
			if n == 0 {
				d.fail()
				return nil, false
			}
			d.scratch = utf8.AppendRune(d.scratch, r)
			d.i += n
			continue
		case c == '>':
			// encoding/xml refuses "]]>" outside CDATA.
			if d.i >= start+2 && d.b[d.i-1] == ']' && d.b[d.i-2] == ']' {
				d.fail()
				return nil, false
			}
		case c >= 0x80:
			r, n := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && n == 1 || !inCharacterRange(r) {
				d.fail()
				return nil, false
			}
			if decoded {
				d.scratch = append(d.scratch, d.b[d.i:d.i+n]...)
			}
			d.i += n
			continue
		case c < 0x20 && c != '\t' && c != '\n':
			// Control characters are not XML; encoding/xml rewrites
			// "\r\n" and "\r" to "\n", which the subset leaves to it.
			d.fail()
			return nil, false
		}
		if decoded {
			d.scratch = append(d.scratch, c)
		}
		d.i++
	}
	d.fail() // the document ended inside text
	return nil, false
}

// entity decodes the entity or character reference at the start of b
// and gives its length: one of the five predefined entities, or a
// reference to a character XML allows (Go's encoding/xml writes &#34; for
// a quote). It gives length 0 for anything else.
func entity(b []byte) (rune, int) {
	for _, e := range [...]struct {
		name string
		r    rune
	}{{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}} {
		if bytes.HasPrefix(b, []byte(e.name)) {
			return e.r, len(e.name)
		}
	}
	if !bytes.HasPrefix(b, []byte("&#")) {
		return 0, 0
	}
	i, base := 2, rune(10)
	if i < len(b) && b[i] == 'x' {
		i, base = 3, 16
	}
	// Seven digits hold every character (U+10FFFF is 1114111) and cannot
	// overflow; longer references, leading zeros and all, are left to the
	// SDK.
	var r rune
	digits := 0
	for ; i < len(b) && digits <= 7; i++ {
		var v rune
		switch c := b[i]; {
		case '0' <= c && c <= '9':
			v = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			v = rune(c-'A') + 10
		case c == ';' && digits > 0 && inCharacterRange(r):
			return r, i + 1
		default:
			return 0, 0
		}
		if digits == 7 {
			return 0, 0
		}
		r = r*base + v
		digits++
	}
	return 0, 0
}

// inCharacterRange is XML's Char production, as encoding/xml checks it.
func inCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// skip reads past the element name, whose start tag was just read, and
// everything in it.
func (d *decoder) skip(name []byte, empty bool) {
	d.skipDepth(name, empty, 0)
}

func (d *decoder) skipDepth(name []byte, empty bool, depth int) {
	if empty {
		return
	}
	if depth >= maxDepth {
		d.fail()
		return
	}
	for d.err == nil {
		d.chars() // up to a '<', or a failure
		if d.err != nil {
			return
		}
		child, childEmpty, ok := d.tag(name)
		if !ok {
			return
		}
		d.skipDepth(child, childEmpty, depth+1)
	}
}

// other handles a child element that is none of known: skipped, as the
// SDK skips it, unless its name matches one of them but for case — the SDK
// matches names with strings.EqualFold, and such a response is left to it.
func (d *decoder) other(name []byte, empty bool, known ...string) {
	for _, k := range known {
		if strings.EqualFold(string(name), k) {
			d.fail()
			return
		}
	}
	d.skip(name, empty)
}
