package backends

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

// A local copy of an inventory is found from its manifest alone: the copy's
// folder stands for the destination bucket, whatever the prefix.
func TestOpenBaselineFromALocalCopy(t *testing.T) {
	dir := t.TempDir()
	spec := s3inventorytest.Spec{SourceBucket: "legacy-us-backups", Prefix: "deep/inventory/prefix", Created: time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)}
	key, err := s3inventorytest.Write(dir, spec, []s3inventorytest.Object{{Key: "users/a.bin", Size: 3, ETag: "0123456789abcdef0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, filepath.FromSlash(key))
	store := config.Store{Name: "legacy-us", Type: config.S3, Bucket: "legacy-us-backups", Prefix: "users/",
		Baseline: &config.Baseline{Raw: "file://" + manifest, Scheme: "file", Path: manifest}}
	ctx := context.Background()
	inv, err := Opener{}.OpenBaseline(ctx, store, s3inventory.Options{Prefix: store.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	m := inv.Manifest()
	rs := inv.Records(ctx)
	defer rs.Close()
	page, err := rs.NextPage()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{manifest, "2024-01-02T03:04:00Z", "a.bin"}, []string{m.Location, m.Created.Format(time.RFC3339), page[0].Key}); diff != "" {
		t.Errorf("location, date, first key (-want +got):\n%s", diff)
	}

	// The same inventory for another bucket's store is refused.
	other := store
	other.Name, other.Bucket = "legacy-sg", "legacy-sg-backups"
	if _, err := (Opener{}).OpenBaseline(ctx, other, s3inventory.Options{}); err == nil ||
		!strings.Contains(err.Error(), `store legacy-sg: its baseline `+manifest+` is an inventory of bucket "legacy-us-backups", not of the store's bucket "legacy-sg-backups"`) {
		t.Errorf("an inventory of another bucket: %v", err)
	}

	// A manifest moved out of the layout is refused, saying where it
	// should be.
	moved := filepath.Join(t.TempDir(), "manifest.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	movedStore := store
	movedStore.Baseline = &config.Baseline{Scheme: "file", Path: moved}
	if _, err := (Opener{}).OpenBaseline(ctx, movedStore, s3inventory.Options{}); err == nil ||
		!strings.Contains(err.Error(), "is not in a copy laid out like the inventory's destination bucket: its data files are keyed deep/inventory/prefix/legacy-us-backups/baseline/data/…, "+
			"so the manifest should be at COPY/deep/inventory/prefix/legacy-us-backups/baseline/DATE/manifest.json, COPY standing for the bucket") {
		t.Errorf("a manifest out of its layout: %v", err)
	}
}
