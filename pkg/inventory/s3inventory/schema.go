package s3inventory

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSchema is returned (wrapped) when an inventory lacks a field the
// baseline needs, or names one twice.
var ErrSchema = errors.New("unusable inventory schema")

// field is an inventory field this package reads. Other fields (replication
// status, object lock, ACLs, ...) are ignored.
type field int

const (
	fBucket field = iota
	fKey
	fVersionID
	fIsLatest
	fIsDeleteMarker
	fSize
	fLastModified
	fETag
	fStorageClass
	fEncryptionStatus
	fChecksumAlgorithm
	numFields
)

// fieldNames are each field's name in a CSV fileSchema and as a Parquet
// column.
var fieldNames = [numFields]struct{ csv, parquet string }{
	fBucket:            {"Bucket", "bucket"},
	fKey:               {"Key", "key"},
	fVersionID:         {"VersionId", "version_id"},
	fIsLatest:          {"IsLatest", "is_latest"},
	fIsDeleteMarker:    {"IsDeleteMarker", "is_delete_marker"},
	fSize:              {"Size", "size"},
	fLastModified:      {"LastModifiedDate", "last_modified_date"},
	fETag:              {"ETag", "e_tag"},
	fStorageClass:      {"StorageClass", "storage_class"},
	fEncryptionStatus:  {"EncryptionStatus", "encryption_status"},
	fChecksumAlgorithm: {"ChecksumAlgorithm", "checksum_algorithm"},
}

// layout says where each field is in a data file's rows.
type layout struct {
	// col is each field's column index, -1 when the inventory lacks it.
	col [numFields]int
	// names are the file's column names, in order.
	names []string
	// versioned: the inventory lists every version (VersionId, IsLatest
	// and IsDeleteMarker are present).
	versioned bool
}

// has reports whether the inventory has field f.
func (l *layout) has(f field) bool { return l.col[f] >= 0 }

// name is the file's name of field f.
func (l *layout) name(f field) string { return l.names[l.col[f]] }

// csvColumns splits a CSV fileSchema ("Bucket, Key, Size, ...") into
// column names.
func csvColumns(schema string) []string {
	parts := strings.Split(schema, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// newLayout maps the columns names (CSV or Parquet names, as parquet says)
// to fields and checks that the baseline can use them: Bucket, Key and
// Size are required, and the version fields come together or not at all.
func newLayout(names []string, parquet bool) (layout, error) {
	l := layout{names: names}
	for i := range l.col {
		l.col[i] = -1
	}
	for i, n := range names {
		for f := range numFields {
			want := fieldNames[f].csv
			if parquet {
				want = fieldNames[f].parquet
			}
			if n != want {
				continue
			}
			if l.col[f] >= 0 {
				return l, fmt.Errorf("%w: column %s appears twice", ErrSchema, n)
			}
			l.col[f] = i
		}
	}
	nameOf := func(f field) string {
		if parquet {
			return fieldNames[f].parquet
		}
		return fieldNames[f].csv
	}
	for _, f := range []field{fBucket, fKey, fSize} {
		if !l.has(f) {
			hint := ""
			if f == fSize {
				hint = " (add Size to the inventory configuration's optional fields: a baseline needs every object's size)"
			}
			return l, fmt.Errorf("%w: no %s column%s", ErrSchema, nameOf(f), hint)
		}
	}
	v, lt, dm := l.has(fVersionID), l.has(fIsLatest), l.has(fIsDeleteMarker)
	if v != lt || v != dm {
		return l, fmt.Errorf("%w: %s, %s and %s must all be present (an inventory of all versions) or all absent (current versions only)",
			ErrSchema, nameOf(fVersionID), nameOf(fIsLatest), nameOf(fIsDeleteMarker))
	}
	l.versioned = v
	return l, nil
}
