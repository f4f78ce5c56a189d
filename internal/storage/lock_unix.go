//go:build unix

package storage

import (
	"errors"
	"os"
	"syscall"
)

// lockFile opens (creating it) the file at path and takes an exclusive
// flock(2) on it, waiting for it when block is true; without block, a lock
// held elsewhere is errLocked. The lock lasts until the file is closed, or
// the process ends however it ends.
func lockFile(path string, block bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !block {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
