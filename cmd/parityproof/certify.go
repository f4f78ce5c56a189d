package main

import (
	"context"
	"errors"
	"io"
)

func cmdCertify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not yet")
}

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not yet")
}
