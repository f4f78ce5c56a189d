package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A manifest lists every ledger file of a run: a few hundred bytes per file,
// tens of megabytes for a billion entries. ManifestWriter and WalkManifest
// write and read one a shard at a time, so that whoever finishes, plans
// from or reports on a run holds one shard of it, never the whole list.

// ManifestWriter writes a manifest a pair and a shard at a time, producing
// exactly the bytes [Manifest.Encode] produces for the same manifest (its
// digest is the same whichever wrote it).
type ManifestWriter struct {
	w      io.Writer
	pairs  int // pairs begun
	shards int // shards of the current pair
	err    error
}

// The indentation of Encode's output at each depth.
const (
	pairIndent  = "    "     // a pair object, in "pairs"
	fieldIndent = "      "   // a pair's fields
	shardIndent = "        " // a shard object, in "shards"
)

// NewManifestWriter returns a writer of a manifest of the current schema.
func NewManifestWriter(w io.Writer) *ManifestWriter {
	mw := &ManifestWriter{w: w}
	mw.write("{\n  \"schema\": ", quote(ManifestSchema), ",\n  \"pairs\": ")
	return mw
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

func (mw *ManifestWriter) write(parts ...string) {
	for _, p := range parts {
		if mw.err != nil {
			return
		}
		_, mw.err = io.WriteString(mw.w, p)
	}
}

// closePair ends the current pair's shards and the pair.
func (mw *ManifestWriter) closePair() {
	if mw.shards == 0 {
		mw.write("null")
	} else {
		mw.write("\n", fieldIndent, "]")
	}
	mw.write("\n", pairIndent, "}")
}

// Pair begins the next pair; the shards written after it are its own.
func (mw *ManifestWriter) Pair(name string) error {
	if mw.pairs == 0 {
		mw.write("[\n", pairIndent)
	} else {
		mw.closePair()
		mw.write(",\n", pairIndent)
	}
	mw.pairs++
	mw.shards = 0
	mw.write("{\n", fieldIndent, "\"name\": ", quote(name), ",\n", fieldIndent, "\"shards\": ")
	return mw.err
}

// Shard writes the current pair's next shard.
func (mw *ManifestWriter) Shard(s *ManifestShard) error {
	if mw.pairs == 0 {
		return errors.New("writing a manifest: a shard before any pair")
	}
	b, err := json.MarshalIndent(s, shardIndent, "  ")
	if err != nil {
		return fmt.Errorf("encoding shard %s of the manifest: %w", s.ID, err)
	}
	if mw.shards == 0 {
		mw.write("[\n", shardIndent)
	} else {
		mw.write(",\n", shardIndent)
	}
	mw.shards++
	mw.write(string(b))
	return mw.err
}

// Close ends the manifest. It does not close the underlying writer.
func (mw *ManifestWriter) Close() error {
	if mw.pairs == 0 {
		mw.write("null")
	} else {
		mw.closePair()
		mw.write("\n  ]")
	}
	mw.write("\n}\n")
	return mw.err
}

// WalkManifest reads a manifest from r a shard at a time, strictly (as
// DecodeManifest does), calling fn with each shard and the name of its
// pair, in the manifest's order. name says what r is, for errors. The
// shard passed to fn is fn's to keep.
func WalkManifest(r io.Reader, name string, fn func(pair string, s *ManifestShard) error) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("manifest %s: %s", name, fmt.Sprintf(format, args...))
	}
	delim := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil {
			return fail("%v", err)
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fail("found %v where %q was expected", t, want)
		}
		return nil
	}
	key := func() (string, error) {
		t, err := dec.Token()
		if err != nil {
			return "", fail("%v", err)
		}
		k, ok := t.(string)
		if !ok {
			return "", fail("found %v where a field name was expected", t)
		}
		return k, nil
	}
	// arrayOrNull reads the start of an array, and reports false for null.
	arrayOrNull := func(what string) (bool, error) {
		t, err := dec.Token()
		if err != nil {
			return false, fail("%v", err)
		}
		if t == nil {
			return false, nil
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return false, fail("%s is %v, not a list", what, t)
		}
		return true, nil
	}

	if err := delim('{'); err != nil {
		return err
	}
	schema := ""
	for dec.More() {
		k, err := key()
		if err != nil {
			return err
		}
		switch k {
		case "schema":
			if err := dec.Decode(&schema); err != nil {
				return fail("schema: %v", err)
			}
			if schema != ManifestSchema {
				return fail("schema %q, want %q", schema, ManifestSchema)
			}
		case "pairs":
			if schema == "" {
				return fail("its pairs come before its schema")
			}
			ok, err := arrayOrNull("pairs")
			if err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			for dec.More() {
				if err := walkPair(dec, delim, key, arrayOrNull, fail, fn); err != nil {
					return err
				}
			}
			if err := delim(']'); err != nil {
				return err
			}
		default:
			return fail("unknown field %q", k)
		}
	}
	if err := delim('}'); err != nil {
		return err
	}
	if schema == "" {
		return fail("schema \"\", want %q", ManifestSchema)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("more than one JSON value")
	}
	return nil
}

func walkPair(dec *json.Decoder, delim func(json.Delim) error, key func() (string, error), arrayOrNull func(string) (bool, error),
	fail func(string, ...any) error, fn func(string, *ManifestShard) error) error {
	if err := delim('{'); err != nil {
		return err
	}
	var pair string
	named := false
	for dec.More() {
		k, err := key()
		if err != nil {
			return err
		}
		switch k {
		case "name":
			if err := dec.Decode(&pair); err != nil {
				return fail("a pair's name: %v", err)
			}
			named = true
		case "shards":
			if !named {
				return fail("a pair's shards come before its name")
			}
			ok, err := arrayOrNull("the shards of pair " + pair)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for dec.More() {
				s := new(ManifestShard)
				if err := dec.Decode(s); err != nil {
					return fail("a shard of pair %s: %v", pair, err)
				}
				if err := fn(pair, s); err != nil {
					return err
				}
			}
			if err := delim(']'); err != nil {
				return err
			}
		default:
			return fail("unknown field %q in pair %s", k, pair)
		}
	}
	return delim('}')
}
