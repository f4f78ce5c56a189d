package ledger

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Value is one value a comparison looked at: a checksum ("md5:9e10…",
// "md5:9e10…-3" for a composite over 3 parts), a size ("size:20"), or an
// ETag ("etag:…"). It is kept as parts and formatted only when encoded, so
// judging a key costs no formatting.
type Value struct {
	// Kind is a checksum algorithm, "size" or "etag".
	Kind string
	// Text is the checksum in hex or the ETag.
	Text string
	// Parts is the part count of a composite checksum.
	Parts int
	// Size is the size, for Kind "size".
	Size int64
}

// Kinds of [Value] that are not checksum algorithms.
const (
	KindSize = "size"
	KindETag = "etag"
)

// ChecksumValue returns the Value of a checksum.
func ChecksumValue(c inventory.Checksum) Value {
	v := Value{Kind: string(c.Algorithm), Text: c.Value}
	if c.Type == inventory.Composite {
		v.Parts = c.Parts
	}
	return v
}

// SizeValue returns the Value of a size.
func SizeValue(n int64) Value { return Value{Kind: KindSize, Size: n} }

// IsZero reports whether v is empty.
func (v Value) IsZero() bool { return v == Value{} }

// String formats v as "kind:text[-parts]" or "size:n".
func (v Value) String() string {
	switch {
	case v.Kind == KindSize:
		return KindSize + ":" + strconv.FormatInt(v.Size, 10)
	case v.Parts > 0:
		return v.Kind + ":" + v.Text + "-" + strconv.Itoa(v.Parts)
	}
	return v.Kind + ":" + v.Text
}

// MarshalText implements [encoding.TextMarshaler].
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (v *Value) UnmarshalText(b []byte) error {
	kind, text, ok := strings.Cut(string(b), ":")
	if !ok || kind == "" {
		return fmt.Errorf("value %q is not kind:value", b)
	}
	switch kind {
	case KindSize:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("value %q: size is not a number of bytes", b)
		}
		*v = Value{Kind: kind, Size: n}
		return nil
	case KindETag:
		*v = Value{Kind: kind, Text: text}
		return nil
	}
	parts := 0
	if i := strings.LastIndexByte(text, '-'); i >= 0 {
		n, err := strconv.Atoi(text[i+1:])
		if err != nil || n < 1 {
			return fmt.Errorf("value %q: part count %q is not a positive number", b, text[i+1:])
		}
		text, parts = text[:i], n
	}
	*v = Value{Kind: kind, Text: text, Parts: parts}
	return nil
}
