package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/demo"
)

const demoUsage = `Usage: parityproof demo [--dir DIR] [--objects N]

Runs the whole life cycle on built-in emulators, with no account and no
network: an in-process S3 server holds two legacy buckets (one versioned),
ocilocal holds the OCI target. The demo seeds them with planted faults,
verifies the migration, deletes the legacy copies (not all cleanly),
verifies again, and prints where the report is.

Options:
`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoUsage)
	dir := fs.String("dir", "parityproof-demo", "the `folder` the demo writes (emptied if an earlier demo made it)")
	objects := fs.Int("objects", 200, "the `number` of objects migrated (at least 40)")
	verbose := fs.Bool("verbose", false, "log the runs as JSON to stderr")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments (see parityproof demo --help)")
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	_, err := demo.Run(ctx, demo.Options{Dir: *dir, Objects: *objects, Out: stdout, Logger: logger, ToolVersion: version, Now: time.Now()})
	return err
}
