package s3inventory

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RowError is a data file, or a row of one, that cannot be read. Rows are
// never skipped: one bad row fails the whole inventory.
type RowError struct {
	// Manifest is the manifest's location.
	Manifest string
	// File is the data file's key.
	File string
	// Row is the 1-based row number in the file, 0 when the error is about
	// the whole file.
	Row int64
	// Column is the column's name in the file's schema, "" when the error
	// is about the whole row.
	Column string
	Err    error
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "manifest %s: file %s", e.Manifest, e.File)
	if e.Row > 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", e.Column)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// row is one row of an inventory (one object version or delete marker) as
// this package keeps it while sorting.
type row struct {
	key          string // logical key
	versionID    string
	latest       bool // always true in a current-versions inventory
	deleteMarker bool
	hasModified  bool
	size         int64
	modified     int64 // Unix nanoseconds when hasModified
	etag         string
	storageClass string
	encryption   string // EncryptionStatus as the inventory gives it
	checksumAlg  string
	file         int   // index of the data file in the manifest
	line         int64 // 1-based row number in the file
}

// memSize estimates what a row costs in memory, for the spill bound.
func (r *row) memSize() int64 {
	const overhead = 160 // the struct, string headers, slice slot
	return overhead + int64(len(r.key)+len(r.versionID)+len(r.etag)+len(r.storageClass)+len(r.encryption)+len(r.checksumAlg))
}

// compareRows orders rows by logical key in byte order, then by where they
// were read, so that the order (and any error) is the same on every read.
func compareRows(a, b *row) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.file, b.file); c != 0 {
		return c
	}
	return cmp.Compare(a.line, b.line)
}

const (
	flagLatest = 1 << iota
	flagDeleteMarker
	flagModified
)

// encodeRow appends r to a spill file.
func encodeRow(w *bufio.Writer, r *row) error {
	var buf [binary.MaxVarintLen64]byte
	putString := func(s string) {
		n := binary.PutUvarint(buf[:], uint64(len(s)))
		_, _ = w.Write(buf[:n]) // a bufio.Writer keeps its first error for Flush
		_, _ = w.WriteString(s)
	}
	putInt := func(v int64) {
		n := binary.PutVarint(buf[:], v)
		_, _ = w.Write(buf[:n])
	}
	var flags byte
	if r.latest {
		flags |= flagLatest
	}
	if r.deleteMarker {
		flags |= flagDeleteMarker
	}
	if r.hasModified {
		flags |= flagModified
	}
	_ = w.WriteByte(flags)
	putString(r.key)
	putString(r.versionID)
	putInt(r.size)
	putInt(r.modified)
	putString(r.etag)
	putString(r.storageClass)
	putString(r.encryption)
	putString(r.checksumAlg)
	putInt(int64(r.file))
	putInt(r.line)
	_, err := w.Write(nil) // surfaces a sticky write error
	return err
}

// decodeRow reads the next row of a spill file; io.EOF at its end.
func decodeRow(br *bufio.Reader) (row, error) {
	var r row
	flags, err := br.ReadByte()
	if err != nil {
		return r, err // io.EOF: a clean end
	}
	var firstErr error
	getString := func() string {
		if firstErr != nil {
			return ""
		}
		n, err := binary.ReadUvarint(br)
		if err != nil {
			firstErr = err
			return ""
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			firstErr = err
		}
		return string(b)
	}
	getInt := func() int64 {
		if firstErr != nil {
			return 0
		}
		v, err := binary.ReadVarint(br)
		if err != nil {
			firstErr = err
		}
		return v
	}
	r.latest = flags&flagLatest != 0
	r.deleteMarker = flags&flagDeleteMarker != 0
	r.hasModified = flags&flagModified != 0
	r.key = getString()
	r.versionID = getString()
	r.size = getInt()
	r.modified = getInt()
	r.etag = getString()
	r.storageClass = getString()
	r.encryption = getString()
	r.checksumAlg = getString()
	r.file = int(getInt())
	r.line = getInt()
	if firstErr != nil {
		if errors.Is(firstErr, io.EOF) {
			firstErr = io.ErrUnexpectedEOF
		}
		return r, fmt.Errorf("reading a spilled row: %w", firstErr)
	}
	return r, nil
}
