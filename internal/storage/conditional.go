package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrPrecondition is wrapped by PutIf when the object is not as the
// condition expects: it exists when it was to be absent, or holds another
// version than the one named.
var ErrPrecondition = errors.New("the object is not as the condition expects (another writer changed it)")

// Version names one content of an object as its store reports it: the ETag
// on S3 and OCI, the SHA-256 of the content in a folder. Versions are
// compared for equality only.
type Version string

// Condition says when PutIf writes. The zero Condition writes always.
type Condition struct {
	// IfAbsent writes only when no object has the name (If-None-Match: *).
	IfAbsent bool
	// IfVersion, when set, writes only when the object's current version
	// is this one (If-Match).
	IfVersion Version
}

func (c Condition) String() string {
	switch {
	case c.IfAbsent:
		return "if absent"
	case c.IfVersion != "":
		return "if at version " + string(c.IfVersion)
	}
	return "unconditionally"
}

// Conditional is a Store that can write an object only if it is as the
// writer last saw it — compare and swap — which leases and single-writer
// files (checkpoints, the current run's pointer) rest on. Every backend of
// this package is one.
type Conditional interface {
	Store
	// GetVersion reads the whole object under name and its version. It
	// returns an error wrapping ErrNotExist when there is none.
	GetVersion(ctx context.Context, name string) ([]byte, Version, error)
	// PutIf writes body under name, atomically, only when cond holds, and
	// returns the new version; otherwise it writes nothing and returns an
	// error wrapping ErrPrecondition.
	PutIf(ctx context.Context, name string, body []byte, cond Condition, opts PutOptions) (Version, error)
}

// PutIfMaybeMine is PutIf for writers whose first attempt may have taken
// effect unseen: an SDK that retries a conditional write whose answer was
// lost gets ErrPrecondition from its own earlier write. When the condition
// fails, the object is read back; if it holds exactly body, the write was
// this caller's and its version is returned.
func PutIfMaybeMine(ctx context.Context, st Conditional, name string, body []byte, cond Condition, opts PutOptions) (Version, error) {
	v, err := st.PutIf(ctx, name, body, cond, opts)
	if err == nil || !errors.Is(err, ErrPrecondition) {
		return v, err
	}
	got, gv, gerr := st.GetVersion(ctx, name)
	if gerr == nil && bytes.Equal(got, body) {
		return gv, nil
	}
	return "", err
}

// readAllCtx reads r whole, naming url in its error.
func readAllCtx(r io.Reader, url string) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	return b, nil
}

// SizeLister is a Store that lists the sizes of the objects under a
// prefix, as cheaply as their names: a damaged file (truncated, grown or
// missing) shows without reading it. Every backend of this package is one.
type SizeLister interface {
	// ListSizes returns the size of every object under prefix, by name.
	ListSizes(ctx context.Context, prefix string) (map[string]int64, error)
}
