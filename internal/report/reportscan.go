package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// A report.json holds every exception of its run, a gigabyte a million;
// attest verify reads it a field at a time, and each exception on its
// own, so that its memory does not grow with them.

// badReport is report.json that does not decode as a report: named says
// whether its bytes name the report schema anywhere (a report that was
// changed, rather than something else).
type badReport struct {
	err   error
	named bool
}

func (b *badReport) Error() string { return b.err.Error() }
func (b *badReport) Unwrap() error { return b.err }

// errExceptionsTwice refuses report.json with two exceptions fields. A
// whole-file decode would keep the last; read a field at a time, the
// first would have been checked for nothing.
var errExceptionsTwice = errors.New(`the field "exceptions" appears twice`)

// scanReport reads report.json from r as strictly as a whole-file decode
// into Report with unknown fields refused (and the schema checked), but
// the exceptions are decoded one at a time and given to fn (pair, key and
// verdict, in the file's order) instead of kept: the report it returns has
// none. It also returns the SHA-256 of every byte r held.
//
// An error of reading r, or of fn, is returned as it is; bytes that are
// not a report give a *badReport.
func scanReport(r io.Reader, fn func(pair, key string, v ledger.Verdict) error) (*Report, string, error) {
	src := &readErr{r: r}
	h := sha256.New()
	named := &containsWriter{want: []byte(`"` + Schema + `"`)}
	in := io.TeeReader(src, io.MultiWriter(h, named))
	bad := func(err error) (*Report, string, error) {
		if src.err != nil {
			return nil, "", src.err
		}
		_, _ = io.Copy(io.Discard, in) // the rest may still name the schema
		if src.err != nil {
			return nil, "", src.err
		}
		return nil, "", &badReport{err: err, named: named.found}
	}
	notJSON := func(err error) (*Report, string, error) { return bad(fmt.Errorf("not JSON (%v)", err)) }

	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	t, err := dec.Token()
	if err != nil {
		return notJSON(err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return notJSON(fmt.Errorf("%v where an object was expected", t))
	}
	// Every field but the exceptions, as the file has them, to be decoded
	// together as the whole file would be.
	rest := []byte{'{'}
	seenExceptions := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return notJSON(err)
		}
		name, _ := t.(string) // inside an object, the decoder gives names only
		if !strings.EqualFold(name, "exceptions") {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return notJSON(err)
			}
			if len(rest) > 1 {
				rest = append(rest, ',')
			}
			q, _ := json.Marshal(name)
			rest = append(append(append(rest, q...), ':'), raw...)
			continue
		}
		if seenExceptions {
			return bad(errExceptionsTwice)
		}
		seenExceptions = true
		if t, err = dec.Token(); err != nil {
			return notJSON(err)
		}
		if t == nil {
			continue // "exceptions": null, as none
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return bad(fmt.Errorf("exceptions is %v, not a list", t))
		}
		for i := 0; dec.More(); i++ {
			var x Exception
			if err := dec.Decode(&x); err != nil {
				if errors.As(err, new(*json.SyntaxError)) {
					return notJSON(err)
				}
				return bad(fmt.Errorf("exception %d: %w", i, err))
			}
			if err := fn(x.Pair, x.Key, x.Verdict); err != nil {
				return nil, "", err
			}
		}
		if _, err := dec.Token(); err != nil {
			return notJSON(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the object's end
		return notJSON(err)
	}
	if t, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%v", t)
		}
		return notJSON(fmt.Errorf("something after the report's end: %v", err))
	}
	rest = append(rest, '}')

	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(rest, &probe); err != nil {
		return notJSON(err)
	}
	if probe.Schema != Schema {
		return bad(fmt.Errorf("its schema is %q, not %q", probe.Schema, Schema))
	}
	var rep Report
	rd := json.NewDecoder(bytes.NewReader(rest))
	rd.DisallowUnknownFields()
	if err := rd.Decode(&rep); err != nil {
		return bad(err)
	}
	return &rep, hex.EncodeToString(h.Sum(nil)), nil
}

// readErr remembers the error its reader returned, to tell a failed read
// from bytes that do not decode.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// containsWriter notes whether want appears in what is written to it,
// across writes.
type containsWriter struct {
	want  []byte
	tail  []byte // the last len(want)-1 bytes written
	found bool
}

func (c *containsWriter) Write(p []byte) (int, error) {
	if c.found {
		return len(p), nil
	}
	joined := append(c.tail, p[:min(len(p), len(c.want))]...)
	if bytes.Contains(joined, c.want) || bytes.Contains(p, c.want) {
		c.found = true
		return len(p), nil
	}
	keep := len(c.want) - 1
	if len(p) >= keep {
		c.tail = append(c.tail[:0], p[len(p)-keep:]...)
	} else {
		c.tail = append(c.tail, p...)
		c.tail = c.tail[max(len(c.tail)-keep, 0):]
	}
	return len(p), nil
}

// exceptionSequence digests a sequence of exceptions (pair, key and
// verdict of each, in order), to compare the report's with the ledger's
// without holding either.
type exceptionSequence struct {
	n   int64
	h   hash.Hash
	buf []byte
}

func newExceptionSequence() *exceptionSequence { return &exceptionSequence{h: sha256.New()} }

func (s *exceptionSequence) add(pair, key string, v ledger.Verdict) {
	b := binary.AppendUvarint(s.buf[:0], uint64(len(pair)))
	b = append(b, pair...)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	b = append(b, v...)
	s.buf = b
	s.h.Write(b)
	s.n++
}

// sum is the sequence's digest.
func (s *exceptionSequence) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }
