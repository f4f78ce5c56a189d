package backends

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
)

// OpenBaseline opens the S3 Inventory a legacy store's baseline names and
// reads its manifest, which must list the store's bucket. An s3://
// manifest is read from the inventory's destination bucket with the
// store's identity (its CA bundle only when the baseline's endpoint is the
// store's); a file:// one from a local copy laid out like that bucket.
func (o Opener) OpenBaseline(ctx context.Context, s config.Store, opts s3inventory.Options) (*s3inventory.Inventory, error) {
	b := s.Baseline
	if b == nil {
		return nil, fmt.Errorf("store %s has no baseline", s.Name)
	}
	if opts.Logger == nil {
		opts.Logger = o.Logger
	}
	var src s3inventory.Source
	var key string
	switch b.Scheme {
	case "s3":
		id, err := Identity(s)
		if err != nil {
			return nil, err
		}
		if b.Endpoint != s.Endpoint {
			id.CABundle = ""
		}
		region := b.Region
		if region == "" {
			region = s.Region
		}
		client, err := awsclient.S3(ctx, awsclient.Options{Region: region, Endpoint: b.Endpoint, PathStyle: b.PathStyle, Identity: id})
		if err != nil {
			return nil, fmt.Errorf("store %s: the baseline's client: %w", s.Name, err)
		}
		src, key = s3inventory.Bucket(client, b.Bucket), b.Key
	case "file":
		root, k, err := localInventory(b.Path)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s.Name, err)
		}
		src, key = s3inventory.Dir(root), k
	default:
		return nil, fmt.Errorf("store %s: a baseline of scheme %q", s.Name, b.Scheme)
	}
	inv, err := s3inventory.Open(ctx, src, key, opts)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", s.Name, err)
	}
	if m := inv.Manifest(); m.SourceBucket != s.Bucket {
		return nil, fmt.Errorf("store %s: its baseline %s is an inventory of bucket %q, not of the store's bucket %q", s.Name, m.Location, m.SourceBucket, s.Bucket)
	}
	return inv, nil
}

// localInventory finds, for a local copy of an inventory's manifest.json,
// the folder that stands for the destination bucket and the manifest's key
// in it. S3 writes the manifest at PREFIX/SOURCE/CONFIG/DATE/manifest.json
// and names its data files PREFIX/SOURCE/CONFIG/data/…, keys of the
// destination bucket: the copy's folder is the manifest's path less its
// key.
func localInventory(manifest string) (root, key string, err error) {
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return "", "", fmt.Errorf("reading the baseline: %w", err)
	}
	var m struct {
		Files []struct {
			Key string `json:"key"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", "", fmt.Errorf("the baseline %s is not a manifest.json: %w", manifest, err)
	}
	if len(m.Files) == 0 {
		return filepath.Dir(manifest), "manifest.json", nil
	}
	data := m.Files[0].Key
	i := strings.LastIndex(data, "/data/")
	if i < 0 {
		return "", "", fmt.Errorf("the baseline %s names a data file %s outside a data/ folder: not an S3 Inventory layout", manifest, data)
	}
	key = path.Join(data[:i], filepath.Base(filepath.Dir(manifest)), "manifest.json")
	suffix := string(filepath.Separator) + filepath.FromSlash(key)
	if !strings.HasSuffix(manifest, suffix) {
		return "", "", fmt.Errorf("the baseline %s is not in a copy laid out like the inventory's destination bucket: its data files are keyed %s/data/…, so the manifest should be at COPY/%s/DATE/manifest.json, COPY standing for the bucket", manifest, data[:i], data[:i])
	}
	return strings.TrimSuffix(manifest, suffix), key, nil
}
