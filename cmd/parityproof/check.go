package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/run"
)

const checkUsage = `Usage: parityproof check --config FILE

Checks, before a run and without changing anything, everything a run needs:
opens every store of every pair (reading its bucket, as a run does) and
lists one page of it, reads the state and reports locations and asks each
whether writes are allowed (a conditional write the store refuses without
writing), and reads the signing key if one is configured. Reports every
problem at once, and says who holds the state location's lease and which
run is in progress. parityproof run does the same checks before it begins.

Exit status: 0 everything is ready; 2 a permanent problem (configuration,
identity, permission, a store or location that does not exist or cannot be
reached, a key file); 3 a problem that may pass (throttling, a timeout).

Options:
`

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkUsage)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
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
			fmt.Fprintf(stdout, "FAIL  %s: %v (%s)\n", c.Subject, c.Err, kind)
		} else {
			fmt.Fprintf(stdout, "ok    %s: %s\n", c.Subject, c.Did)
		}
	}
	if err := pf.Err(); err != nil {
		return fmt.Errorf("%d of %d checks failed: %w", len(pf.Problems()), len(pf.Checks), err)
	}
	// What a run would find: who holds the lease, which run is in progress.
	if l, err := r.State().ReadLease(ctx); err == nil && l != nil && l.Held(time.Now()) {
		fmt.Fprintf(stdout, "note  the state location's lease is held by %s since %s, until %s unless renewed: a run started now waits for it\n",
			l.Holder, l.AcquiredAt.Format(time.RFC3339), l.ExpiresAt.Format(time.RFC3339))
	}
	if cur, err := r.State().Current(ctx); err == nil && cur != "" {
		fmt.Fprintf(stdout, "note  run %s is in progress: parityproof run resumes it\n", cur)
	}
	fmt.Fprintln(stdout, "ready: a run can begin")
	return nil
}
