package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// FileExt is the extension of ledger files: gzip-compressed JSON Lines.
const FileExt = ".jsonl.gz"

// Digest describes a finished ledger file.
type Digest struct {
	// Entries is the number of entries written.
	Entries int64 `json:"entries"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes as stored
	// (compressed): `sha256sum` of the file recomputes it.
	SHA256 string `json:"sha256"`
	// Bytes is the file's size as stored.
	Bytes int64 `json:"bytes"`
	// First and Last are the first and last keys, empty for no entries.
	First string `json:"first,omitempty"`
	Last  string `json:"last,omitempty"`
}

// OrderError reports entries out of key order.
type OrderError struct {
	Source string // what was being read or written
	Prev   string
	Key    string
}

func (e *OrderError) Error() string {
	if e.Prev == e.Key {
		return fmt.Sprintf("%s: key %q repeats", e.Source, e.Key)
	}
	return fmt.Sprintf("%s: key %q comes after %q: keys must be in strictly increasing byte order", e.Source, e.Key, e.Prev)
}

// Writer writes a ledger file: entries in strictly increasing key order,
// one JSON object per line, gzip-compressed, hashing the compressed bytes
// as they are written.
type Writer struct {
	dst    io.Writer
	digest hash.Hash
	count  countingWriter
	zw     *gzip.Writer
	line   []byte // the entry being written
	buf    bytes.Buffer
	enc    *json.Encoder // for what appendEntry refuses
	d      Digest
	closed bool
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// gzipWriters keeps the compressors of closed writers for the next: each
// holds about a megabyte of tables, and a run writes a ledger part every
// run.checkpoint_every entries in each shard.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// NewWriter returns a Writer writing to w. Close must be called to finish
// the file; a file whose Writer was not closed is incomplete, and readers
// reject it.
func NewWriter(w io.Writer) *Writer {
	lw := &Writer{dst: w, digest: sha256.New()}
	lw.count.w = io.MultiWriter(w, lw.digest)
	// BestSpeed: at the default level compression took 40% of the
	// writer's time (BenchmarkWriter); ledgers are written once per run.
	// klauspost/compress's gzip rather than the standard library's: at
	// BestSpeed it wrote the ledger of bench/compare (c) in 0.38 s of CPU
	// instead of 0.90 s, and 4% smaller; the files are plain gzip.
	lw.zw = gzipWriters.Get().(*gzip.Writer)
	lw.zw.Reset(&lw.count)
	lw.enc = json.NewEncoder(&lw.buf)
	lw.enc.SetEscapeHTML(false)
	return lw
}

// Write appends e. Its key must be greater than the previous entry's.
// The line is encoding/json's encoding of e, written by hand (see
// appendEntry).
func (w *Writer) Write(e *Entry) error {
	if w.closed {
		return errors.New("ledger writer is closed")
	}
	if w.d.Entries > 0 && e.Key <= w.d.Last {
		return &OrderError{Source: "writing ledger", Prev: w.d.Last, Key: e.Key}
	}
	if !e.Verdict.Valid() {
		return fmt.Errorf("writing ledger entry %q: invalid verdict %q", e.Key, e.Verdict)
	}
	line, ok := appendEntry(w.line[:0], e)
	if ok {
		line = append(line, '\n')
		w.line = line
	} else {
		// encoding/json says what is wrong with e.
		w.buf.Reset()
		if err := w.enc.Encode(e); err != nil {
			return fmt.Errorf("encoding ledger entry %q: %w", e.Key, err)
		}
		line = w.buf.Bytes()
	}
	if _, err := w.zw.Write(line); err != nil {
		return fmt.Errorf("writing ledger entry %q: %w", e.Key, err)
	}
	if w.d.Entries == 0 {
		w.d.First = e.Key
	}
	w.d.Last = e.Key
	w.d.Entries++
	return nil
}

// Close finishes the compressed stream and returns the file's digest. It
// does not close the underlying writer.
func (w *Writer) Close() (Digest, error) {
	if w.closed {
		return Digest{}, errors.New("ledger writer is already closed")
	}
	w.closed = true
	if err := w.zw.Close(); err != nil {
		return Digest{}, fmt.Errorf("finishing ledger: %w", err)
	}
	gzipWriters.Put(w.zw)
	w.zw = nil
	w.d.SHA256 = hex.EncodeToString(w.digest.Sum(nil))
	w.d.Bytes = w.count.n
	return w.d, nil
}

// MaxLine is the longest ledger line a Reader accepts.
const MaxLine = 16 << 20

// Reader reads a ledger file written by [Writer], checking that every line
// is a valid entry and that keys strictly increase. A truncated or
// corrupted file is an error, never a shorter ledger.
//
// Lines in the form the Writer writes are decoded by hand; any other line
// is decoded by encoding/json, which decides what a line means and says
// what is wrong with it.
type Reader struct {
	name     string
	zr       *gzip.Reader
	br       *bufio.Reader
	line     int64
	last     string
	pageSize int
	page     []Entry
	dec      decoder
	err      error
}

// DefaultPageSize is the number of entries [Reader.NextPage] returns.
const DefaultPageSize = 512

// NewReader returns a Reader of the ledger file in r. name identifies the
// file in errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", name, err)
	}
	return &Reader{name: name, zr: zr, br: bufio.NewReaderSize(zr, 64<<10), pageSize: DefaultPageSize}, nil
}

// Next returns the next entry, or io.EOF after the last one.
func (r *Reader) Next() (*Entry, error) {
	var e Entry
	if err := r.next(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// NextPage returns up to DefaultPageSize entries, or nil, io.EOF after the
// last one. The slice is valid until the next call.
func (r *Reader) NextPage() ([]Entry, error) {
	if r.page == nil {
		r.page = make([]Entry, 0, r.pageSize)
	}
	r.page = r.page[:0]
	for len(r.page) < r.pageSize {
		r.page = append(r.page, Entry{})
		if err := r.next(&r.page[len(r.page)-1]); err != nil {
			r.page = r.page[:len(r.page)-1]
			if err == io.EOF && len(r.page) > 0 {
				return r.page, nil
			}
			return nil, err
		}
	}
	return r.page, nil
}

func (r *Reader) next(e *Entry) error {
	if r.err != nil {
		return r.err
	}
	r.err = r.decode(e)
	return r.err
}

func (r *Reader) decode(e *Entry) error {
	line, err := r.readLine()
	if err != nil {
		return err
	}
	r.line++
	if !r.dec.entry(line, e) {
		*e = Entry{}
		if err := decodeJSON(line, e); err != nil {
			return fmt.Errorf("ledger %s line %d: %w", r.name, r.line, err)
		}
	}
	if e.Verdict == "" {
		return fmt.Errorf("ledger %s line %d: entry %q has no verdict", r.name, r.line, e.Key)
	}
	if r.line > 1 && e.Key <= r.last {
		return &OrderError{Source: fmt.Sprintf("ledger %s line %d", r.name, r.line), Prev: r.last, Key: e.Key}
	}
	r.last = e.Key
	return nil
}

// decodeJSON decodes a line into e with encoding/json, rejecting unknown
// fields and anything after the entry. It decodes what the fast decoder
// leaves, and decides what a ledger line means.
func decodeJSON(line []byte, e *Entry) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return err
	}
	// More misses a stray '}' or ']' after the value: look at what is left.
	if rest := bytes.TrimSpace(line[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// readLine returns the next line without its newline, or io.EOF at a clean
// end of the stream. A last line without a newline means the file was cut.
func (r *Reader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			if len(line) > MaxLine {
				return nil, fmt.Errorf("ledger %s line %d: longer than %d bytes", r.name, r.line+1, MaxLine)
			}
			continue
		}
		if line != nil {
			chunk = append(line, chunk...)
		}
		switch {
		case err == io.EOF && len(chunk) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, fmt.Errorf("ledger %s line %d: %w: the last line has no newline", r.name, r.line+1, io.ErrUnexpectedEOF)
		case err != nil:
			return nil, fmt.Errorf("ledger %s after line %d: %w", r.name, r.line, err)
		}
		return chunk[:len(chunk)-1], nil
	}
}

// Close releases the reader. It does not close the underlying reader.
func (r *Reader) Close() error { return r.zr.Close() }

// decodeStrict decodes one JSON value, rejecting unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("more than one JSON value")
	}
	return nil
}
