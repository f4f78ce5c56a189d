package s3inventory

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// fileReader reads one data file of an inventory into rows.
type fileReader struct {
	m      *Manifest
	index  int // the file's index in m.Files
	file   File
	prefix string
	keys   inventory.KeyRange
	emit   func(row) error
	layout layout
	rows   int64 // rows read
}

// errorAt is a [RowError] at row line (0: the whole file) and column.
func (fr *fileReader) errorAt(line int64, column string, err error) error {
	return &RowError{Manifest: fr.m.Location, File: fr.file.Key, Row: line, Column: column, Err: err}
}

// errorIn is a [RowError] at row line in field f's column.
func (fr *fileReader) errorIn(line int64, f field, format string, args ...any) error {
	return fr.errorAt(line, fr.layout.name(f), fmt.Errorf(format, args...))
}

// parsed is one row's values, however the file encoded them.
type parsed struct {
	bucket, key               string
	versionID                 string
	latest, deleteMarker      bool
	size                      int64
	hasSize                   bool
	modified                  time.Time
	hasModified               bool
	etag, storageClass        string
	encryption, checksumAlgor string
}

// accept checks a row's values, keeps it when its key lies under the
// prefix and in the key range, and hands it to the sorter.
func (fr *fileReader) accept(p *parsed, line int64) error {
	fr.rows++
	if p.bucket != fr.m.SourceBucket {
		return fr.errorIn(line, fBucket, "bucket %q is not the manifest's sourceBucket %q", p.bucket, fr.m.SourceBucket)
	}
	if p.key == "" {
		return fr.errorIn(line, fKey, "the key is empty")
	}
	if !p.hasSize && !p.deleteMarker {
		return fr.errorIn(line, fSize, "no size for an object that is not a delete marker")
	}
	if p.size < 0 {
		return fr.errorIn(line, fSize, "size %d is negative", p.size)
	}
	if !strings.HasPrefix(p.key, fr.prefix) {
		return nil
	}
	logical := p.key[len(fr.prefix):]
	if !fr.keys.Contains(logical) {
		return nil
	}
	// Clones: the CSV reader's fields share one string per record, which
	// a kept field would keep whole, past what the memory bound counts.
	r := row{
		key:          strings.Clone(logical),
		versionID:    strings.Clone(p.versionID),
		latest:       p.latest,
		deleteMarker: p.deleteMarker,
		size:         p.size,
		hasModified:  p.hasModified,
		etag:         strings.Clone(p.etag),
		storageClass: strings.Clone(p.storageClass),
		encryption:   strings.Clone(p.encryption),
		checksumAlg:  strings.Clone(p.checksumAlgor),
		file:         fr.index,
		line:         line,
	}
	if p.hasModified {
		r.modified = p.modified.UnixNano()
	}
	return fr.emit(r)
}

// verifier hashes and counts a data file's bytes as they are read, so that
// its MD5 and size can be checked against the manifest.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	file File
	eof  bool
}

func newVerifier(r io.Reader, f File) *verifier { return &verifier{r: r, h: md5.New(), file: f} }

func (v *verifier) Read(p []byte) (int, error) {
	if v.eof {
		return 0, io.EOF
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	v.eof = err == io.EOF
	return n, err
}

// finish reads what is left of the file and checks its size and MD5.
func (v *verifier) finish() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	if v.n != v.file.Size {
		return fmt.Errorf("the file has %d bytes, the manifest says %d", v.n, v.file.Size)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.file.MD5 {
		return fmt.Errorf("the file's MD5 is %s, the manifest's MD5checksum is %s", got, v.file.MD5)
	}
	return nil
}

// fail explains an error met at row line (0: the file) of the file: when
// the file does not match the manifest, that is the cause to report.
func (fr *fileReader) fail(ctx context.Context, v *verifier, line int64, column string, err error) error {
	if ctx.Err() == nil {
		if verr := v.finish(); verr != nil {
			if line > 0 {
				verr = fmt.Errorf("%w (and row %d could not be read: %v)", verr, line, err)
			}
			return fr.errorAt(0, "", verr)
		}
	}
	return fr.errorAt(line, column, err)
}

// readCSV reads a gzip-compressed CSV data file.
func (fr *fileReader) readCSV(ctx context.Context, src Source) error {
	l, err := newLayout(csvColumns(fr.m.Schema), false)
	if err != nil {
		return fmt.Errorf("manifest %s: fileSchema %q: %w", fr.m.Location, fr.m.Schema, err)
	}
	fr.layout = l
	rc, err := src.Open(ctx, fr.file.Key)
	if err != nil {
		return fr.errorAt(0, "", err)
	}
	defer rc.Close()
	v := newVerifier(rc, fr.file)
	zr, err := gzip.NewReader(bufio.NewReaderSize(v, 256<<10))
	if err != nil {
		return fr.fail(ctx, v, 0, "", fmt.Errorf("not gzip-compressed: %w", err))
	}
	cr := csv.NewReader(zr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var p parsed
	for line := int64(1); ; line++ {
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fr.fail(ctx, v, line, "", err)
		}
		if column, err := fr.parseCSV(rec, &p); err != nil {
			return fr.fail(ctx, v, line, column, err)
		}
		if err := fr.accept(&p, line); err != nil {
			var re *RowError
			if errors.As(err, &re) && re.Row == line {
				return fr.fail(ctx, v, line, re.Column, re.Err)
			}
			return err
		}
	}
	if err := zr.Close(); err != nil {
		return fr.fail(ctx, v, 0, "", err)
	}
	if err := v.finish(); err != nil {
		return fr.errorAt(0, "", err)
	}
	return nil
}

// parseCSV parses one CSV record into p. On error it returns the column.
func (fr *fileReader) parseCSV(rec []string, p *parsed) (string, error) {
	l := &fr.layout
	if len(rec) != len(l.names) {
		return "", fmt.Errorf("%d columns, but the manifest's fileSchema names %d", len(rec), len(l.names))
	}
	*p = parsed{latest: true}
	get := func(f field) string {
		if !l.has(f) {
			return ""
		}
		return rec[l.col[f]]
	}
	var err error
	p.bucket = get(fBucket)
	// S3 writes CSV keys URL-encoded, a space as "+".
	if p.key, err = url.QueryUnescape(get(fKey)); err != nil {
		return l.name(fKey), fmt.Errorf("key %q is not URL-encoded: %w", get(fKey), err)
	}
	p.versionID = get(fVersionID)
	if l.versioned {
		if p.latest, err = parseBool(get(fIsLatest)); err != nil {
			return l.name(fIsLatest), err
		}
		if p.deleteMarker, err = parseBool(get(fIsDeleteMarker)); err != nil {
			return l.name(fIsDeleteMarker), err
		}
	}
	if s := get(fSize); s != "" {
		if p.size, err = strconv.ParseInt(s, 10, 64); err != nil {
			return l.name(fSize), fmt.Errorf("size %q is not a number", s)
		}
		p.hasSize = true
	}
	if s := get(fLastModified); s != "" {
		if p.modified, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return l.name(fLastModified), fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		p.modified, p.hasModified = p.modified.UTC(), true
	}
	p.etag = get(fETag)
	p.storageClass = get(fStorageClass)
	p.encryption = get(fEncryptionStatus)
	p.checksumAlgor = get(fChecksumAlgorithm)
	return "", nil
}

func parseBool(s string) (bool, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", s)
}
