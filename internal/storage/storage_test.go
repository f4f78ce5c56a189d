package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDirRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runs/r1/run.json", "runs/r1/shards/p/0001/part-000001.jsonl.gz", "latest.json"} {
		if err := d.Put(ctx, name, strings.NewReader("content of "+name), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Put(ctx, "latest.json", strings.NewReader("replaced"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Get(ctx, "latest.json")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if diff := cmp.Diff("replaced", string(got)); diff != "" {
		t.Error(diff)
	}
	names, err := d.List(ctx, "runs/r1/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"runs/r1/run.json", "runs/r1/shards/p/0001/part-000001.jsonl.gz"}, names); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if _, err := d.Get(ctx, "runs/none.json"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Get of a missing name: %v, want ErrNotExist", err)
	}
	for _, bad := range []string{"", "/abs", "../escape", "a/../../b"} {
		if err := d.Put(ctx, bad, strings.NewReader("x"), PutOptions{}); err == nil {
			t.Errorf("Put(%q) accepted a name outside the folder", bad)
		}
	}
}

// A Put that fails half way leaves the previous content whole and no
// temporary file behind.
func TestDirPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, _ := NewDir(root)
	if err := d.Put(ctx, "checkpoint.json", strings.NewReader("old"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	err := d.Put(ctx, "checkpoint.json", io.MultiReader(strings.NewReader("new, half"), failingReader{}), PutOptions{})
	if err == nil {
		t.Fatal("a failing reader did not fail the Put")
	}
	got, _ := os.ReadFile(filepath.Join(root, "checkpoint.json"))
	if diff := cmp.Diff("old", string(got)); diff != "" {
		t.Error(diff)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("folder holds %d files after a failed Put, want 1", len(entries))
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
