// Package storage keeps parityproof's own files — ledgers, checkpoints,
// manifests, reports — at a configured location: a local folder (file://),
// an S3 bucket (s3://) or an OCI bucket (oci://). Every write is atomic: a
// reader sees the previous object or the whole new one, never half of it.
// Nothing is ever deleted.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrNotExist is wrapped by Get for a name that holds nothing.
var ErrNotExist = errors.New("does not exist")

// Store is a place for parityproof's files. Names are slash-separated paths
// relative to the location.
type Store interface {
	// Put stores the content of r under name, replacing what was there,
	// atomically.
	Put(ctx context.Context, name string, r io.Reader, opts PutOptions) error
	// Get opens the object under name. It returns an error wrapping
	// ErrNotExist when there is none.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// List returns the names under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// URL returns the location of name, for reports and messages.
	URL(name string) string
}

// PutOptions qualify a Put.
type PutOptions struct {
	// ContentType is the object's media type, if the store keeps one.
	ContentType string
	// RetainUntil, if set, asks for an Object Lock retention until then,
	// where the store has one (an S3 bucket with Object Lock enabled).
	RetainUntil time.Time
	// Tags label the object, where the store keeps tags (S3), for the
	// bucket's lifecycle rules to select it.
	Tags map[string]string
}

// tagging is Tags as S3's x-amz-tagging header wants them: a URL query.
func (o PutOptions) tagging() string {
	v := url.Values{}
	for k, t := range o.Tags {
		v.Set(k, t)
	}
	return v.Encode()
}

// Dir is a Store in a local folder.
type Dir struct {
	root string
}

// NewDir returns a Store in the folder root, created if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("creating the folder %s: %w", root, classifyFileError(err))
	}
	return &Dir{root: root}, nil
}

// path returns the file that holds name. A name is kept exactly or
// refused: it is relative and clean (no empty, "." or ".." segment, no
// leading or trailing slash), which also keeps it inside the folder, and no
// segment starts with "." (those are the store's temporary files, which
// List does not show).
func (d *Dir) path(name string) (string, error) {
	if name == "" {
		return "", errors.New("invalid storage name: empty")
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", fmt.Errorf("invalid storage name %q: a file location takes relative, clean names whose segments do not start with a dot", name)
		}
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// Put implements Store: it writes a temporary file beside the target, syncs
// it, and renames it into place.
func (d *Dir) Put(ctx context.Context, name string, r io.Reader, _ PutOptions) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing %s: %w", d.URL(name), err)
	}
	if err := writeFile(ctx, p, r); err != nil {
		return fmt.Errorf("writing %s: %w", d.URL(name), classifyFileError(err))
	}
	return nil
}

// writeFile writes r to a temporary file beside p, syncs it and renames it
// into place.
func writeFile(ctx context.Context, p string, r io.Reader) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := io.Copy(tmp, contextReader{ctx, r}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	// Make the rename itself durable.
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync() // not every file system can sync a folder; the file itself is synced
		f.Close()
	}
	return nil
}

// Get implements Store. Reads of the file stop when ctx is done. A folder
// (with or without a trailing slash), or a name below a file, holds nothing.
func (d *Dir) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	folder := strings.HasSuffix(name, "/")
	p, err := d.path(strings.TrimSuffix(name, "/"))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.URL(name), err)
	}
	if folder {
		return nil, fmt.Errorf("reading %s: a folder: %w", d.URL(name), ErrNotExist)
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("reading %s: %w", d.URL(name), ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.URL(name), classifyFileError(err))
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", d.URL(name), err)
		}
		return nil, fmt.Errorf("reading %s: a folder: %w", d.URL(name), ErrNotExist)
	}
	return contextFile{contextReader{ctx, f}, f}, nil
}

// List implements Store. Files and folders whose names start with a dot
// (the temporary files of Put among them) are not listed.
func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(d.root, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && p != d.root {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(rel); strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", d.URL(prefix), err)
	}
	slices.Sort(names)
	return names, nil
}

// ListSizes implements SizeLister: the files under prefix, which must be
// a folder's name ending in "/" or "", walking that folder only.
func (d *Dir) ListSizes(ctx context.Context, prefix string) (map[string]int64, error) {
	root := d.root
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		var err error
		if root, err = d.path(p); err != nil {
			return nil, err
		}
	}
	sizes := map[string]int64{}
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && p == root {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && p != root {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(rel); strings.HasPrefix(name, prefix) {
			sizes[name] = info.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", d.URL(prefix), err)
	}
	return sizes, nil
}

// URL implements Store.
func (d *Dir) URL(name string) string {
	return "file://" + filepath.ToSlash(filepath.Join(d.root, filepath.FromSlash(name)))
}

// Path returns the local path of name, for messages that point at a file.
func (d *Dir) Path(name string) string { return filepath.Join(d.root, filepath.FromSlash(name)) }

// Bodies too large, or of unknown length, are sent a part at a time.
var (
	// partSize is the size of those parts: one is held in memory at a
	// time. S3 takes parts of 5 MiB to 5 GiB, at most 10,000 of them.
	partSize = 16 << 20
	// maxSinglePut is the largest body sent in one request.
	maxSinglePut int64 = 5 << 30
)

// remaining returns how many bytes rs holds from where it stands.
func remaining(rs io.ReadSeeker) (int64, error) {
	at, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := rs.Seek(at, io.SeekStart); err != nil {
		return 0, err
	}
	return end - at, nil
}

// readPart reads the next part of r, up to partSize bytes, and reports
// whether more may follow.
func readPart(r io.Reader) ([]byte, bool, error) {
	buf := make([]byte, partSize)
	n, err := io.ReadFull(r, buf)
	switch err {
	case nil:
		return buf, true, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], false, nil
	}
	return nil, false, err
}

// contextReader stops a copy when its context is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// contextFile is a file opened by Get, read under its context.
type contextFile struct {
	contextReader
	f *os.File
}

func (c contextFile) Close() error { return c.f.Close() }

// contextBody is an object's body as Get returns it, read under Get's
// context: once the context is done, reads fail with its error, whatever
// the transport had already received.
type contextBody struct {
	contextReader
	body io.ReadCloser
}

func (c contextBody) Close() error { return c.body.Close() }

// bodyUnder returns body read under ctx.
func bodyUnder(ctx context.Context, body io.ReadCloser) io.ReadCloser {
	return contextBody{contextReader{ctx, body}, body}
}
