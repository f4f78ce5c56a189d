package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/storage"
)

type bundleFlags struct{ config, run, out string }

func (f *bundleFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("bundle", bundleUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML)")
	fs.StringVar(&f.run, "run", "", "the run `id` (default: the newest complete run)")
	fs.StringVar(&f.out, "out", "", "the `folder` to write the bundle into")
	return fs
}

func cmdBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f bundleFlags
	fs := f.flagSet()
	cfgPath, runID, out := &f.config, &f.run, &f.out
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" || fs.NArg() > 0 {
		return usagef("bundle needs --config FILE and --out DIR (see parityproof bundle --help)")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := run.Open(ctx, run.Options{Config: cfg, Logger: logger, ToolVersion: version})
	if err != nil {
		return usageError{err}
	}
	id := *runID
	if id == "" {
		if id, err = r.State().Latest(ctx); err != nil {
			return err
		}
		if id == "" {
			return usagef("no run is complete at %s yet: there is nothing to bundle", cfg.State)
		}
	}
	dest, err := storage.NewDir(*out)
	if err != nil {
		return usageError{err}
	}
	n, err := report.ExportBundle(ctx, r.State(), r.Reports(), id, dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundled run %s: %d files in %s\n", id, n, *out)
	fmt.Fprintf(stdout, "check it with: parityproof attest verify %s\n", *out)
	return nil
}
