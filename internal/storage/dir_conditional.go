package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

var _ Conditional = (*Dir)(nil)

// lockPath is the hidden file whose flock(2) guards the conditional writes
// of the file p (List does not show it).
func lockPath(p string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".lock")
}

// GetVersion implements Conditional: the version of a file is the SHA-256
// of its content.
func (d *Dir) GetVersion(ctx context.Context, name string) ([]byte, Version, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", d.URL(name), err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return nil, "", fmt.Errorf("reading %s: %w", d.URL(name), ErrNotExist)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", d.URL(name), classifyFileError(err))
	}
	return b, contentVersion(b), nil
}

func contentVersion(b []byte) Version {
	sum := sha256.Sum256(b)
	return Version(hex.EncodeToString(sum[:]))
}

// PutIf implements Conditional: the check and the rename happen under an
// exclusive flock(2) of a hidden lock file beside the file, which every
// PutIf of the name takes (Put does not).
func (d *Dir) PutIf(ctx context.Context, name string, body []byte, cond Condition, _ PutOptions) (Version, error) {
	p, err := d.path(name)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("writing %s: %w", d.URL(name), err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("writing %s: %w", d.URL(name), classifyFileError(err))
	}
	lock, err := lockFile(lockPath(p), true)
	if err != nil {
		return "", fmt.Errorf("writing %s: locking it: %w", d.URL(name), classifyFileError(err))
	}
	defer lock.Close() // releases the lock
	cur, err := os.ReadFile(p)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("writing %s: %w", d.URL(name), classifyFileError(err))
	}
	switch {
	case cond.IfAbsent && exists:
		return "", fmt.Errorf("writing %s if absent: %w", d.URL(name), ErrPrecondition)
	case cond.IfVersion != "" && (!exists || contentVersion(cur) != cond.IfVersion):
		return "", fmt.Errorf("writing %s %s: %w", d.URL(name), cond, ErrPrecondition)
	}
	if err := writeFile(ctx, p, bytes.NewReader(body)); err != nil {
		return "", fmt.Errorf("writing %s: %w", d.URL(name), classifyFileError(err))
	}
	return contentVersion(body), nil
}

// errLocked is lockFile's answer when another holds the lock.
var errLocked = errors.New("locked by another process")

// ErrLocked is wrapped by TryLock when another process (or another TryLock
// of this one) holds the lock.
var ErrLocked = errLocked

// Locker is a Store whose callers can hold an exclusive lock that ends
// when they release it or when their process ends, however it ends — a
// file lock on a folder. Leases use it where it exists, so that a killed
// run's lease is free at once.
type Locker interface {
	// TryLock takes the lock called name without waiting, or returns an
	// error wrapping ErrLocked.
	TryLock(name string) (unlock func() error, err error)
}

var _ Locker = (*Dir)(nil)

// TryLock implements Locker with flock(2) on a hidden file beside name.
func (d *Dir) TryLock(name string) (func() error, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("locking %s: %w", d.URL(name), classifyFileError(err))
	}
	f, err := lockFile(lockPath(p), false)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", d.URL(name), classifyFileError(err))
	}
	return f.Close, nil
}
