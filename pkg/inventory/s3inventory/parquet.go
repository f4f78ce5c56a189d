package s3inventory

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// readParquet reads a Parquet data file. Parquet is read from its end (the
// footer first), so the file is copied to a temporary file in tmpDir and
// checked against the manifest's size and MD5 before it is parsed.
func (fr *fileReader) readParquet(ctx context.Context, src Source, tmpDir string) error {
	rc, err := src.Open(ctx, fr.file.Key)
	if err != nil {
		return fr.errorAt(0, "", err)
	}
	tmp, err := os.CreateTemp(tmpDir, "s3inventory-parquet-*")
	if err != nil {
		rc.Close()
		return fmt.Errorf("copying %s: %w", fr.file.Key, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	v := newVerifier(rc, fr.file)
	_, err = io.Copy(tmp, v)
	rc.Close()
	if err != nil {
		return fr.errorAt(0, "", fmt.Errorf("copying to %s: %w", tmp.Name(), err))
	}
	if err := v.finish(); err != nil {
		return fr.errorAt(0, "", err)
	}

	f, err := parquet.OpenFile(tmp, fr.file.Size)
	if err != nil {
		return fr.errorAt(0, "", fmt.Errorf("not a Parquet file: %w", err))
	}
	schema := f.Schema()
	var names []string
	for _, path := range schema.Columns() {
		names = append(names, strings.Join(path, "."))
	}
	if fr.layout, err = newLayout(names, true); err != nil {
		return fr.errorAt(0, "", fmt.Errorf("schema %s: %w", schema, err))
	}
	conv, err := fr.parquetConverters(schema)
	if err != nil {
		return fr.errorAt(0, "", err)
	}

	var line int64
	buf := make([]parquet.Row, 512)
	var p parsed
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return err
			}
			n, rerr := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				line++
				p = parsed{latest: true}
				for _, val := range r {
					c := val.Column()
					if c < 0 || c >= len(conv) || conv[c] == nil {
						continue
					}
					if err := conv[c](val, &p); err != nil {
						rows.Close()
						return fr.errorAt(line, names[c], err)
					}
				}
				if err := fr.accept(&p, line); err != nil {
					rows.Close()
					return err
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				rows.Close()
				return fr.errorAt(line+1, "", fmt.Errorf("reading rows: %w", rerr))
			}
		}
		if err := rows.Close(); err != nil {
			return fr.errorAt(0, "", err)
		}
	}
	return nil
}

// converter stores one Parquet value into p. Nulls are errors in the
// columns every row must fill, and leave the field unset in the others.
type converter func(v parquet.Value, p *parsed) error

// parquetConverters checks the type of each column the baseline reads and
// returns, per column index, how to store its values (nil: ignored).
func (fr *fileReader) parquetConverters(schema *parquet.Schema) ([]converter, error) {
	l := &fr.layout
	conv := make([]converter, len(l.names))
	str := func(required bool, set func(p *parsed, s string)) converter {
		return func(v parquet.Value, p *parsed) error {
			if v.IsNull() {
				if required {
					return fmt.Errorf("null")
				}
				return nil
			}
			set(p, string(v.ByteArray()))
			return nil
		}
	}
	// Every row of an all-versions inventory says whether it is the latest
	// version and whether it is a delete marker.
	boolean := func(set func(p *parsed, b bool)) converter {
		return func(v parquet.Value, p *parsed) error {
			if v.IsNull() {
				return fmt.Errorf("null")
			}
			set(p, v.Boolean())
			return nil
		}
	}
	for f := range numFields {
		if !l.has(f) {
			continue
		}
		col, ok := schema.Lookup(l.name(f))
		if !ok {
			return nil, fmt.Errorf("column %s is not a leaf column", l.name(f))
		}
		kind := col.Node.Type().Kind()
		want := parquet.ByteArray
		switch f {
		case fIsLatest, fIsDeleteMarker:
			want = parquet.Boolean
		case fSize, fLastModified:
			want = parquet.Int64
		}
		if f == fSize && kind == parquet.Int32 {
			want = parquet.Int32
		}
		if kind != want {
			return nil, fmt.Errorf("column %s is %s, want %s", l.name(f), kind, want)
		}
		var c converter
		switch f {
		case fBucket:
			c = str(true, func(p *parsed, s string) { p.bucket = s })
		case fKey:
			// Parquet keys are not URL-encoded (only CSV keys are).
			c = str(true, func(p *parsed, s string) { p.key = s })
		case fVersionID:
			c = str(false, func(p *parsed, s string) { p.versionID = s })
		case fIsLatest:
			c = boolean(func(p *parsed, b bool) { p.latest = b })
		case fIsDeleteMarker:
			c = boolean(func(p *parsed, b bool) { p.deleteMarker = b })
		case fSize:
			c = func(v parquet.Value, p *parsed) error {
				if !v.IsNull() {
					p.size, p.hasSize = v.Int64(), true
					if kind == parquet.Int32 {
						p.size = int64(v.Int32())
					}
				}
				return nil
			}
		case fLastModified:
			unit, err := timestampUnit(col.Node)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", l.name(f), err)
			}
			c = func(v parquet.Value, p *parsed) error {
				if v.IsNull() {
					return nil
				}
				switch t := v.Int64(); unit {
				case time.Millisecond:
					p.modified = time.UnixMilli(t).UTC()
				case time.Microsecond:
					p.modified = time.UnixMicro(t).UTC()
				default:
					p.modified = time.Unix(0, t).UTC()
				}
				p.hasModified = true
				return nil
			}
		case fETag:
			c = str(false, func(p *parsed, s string) { p.etag = s })
		case fStorageClass:
			c = str(false, func(p *parsed, s string) { p.storageClass = s })
		case fEncryptionStatus:
			c = str(false, func(p *parsed, s string) { p.encryption = s })
		case fChecksumAlgorithm:
			c = str(false, func(p *parsed, s string) { p.checksumAlgor = s })
		}
		conv[col.ColumnIndex] = c
	}
	return conv, nil
}

// timestampUnit is the unit of an INT64 timestamp column, from its logical
// type or, in older files, its converted type.
func timestampUnit(n parquet.Node) (time.Duration, error) {
	t := n.Type()
	if lt := t.LogicalType(); lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
			return ts.Unit.Value.Duration(), nil
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return time.Millisecond, nil
		case deprecated.TimestampMicros:
			return time.Microsecond, nil
		}
	}
	return 0, fmt.Errorf("type %s is not a timestamp", t)
}
