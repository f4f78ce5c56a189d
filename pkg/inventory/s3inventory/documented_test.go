package s3inventory_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
)

// An inventory written by hand after AWS's documented example (the
// manifest of "Locating your inventory list", with all of its fields), not
// by s3inventorytest, so that reader and writer cannot agree on a mistake.
func TestDocumentedCSVExample(t *testing.T) {
	csv := `"example-source-bucket","photos%2F2016%2Fmy+cat+%2B+dog.jpg","3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY","true","false","46474","2016-11-06T21:30:11.000Z","1b2cf535f27731c974343645a3985328","STANDARD","false","","SSE-S3","","",""
"example-source-bucket","photos%2F2016%2Fmy+cat+%2B+dog.jpg","3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHX","false","false","46000","2016-11-05T10:00:00.000Z","5b2cf535f27731c974343645a3985328","STANDARD","false","","SSE-S3","","",""
"example-source-bucket","docs%2Freport.pdf","null","true","true","","2016-11-06T20:00:00.000Z","","","","","","","",""
"example-source-bucket","docs%2Freport.pdf","Xv1","false","false","6291456","2016-11-01T09:00:00.000Z","9b2cf535f27731c974343645a3985328-2","GLACIER","true","COMPLETED","SSE-KMS","2017-01-01T00:00:00.000Z","GOVERNANCE","OFF"
`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(csv))
	zw.Close()
	dir := t.TempDir()
	dataKey := "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz"
	manifestKey := "Inventory/example-source-bucket/config-ID/2016-11-06T21-32Z/manifest.json"
	manifest := fmt.Sprintf(`{
    "sourceBucket": "example-source-bucket",
    "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
    "version": "2016-11-30",
    "creationTimestamp" : "1514944800000",
    "fileFormat": "CSV",
    "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus",
    "files": [
        {
            "key": %q,
            "size": %d,
            "MD5checksum": "%x"
        }
    ]
}`, dataKey, gz.Len(), md5.Sum(gz.Bytes()))
	for key, content := range map[string][]byte{dataKey: gz.Bytes(), manifestKey: []byte(manifest)} {
		name := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := readAll(t, s3inventory.Dir(dir), manifestKey, s3inventory.Options{Prefix: "photos/"})
	if err != nil {
		t.Fatal(err)
	}
	date := time.UnixMilli(1514944800000).UTC()
	want := []s3inventory.Record{{
		Fingerprint: inventory.Fingerprint{
			Key: "2016/my cat + dog.jpg", Presence: inventory.Current, Size: 46474,
			ETag: "1b2cf535f27731c974343645a3985328", Checksums: etagSum("1b2cf535f27731c974343645a3985328", 0),
			Encryption: "AES256", VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", NoncurrentVersions: 1, StorageTier: "STANDARD",
			Modified: time.Date(2016, 11, 6, 21, 30, 11, 0, time.UTC),
		},
		InventoryDate: date,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records under photos/ (-want +got):\n%s", diff)
	}
	got, _, err = readAll(t, s3inventory.Dir(dir), manifestKey, s3inventory.Options{Prefix: "docs/"})
	if err != nil {
		t.Fatal(err)
	}
	want = []s3inventory.Record{{
		// The null-version delete marker hides Xv1.
		Fingerprint: inventory.Fingerprint{
			Key: "report.pdf", Presence: inventory.DeleteMarker, Size: 6291456,
			ETag: "9b2cf535f27731c974343645a3985328-2", Checksums: etagSum("9b2cf535f27731c974343645a3985328", 2), PartCount: 2,
			Encryption: "aws:kms", VersionID: "Xv1", NoncurrentVersions: 1, StorageTier: "GLACIER",
			Modified: time.Date(2016, 11, 1, 9, 0, 0, 0, time.UTC),
		},
		InventoryDate: date,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records under docs/ (-want +got):\n%s", diff)
	}
}
