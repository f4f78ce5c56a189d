package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/storage"
)

const bundleUsage = `Usage: parityproof bundle --config FILE [--run ID] --out DIR

Copies a run's published report (report.json, report.html, exceptions.csv,
summary.md, and attestation.json when signed) and all the evidence behind it
(the run record, the manifest and every ledger part) into one folder, byte
for byte: what an auditor receives. parityproof attest verify DIR checks it
wherever it is copied or moved, without the state location. Without --run,
the newest complete run.

Options:
`

func cmdBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bundle", bundleUsage)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
	runID := fs.String("run", "", "the run `id` (default: the newest complete run)")
	out := fs.String("out", "", "the `folder` to write the bundle into")
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
