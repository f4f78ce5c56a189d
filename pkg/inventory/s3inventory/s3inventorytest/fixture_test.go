package s3inventorytest_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

var created = time.Date(2016, 11, 6, 21, 32, 0, 0, time.UTC)

var objects = []s3inventorytest.Object{
	{Key: "photos/a b+c.jpg", VersionID: "v2", IsLatest: true, Size: 1024, LastModified: created, ETag: "d41d8cd98f00b204e9800998ecf8427e", StorageClass: "STANDARD", EncryptionStatus: "SSE-S3"},
	{Key: "photos/ü.jpg", VersionID: "dm", IsLatest: true, IsDeleteMarker: true, LastModified: created},
}

func read(t *testing.T, dir, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The CSV layout, byte for byte: the manifest's keys and fields, every
// value quoted, keys URL-encoded with a space as "+", delete markers
// without size.
func TestCSVLayout(t *testing.T) {
	dir := t.TempDir()
	spec := s3inventorytest.Spec{SourceBucket: "example-source-bucket", DestinationBucket: "example-inventory-destination-bucket",
		Prefix: "Inventory", ConfigID: "daily", Versions: true, Created: created, Fields: []string{"Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "EncryptionStatus"}}
	key, err := s3inventorytest.Write(dir, spec, objects)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("Inventory/example-source-bucket/daily/2016-11-06T21-32Z/manifest.json", key); diff != "" {
		t.Errorf("manifest key (-want +got):\n%s", diff)
	}
	raw := read(t, dir, key)
	sum := md5.Sum(raw)
	if diff := cmp.Diff(hex.EncodeToString(sum[:])+"\n", string(read(t, dir, "Inventory/example-source-bucket/daily/2016-11-06T21-32Z/manifest.checksum"))); diff != "" {
		t.Errorf("manifest.checksum (-want +got):\n%s", diff)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	dataKey := "Inventory/example-source-bucket/daily/data/00000000-fixture.csv.gz"
	data := read(t, dir, dataKey)
	dataSum := md5.Sum(data)
	want := map[string]any{
		"sourceBucket":      "example-source-bucket",
		"destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
		"version":           "2016-11-30",
		"creationTimestamp": "1478467920000",
		"fileFormat":        "CSV",
		"fileSchema":        "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, EncryptionStatus",
		"files":             []any{map[string]any{"key": dataKey, "size": float64(len(data)), "MD5checksum": hex.EncodeToString(dataSum[:])}},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("manifest.json (-want +got):\n%s", diff)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	csv, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := `"example-source-bucket","photos%2Fa+b%2Bc.jpg","v2","true","false","1024","2016-11-06T21:32:00.000Z","d41d8cd98f00b204e9800998ecf8427e","STANDARD","false","SSE-S3"
"example-source-bucket","photos%2F%C3%BC.jpg","dm","true","true","","2016-11-06T21:32:00.000Z","","","",""
`
	if diff := cmp.Diff(wantCSV, string(csv)); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

// The Parquet layout: S3's column names, types and order, keys as they
// are, nulls where S3 leaves a field empty.
func TestParquetLayout(t *testing.T) {
	dir := t.TempDir()
	spec := s3inventorytest.Spec{Format: s3inventory.Parquet, Versions: true, Created: created, Fields: []string{"Size", "LastModifiedDate", "ETag", "StorageClass"}}
	key, err := s3inventorytest.Write(dir, spec, objects)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		FileFormat, FileSchema string
		Files                  []struct{ Key string }
	}
	if err := json.Unmarshal(read(t, dir, key), &m); err != nil {
		t.Fatal(err)
	}
	data := read(t, dir, m.Files[0].Key)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	wantSchema := `message s3.inventory {
	required binary bucket (STRING);
	required binary key (STRING);
	optional binary version_id (STRING);
	optional boolean is_latest;
	optional boolean is_delete_marker;
	optional int64 size (INT(64,true));
	optional int64 last_modified_date (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	optional binary e_tag (STRING);
	optional binary storage_class (STRING);
}`
	if diff := cmp.Diff([]string{"Parquet", wantSchema, wantSchema}, []string{m.FileFormat, m.FileSchema, f.Schema().String()}); diff != "" {
		t.Errorf("format and schemas (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(m.Files[0].Key, ".parquet") {
		t.Errorf("data file %s does not end in .parquet", m.Files[0].Key)
	}
	rows := make([]parquet.Row, 3)
	n, err := f.RowGroups()[0].Rows().ReadRows(rows)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	var got [][]string
	for _, r := range rows[:n] {
		var vals []string
		for _, v := range r {
			if v.IsNull() {
				vals = append(vals, "null")
			} else {
				vals = append(vals, v.String())
			}
		}
		got = append(got, vals)
	}
	want := [][]string{
		{"source-bucket", "photos/a b+c.jpg", "v2", "true", "false", "1024", "1478467920000", "d41d8cd98f00b204e9800998ecf8427e", "STANDARD"},
		{"source-bucket", "photos/ü.jpg", "dm", "true", "true", "null", "1478467920000", "null", "null"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
