package storage

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Kinds of error a location's user must act on: rerunning does not help.
// The errors of Put, Get, List, GetVersion and PutIf wrap one of them when
// it applies; test with errors.Is.
var (
	// ErrPermission: the location refuses this caller (credentials,
	// policies, a read-only folder or file system).
	ErrPermission = errors.New("permission denied")
	// ErrLocationNotFound: the bucket or namespace does not exist.
	ErrLocationNotFound = errors.New("the location does not exist")
	// ErrUnreachable: the location's endpoint cannot be reached (a refused
	// connection, an unknown host).
	ErrUnreachable = errors.New("the location's endpoint cannot be reached")
)

// classifyFileError wraps a file system error with ErrPermission when the
// folder refuses writes.
func classifyFileError(err error) error {
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w (the folder is read-only or not writable by this user): %w", ErrPermission, err)
	}
	return err
}

// isUnreachable reports whether err is a failure to connect: a refused or
// timed-out dial, an unknown host.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
