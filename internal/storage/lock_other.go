//go:build !unix

package storage

import (
	"errors"
	"os"
)

// lockFile needs flock(2): folders hold leases and conditional writes on
// Unix systems only.
func lockFile(string, bool) (*os.File, error) {
	return nil, errors.New("file locks need a Unix system")
}
