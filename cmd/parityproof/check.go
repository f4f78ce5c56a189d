package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/run"
)

type checkFlags struct{ config string }

func (f *checkFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("check", checkUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML)")
	return fs
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f checkFlags
	fs := f.flagSet()
	cfgPath := &f.config
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return usagef("check needs --config FILE (see parityproof check --help)")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok    configuration %s (sha256 %s)\n", cfg.Path, cfg.Digest)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := run.Open(ctx, run.Options{Config: cfg, Logger: logger, ToolVersion: version})
	if err != nil {
		return usageError{err}
	}
	pf := r.Preflight(ctx)
	for _, c := range pf.Checks {
		if c.Err != nil {
			kind := "fix it"
			if !c.Permanent {
				kind = "may pass"
			}
			fmt.Fprintf(stdout, "FAIL  %s (%s)\n", c.Describe(), kind)
		} else {
			fmt.Fprintf(stdout, "ok    %s: %s\n", c.Subject, c.Did)
		}
	}
	if err := pf.Err(); err != nil {
		return fmt.Errorf("%d of %d checks failed: %w", len(pf.Problems()), len(pf.Checks), err)
	}
	// What a run would find: who holds the lease, which run is in progress.
	if l, held, err := r.State().LeaseHeld(ctx, time.Now()); err == nil && held {
		holder, since := "another process", ""
		if l != nil {
			holder, since = l.Holder, " since "+l.AcquiredAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "note  the state location's lease is held by %s%s: a run started now exits 3 until it is released or expires\n", holder, since)
	}
	if cur, err := r.State().Current(ctx); err == nil && cur != "" {
		fmt.Fprintf(stdout, "note  run %s is in progress: parityproof run resumes it\n", cur)
	}
	fmt.Fprintln(stdout, "ready: a run can begin")
	return nil
}
