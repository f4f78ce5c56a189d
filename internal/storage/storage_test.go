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

// A Put that fails half way, or is cancelled half way, leaves the previous
// content whole and no temporary file behind (which List would hide, so the
// conformance suite cannot see it).
func TestDirPutLeavesNoTemporaryFile(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(context.Background(), "runs/checkpoint.json", strings.NewReader("old"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, put := range []func() error{
		func() error {
			return d.Put(context.Background(), "runs/checkpoint.json", io.MultiReader(strings.NewReader("new, half"), failingReader{}), PutOptions{})
		},
		func() error {
			return d.Put(ctx, "runs/checkpoint.json", io.MultiReader(strings.NewReader("new, half"), cancelling(cancel), strings.NewReader("rest")), PutOptions{})
		},
	} {
		if err := put(); err == nil {
			t.Fatal("the Put did not fail")
		}
	}
	got, err := os.ReadFile(filepath.Join(root, "runs", "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("old", string(got)); diff != "" {
		t.Error(diff)
	}
	entries, err := os.ReadDir(filepath.Join(root, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"checkpoint.json"}, names); diff != "" {
		t.Errorf("folder after failed Puts (-want +got):\n%s", diff)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// cancelling cancels when it is read, and yields nothing.
type cancelling context.CancelFunc

func (c cancelling) Read([]byte) (int, error) { c(); return 0, io.EOF }
