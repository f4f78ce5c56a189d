package s3inventory

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Format is an inventory's fileFormat.
type Format string

// The formats S3 Inventory publishes. Only CSV and Parquet can be read.
const (
	CSV     Format = "CSV"
	Parquet Format = "Parquet"
	ORC     Format = "ORC"
)

// ErrUnsupportedFormat is returned (wrapped) for an inventory published in
// a format this package cannot read (ORC).
var ErrUnsupportedFormat = errors.New("unsupported inventory format")

// maxManifestSize bounds what is read of a manifest.json: a manifest lists
// files, not objects, so even a huge inventory's is small.
const maxManifestSize = 64 << 20

// Manifest is an inventory's manifest.json.
type Manifest struct {
	// Location names where the manifest was read: "s3://bucket/key" or a
	// local path.
	Location string `json:"location"`
	// Key is the manifest's key in its [Source].
	Key string `json:"key"`
	// SourceBucket is the bucket the inventory lists.
	SourceBucket string `json:"source_bucket"`
	// DestinationBucket is the ARN of the bucket the inventory was written to.
	DestinationBucket string `json:"destination_bucket,omitempty"`
	// Version is the manifest's format version ("2016-11-30").
	Version string `json:"version,omitempty"`
	// Created is creationTimestamp: when S3 began scanning the source
	// bucket. Objects deleted after it may still be listed; objects created
	// shortly before it may be missing.
	Created time.Time `json:"created"`
	// Format is fileFormat.
	Format Format `json:"format"`
	// Schema is fileSchema: the CSV column list, or the Parquet or ORC
	// schema.
	Schema string `json:"schema"`
	// Files are the data files, in the manifest's order.
	Files []File `json:"files"`
	// ChecksumVerified is true when manifest.checksum was found next to the
	// manifest and matched its MD5. Without it the manifest is read
	// unverified.
	ChecksumVerified bool `json:"checksum_verified"`
}

// File is one data file of an inventory.
type File struct {
	// Key is the file's key in the destination bucket.
	Key string `json:"key"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// MD5 is the lowercase hex MD5 of the file's bytes (MD5checksum).
	MD5 string `json:"md5"`
}

// manifestJSON is manifest.json as S3 writes it.
type manifestJSON struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	Version           string `json:"version"`
	CreationTimestamp string `json:"creationTimestamp"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key         string      `json:"key"`
		Size        json.Number `json:"size"`
		MD5checksum string      `json:"MD5checksum"`
	} `json:"files"`
}

// ReadManifest reads and checks the manifest.json at key in src. When a
// manifest.checksum lies next to it, the manifest's MD5 must match it.
// An ORC inventory returns an error wrapping [ErrUnsupportedFormat].
func ReadManifest(ctx context.Context, src Source, key string) (*Manifest, error) {
	loc := location(src, key)
	raw, err := readAll(ctx, src, key, maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", loc, err)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", loc, err)
	}
	m.Location, m.Key = loc, key
	if path.Base(key) == "manifest.json" {
		sumKey := path.Join(path.Dir(key), "manifest.checksum")
		sum, err := readAll(ctx, src, sumKey, 1024)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Not every copy of an inventory keeps it; the manifest stays
			// unverified, which Manifest.ChecksumVerified says.
		case err != nil:
			return nil, fmt.Errorf("manifest %s: reading %s: %w", loc, location(src, sumKey), err)
		default:
			got := md5.Sum(raw)
			want := strings.ToLower(string(bytes.TrimSpace(sum)))
			if hex.EncodeToString(got[:]) != want {
				return nil, fmt.Errorf("manifest %s: its MD5 is %x, but %s says %q", loc, got, location(src, sumKey), want)
			}
			m.ChecksumVerified = true
		}
	}
	if m.Format == ORC {
		return nil, fmt.Errorf("manifest %s: fileFormat %s: %w: only CSV and Parquet inventories can be read; configure the inventory to publish CSV or Parquet", loc, m.Format, ErrUnsupportedFormat)
	}
	return m, nil
}

func parseManifest(raw []byte) (*Manifest, error) {
	var j manifestJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("not a manifest.json: %w", err)
	}
	m := &Manifest{
		SourceBucket:      j.SourceBucket,
		DestinationBucket: j.DestinationBucket,
		Version:           j.Version,
		Schema:            j.FileSchema,
	}
	if m.SourceBucket == "" {
		return nil, fmt.Errorf("sourceBucket is missing")
	}
	ms, err := strconv.ParseInt(j.CreationTimestamp, 10, 64)
	if err != nil || ms <= 0 {
		return nil, fmt.Errorf("creationTimestamp %q is not milliseconds since the epoch", j.CreationTimestamp)
	}
	m.Created = time.UnixMilli(ms).UTC()
	switch {
	case strings.EqualFold(j.FileFormat, string(CSV)):
		m.Format = CSV
	case strings.EqualFold(j.FileFormat, string(Parquet)):
		m.Format = Parquet
	case strings.EqualFold(j.FileFormat, string(ORC)):
		m.Format = ORC
	default:
		return nil, fmt.Errorf("fileFormat %q: %w: want CSV or Parquet", j.FileFormat, ErrUnsupportedFormat)
	}
	if strings.TrimSpace(m.Schema) == "" {
		return nil, fmt.Errorf("fileSchema is missing")
	}
	if j.Files == nil {
		return nil, fmt.Errorf("files is missing")
	}
	seen := make(map[string]int, len(j.Files))
	for i, f := range j.Files {
		if f.Key == "" {
			return nil, fmt.Errorf("files[%d]: key is missing", i)
		}
		if prev, dup := seen[f.Key]; dup {
			return nil, fmt.Errorf("files[%d]: %s is listed twice (also files[%d])", i, f.Key, prev)
		}
		seen[f.Key] = i
		size, err := strconv.ParseInt(f.Size.String(), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("files[%d] (%s): size %q is not a byte count", i, f.Key, f.Size)
		}
		sum := strings.ToLower(f.MD5checksum)
		if b, err := hex.DecodeString(sum); err != nil || len(b) != md5.Size {
			return nil, fmt.Errorf("files[%d] (%s): MD5checksum %q is not a hex MD5", i, f.Key, f.MD5checksum)
		}
		m.Files = append(m.Files, File{Key: f.Key, Size: size, MD5: sum})
	}
	if m.Files == nil {
		m.Files = []File{}
	}
	return m, nil
}

// location names key of src for errors and evidence.
func location(src Source, key string) string {
	name := src.Name()
	if strings.HasPrefix(name, "s3://") {
		return name + "/" + key
	}
	return filepath.Join(name, filepath.FromSlash(key))
}

// readAll reads the whole object at key, failing past limit bytes.
func readAll(ctx context.Context, src Source, key string, limit int64) ([]byte, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
