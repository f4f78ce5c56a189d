package ocilocal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// blobStore holds object and part content by id: in memory, or as files in
// a folder when the server has a data directory.
type blobStore interface {
	// create stores what r yields under a new id.
	create(id string, r io.Reader) (int64, error)
	// open returns a reader of the blob's content.
	open(id string) (io.ReadSeekCloser, error)
	// remove deletes the blob; removing an absent blob is not an error.
	remove(id string) error
}

type memBlobs struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func newMemBlobs() *memBlobs { return &memBlobs{blobs: map[string][]byte{}} }

func (m *memBlobs) create(id string, r io.Reader) (int64, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(r)
	if err != nil {
		return n, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[id] = buf.Bytes()
	return n, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

func (m *memBlobs) open(id string) (io.ReadSeekCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[id]
	if !ok {
		return nil, fmt.Errorf("blob %s is missing", id)
	}
	return nopSeekCloser{bytes.NewReader(b)}, nil
}

func (m *memBlobs) remove(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, id)
	return nil
}

type dirBlobs struct{ dir string }

func (d dirBlobs) path(id string) string { return filepath.Join(d.dir, id) }

func (d dirBlobs) create(id string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(d.path(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(d.path(id))
	}
	return n, err
}

func (d dirBlobs) open(id string) (io.ReadSeekCloser, error) { return os.Open(d.path(id)) }

func (d dirBlobs) remove(id string) error {
	if err := os.Remove(d.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// segment is one blob making up part of an object's content: an object
// uploaded in one piece has one, a multipart object one per part.
type segment struct {
	Blob string `json:"blob"`
	Size int64  `json:"size"`
}
