// Package s3inventorytest writes Amazon S3 Inventory reports in the layouts
// AWS documents, for tests of code that reads them: a manifest.json (with
// its manifest.checksum) under
// prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/, and gzip-compressed
// CSV or Snappy-compressed Parquet data files under
// prefix/source-bucket/config-ID/data/, in a folder laid out like the
// destination bucket ([Write]), optionally copied into a bucket ([Upload]).
package s3inventorytest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
)

// Object is one row of an inventory: an object, or in an inventory of all
// versions, one version or delete marker.
type Object struct {
	Key            string
	VersionID      string // written only when Spec.Versions
	IsLatest       bool   // written only when Spec.Versions
	IsDeleteMarker bool   // written only when Spec.Versions
	// Size is written empty for delete markers.
	Size         int64
	LastModified time.Time
	// ETag is written as given (S3 writes it unquoted).
	ETag              string
	StorageClass      string
	EncryptionStatus  string // "NOT-SSE", "SSE-S3", "SSE-KMS", "SSE-C"
	ChecksumAlgorithm string
}

// DefaultFields are the optional fields written when [Spec.Fields] is nil.
var DefaultFields = []string{"Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "ReplicationStatus", "EncryptionStatus", "ChecksumAlgorithm"}

// Spec describes the inventory to write. Zero fields take the defaults
// given.
type Spec struct {
	// SourceBucket is the bucket the inventory lists; "source-bucket".
	SourceBucket string
	// DestinationBucket is where the inventory is published; "inventory".
	DestinationBucket string
	// Prefix is the destination prefix; "inventory".
	Prefix string
	// ConfigID is the inventory configuration's id; "baseline".
	ConfigID string
	// Format is CSV (the default) or Parquet. ORC writes a manifest whose
	// data files are empty, for tests that it is rejected.
	Format s3inventory.Format
	// Versions writes an inventory of all versions (VersionId, IsLatest,
	// IsDeleteMarker); otherwise of current versions only.
	Versions bool
	// Fields are the optional fields after Bucket, Key and the version
	// fields, in S3's CSV names and in order; nil means [DefaultFields].
	Fields []string
	// Created is the manifest's creationTimestamp; 2024-01-02T03:04:00Z.
	Created time.Time
	// Files is the number of data files; 1. Objects are dealt to them in
	// turn, so that with two or more no file holds a run of sorted keys.
	Files int
}

func (s Spec) withDefaults() Spec {
	if s.SourceBucket == "" {
		s.SourceBucket = "source-bucket"
	}
	if s.DestinationBucket == "" {
		s.DestinationBucket = "inventory"
	}
	if s.Prefix == "" {
		s.Prefix = "inventory"
	}
	if s.ConfigID == "" {
		s.ConfigID = "baseline"
	}
	if s.Format == "" {
		s.Format = s3inventory.CSV
	}
	if s.Fields == nil {
		s.Fields = DefaultFields
	}
	if s.Created.IsZero() {
		s.Created = time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)
	}
	if s.Files <= 0 {
		s.Files = 1
	}
	return s
}

// columns are the inventory's columns in S3's CSV names, in order.
func (s Spec) columns() []string {
	cols := []string{"Bucket", "Key"}
	if s.Versions {
		cols = append(cols, "VersionId", "IsLatest", "IsDeleteMarker")
	}
	return append(cols, s.Fields...)
}

// ManifestKey is where [Write] puts the manifest for spec.
func ManifestKey(spec Spec) string {
	spec = spec.withDefaults()
	return path.Join(spec.Prefix, spec.SourceBucket, spec.ConfigID, spec.Created.UTC().Format("2006-01-02T15-04Z"), "manifest.json")
}

// Write writes an inventory of objects under dir, laid out like the
// destination bucket, and returns the manifest's key (relative to dir, as
// [s3inventory.Dir] takes it).
func Write(dir string, spec Spec, objects []Object) (string, error) {
	spec = spec.withDefaults()
	cols := spec.columns()
	// Deal the objects to the files in turn.
	parts := make([][]Object, spec.Files)
	for i, o := range objects {
		parts[i%spec.Files] = append(parts[i%spec.Files], o)
	}
	base := path.Join(spec.Prefix, spec.SourceBucket, spec.ConfigID)
	var files []manifestFile
	schema := strings.Join(cols, ", ")
	for i, part := range parts {
		var content []byte
		var ext string
		var err error
		switch spec.Format {
		case s3inventory.CSV:
			ext = ".csv.gz"
			rows := make([][]string, len(part))
			for j, o := range part {
				rows[j] = csvRow(spec, cols, o)
			}
			content = GzipCSV(rows)
		case s3inventory.Parquet:
			ext = ".parquet"
			content, schema, err = parquetFile(spec, cols, part)
			if err != nil {
				return "", err
			}
		case s3inventory.ORC:
			ext = ".orc"
			schema = "struct<bucket:string,key:string>"
		default:
			return "", fmt.Errorf("unknown format %q", spec.Format)
		}
		key := path.Join(base, "data", fmt.Sprintf("%08d-fixture%s", i, ext))
		if err := writeFile(dir, key, content); err != nil {
			return "", err
		}
		sum := md5.Sum(content)
		files = append(files, manifestFile{Key: key, Size: int64(len(content)), MD5checksum: hex.EncodeToString(sum[:])})
	}
	m := manifest{
		SourceBucket:      spec.SourceBucket,
		DestinationBucket: "arn:aws:s3:::" + spec.DestinationBucket,
		Version:           "2016-11-30",
		CreationTimestamp: strconv.FormatInt(spec.Created.UnixMilli(), 10),
		FileFormat:        string(spec.Format),
		FileSchema:        schema,
		Files:             files,
	}
	key := ManifestKey(spec)
	return key, writeManifest(dir, key, &m)
}

// manifest is manifest.json as S3 writes it.
type manifest struct {
	SourceBucket      string         `json:"sourceBucket"`
	DestinationBucket string         `json:"destinationBucket"`
	Version           string         `json:"version"`
	CreationTimestamp string         `json:"creationTimestamp"`
	FileFormat        string         `json:"fileFormat"`
	FileSchema        string         `json:"fileSchema"`
	Files             []manifestFile `json:"files"`
}

type manifestFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5checksum string `json:"MD5checksum"`
}

// writeManifest writes manifest.json at key and manifest.checksum next to
// it.
func writeManifest(dir, key string, m *manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(dir, key, raw); err != nil {
		return err
	}
	sum := md5.Sum(raw)
	return writeFile(dir, path.Join(path.Dir(key), "manifest.checksum"), []byte(hex.EncodeToString(sum[:])+"\n"))
}

// ReplaceFile replaces data file i of the manifest at manifestKey under dir
// with content, and updates the manifest's size and MD5checksum for it
// (and manifest.checksum): for tests that need a data file Write would not
// write, such as one with a malformed row.
func ReplaceFile(dir, manifestKey string, i int, content []byte) error {
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(manifestKey)))
	if err != nil {
		return err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", manifestKey, err)
	}
	if i < 0 || i >= len(m.Files) {
		return fmt.Errorf("%s has %d files, no file %d", manifestKey, len(m.Files), i)
	}
	if err := writeFile(dir, m.Files[i].Key, content); err != nil {
		return err
	}
	sum := md5.Sum(content)
	m.Files[i].Size, m.Files[i].MD5checksum = int64(len(content)), hex.EncodeToString(sum[:])
	return writeManifest(dir, manifestKey, &m)
}

// DataFiles returns the keys of the data files the manifest at manifestKey
// under dir lists, in order.
func DataFiles(dir, manifestKey string) ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(manifestKey)))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestKey, err)
	}
	keys := make([]string, len(m.Files))
	for i, f := range m.Files {
		keys[i] = f.Key
	}
	return keys, nil
}

// GzipCSV returns rows as a gzip-compressed CSV data file, every field
// quoted, as S3 writes them.
func GzipCSV(rows [][]string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				_, _ = zw.Write([]byte{','})
			}
			_, _ = zw.Write([]byte(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`))
		}
		_, _ = zw.Write([]byte{'\n'})
	}
	zw.Close() // writes to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// EncodeKey encodes a key as S3 Inventory writes it in CSV files:
// URL-encoded, a space as "+".
func EncodeKey(key string) string { return url.QueryEscape(key) }

// csvRow is o's row with the columns cols.
func csvRow(spec Spec, cols []string, o Object) []string {
	r := make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "Bucket":
			r[i] = spec.SourceBucket
		case "Key":
			r[i] = EncodeKey(o.Key)
		case "VersionId":
			r[i] = o.VersionID
		case "IsLatest":
			r[i] = strconv.FormatBool(o.IsLatest)
		case "IsDeleteMarker":
			r[i] = strconv.FormatBool(o.IsDeleteMarker)
		case "Size":
			if !o.IsDeleteMarker {
				r[i] = strconv.FormatInt(o.Size, 10)
			}
		case "LastModifiedDate":
			if !o.LastModified.IsZero() {
				r[i] = o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		case "ETag":
			r[i] = o.ETag
		case "StorageClass":
			r[i] = o.StorageClass
		case "IsMultipartUploaded":
			if !o.IsDeleteMarker {
				r[i] = strconv.FormatBool(strings.Contains(o.ETag, "-"))
			}
		case "EncryptionStatus":
			r[i] = o.EncryptionStatus
		case "ChecksumAlgorithm":
			r[i] = o.ChecksumAlgorithm
		}
	}
	return r
}

// parquetNames are the Parquet column names of S3's CSV field names, and
// their Go types and tags in a struct that gives the schema.
var parquetNames = map[string]struct {
	name string
	typ  reflect.Type
	tag  string
}{
	"Bucket":                       {"bucket", reflect.TypeFor[string](), ""},
	"Key":                          {"key", reflect.TypeFor[string](), ""},
	"VersionId":                    {"version_id", reflect.TypeFor[string](), ",optional"},
	"IsLatest":                     {"is_latest", reflect.TypeFor[bool](), ",optional"},
	"IsDeleteMarker":               {"is_delete_marker", reflect.TypeFor[bool](), ",optional"},
	"Size":                         {"size", reflect.TypeFor[int64](), ",optional"},
	"LastModifiedDate":             {"last_modified_date", reflect.TypeFor[int64](), ",optional,timestamp(millisecond:utc)"},
	"ETag":                         {"e_tag", reflect.TypeFor[string](), ",optional"},
	"StorageClass":                 {"storage_class", reflect.TypeFor[string](), ",optional"},
	"IsMultipartUploaded":          {"is_multipart_uploaded", reflect.TypeFor[bool](), ",optional"},
	"ReplicationStatus":            {"replication_status", reflect.TypeFor[string](), ",optional"},
	"EncryptionStatus":             {"encryption_status", reflect.TypeFor[string](), ",optional"},
	"ObjectLockRetainUntilDate":    {"object_lock_retain_until_date", reflect.TypeFor[int64](), ",optional,timestamp(millisecond:utc)"},
	"ObjectLockMode":               {"object_lock_mode", reflect.TypeFor[string](), ",optional"},
	"ObjectLockLegalHoldStatus":    {"object_lock_legal_hold_status", reflect.TypeFor[string](), ",optional"},
	"IntelligentTieringAccessTier": {"intelligent_tiering_access_tier", reflect.TypeFor[string](), ",optional"},
	"BucketKeyStatus":              {"bucket_key_status", reflect.TypeFor[string](), ",optional"},
	"ChecksumAlgorithm":            {"checksum_algorithm", reflect.TypeFor[string](), ",optional"},
}

// parquetSchema is the Parquet schema of an inventory with the columns
// cols, in S3's order: bucket and key required, every other column
// optional.
func parquetSchema(cols []string) (*parquet.Schema, error) {
	var fields []reflect.StructField
	for i, c := range cols {
		p, ok := parquetNames[c]
		if !ok {
			return nil, fmt.Errorf("no Parquet column for field %q", c)
		}
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("F%d", i),
			Type: p.typ,
			Tag:  reflect.StructTag(`parquet:"` + p.name + p.tag + `"`),
		})
	}
	s := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Elem().Interface())
	return parquet.NewSchema("s3.inventory", s), nil
}

// parquetFile is a Snappy-compressed Parquet data file of objects, and its
// schema as the manifest's fileSchema gives it.
func parquetFile(spec Spec, cols []string, objects []Object) ([]byte, string, error) {
	schema, err := parquetSchema(cols)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.Compression(&parquet.Snappy))
	b := parquet.NewRowBuilder(schema)
	for _, o := range objects {
		b.Reset()
		str := func(i int, s string) { b.Add(i, parquet.ByteArrayValue([]byte(s))) }
		for _, c := range cols {
			col, _ := schema.Lookup(parquetNames[c].name)
			i := col.ColumnIndex
			switch c {
			case "Bucket":
				str(i, spec.SourceBucket)
			case "Key":
				str(i, o.Key) // not URL-encoded in Parquet
			case "VersionId":
				str(i, o.VersionID)
			case "IsLatest":
				b.Add(i, parquet.BooleanValue(o.IsLatest))
			case "IsDeleteMarker":
				b.Add(i, parquet.BooleanValue(o.IsDeleteMarker))
			case "Size":
				if !o.IsDeleteMarker {
					b.Add(i, parquet.Int64Value(o.Size))
				}
			case "LastModifiedDate":
				if !o.LastModified.IsZero() {
					b.Add(i, parquet.Int64Value(o.LastModified.UnixMilli()))
				}
			case "ETag":
				if o.ETag != "" {
					str(i, o.ETag)
				}
			case "StorageClass":
				if o.StorageClass != "" {
					str(i, o.StorageClass)
				}
			case "IsMultipartUploaded":
				if !o.IsDeleteMarker {
					b.Add(i, parquet.BooleanValue(strings.Contains(o.ETag, "-")))
				}
			case "EncryptionStatus":
				if o.EncryptionStatus != "" {
					str(i, o.EncryptionStatus)
				}
			case "ChecksumAlgorithm":
				if o.ChecksumAlgorithm != "" {
					str(i, o.ChecksumAlgorithm)
				}
			}
		}
		if _, err := w.WriteRows([]parquet.Row{b.Row()}); err != nil {
			return nil, "", fmt.Errorf("writing a Parquet row: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("writing a Parquet file: %w", err)
	}
	return buf.Bytes(), schema.String(), nil
}

func writeFile(dir, key string, content []byte) error {
	name := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, content, 0o644)
}

// PutObjectAPI is the part of [s3.Client] [Upload] uses.
type PutObjectAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Upload copies every file under dir into bucket, keyed by its path
// relative to dir, so that an inventory written with [Write] can be read
// with [s3inventory.Bucket]. The bucket must exist.
func Upload(ctx context.Context, client PutObjectAPI, bucket, dir string) error {
	return filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		content, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		sum := md5.Sum(content)
		_, err = client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(key),
			Body:          bytes.NewReader(content),
			ContentLength: aws.Int64(int64(len(content))),
			ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		})
		if err != nil {
			return fmt.Errorf("uploading %s to s3://%s/%s: %w", name, bucket, key, err)
		}
		return nil
	})
}
