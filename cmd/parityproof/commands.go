package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/storage"
)

// errHelp ends a command that printed its help.
var errHelp = errors.New("help")

// parseFlags parses a command's flags, printing help on -h.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return errHelp
		}
		return usagef("%s: %v (see parityproof %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}

func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

const runUsage = `Usage: parityproof run --config FILE [--restart | --rebase]

Checks every store and location first (as parityproof check does), takes
the state location's lease (one run writes a state location at a time),
publishes the last complete run's report if it was never published, then
plans the run's shards, verifies every pair (legacy stores against their OCI
target, and the previous run's ledger), writes the evidence ledger to the
state location and the report to the reports location, and prints the run id
and where the report is. A run that was interrupted resumes where it
stopped, with its own clock, and ends with the ledger an uninterrupted run
would have written.

Exit status: 0 no exception or critical verdict; 1 exceptions or critical
verdicts found; 2 a permanent problem (configuration, identity, permission,
a store or location that does not exist or cannot be reached, a damaged
previous ledger): nothing was begun, fix it and run again; 3 the run could
not complete now (interrupted, throttled, timed out, or another run holds
the state location): run the command again to resume it.

Options:
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
	restart := fs.Bool("restart", false, "begin a new run even if one is in progress")
	rebase := fs.Bool("rebase", false, "begin a new run without the previous run's ledger (when it is damaged): keys are judged from the listings alone, and the report says why")
	quiet := fs.Bool("quiet", false, "no progress display")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return usagef("run needs --config FILE and no other arguments (see parityproof run --help)")
	}
	if *restart && *rebase {
		return usagef("run takes --restart or --rebase, not both (--rebase begins a new run too)")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	return runAndReport(ctx, cfg, run.StartOptions{Restart: *restart, Rebase: *rebase}, *quiet, stdout, stderr)
}

// runAndReport runs a configuration, publishes the report, prints where it
// is and returns the exit status as an error.
func runAndReport(ctx context.Context, cfg *config.Config, start run.StartOptions, quiet bool, stdout, stderr io.Writer) error {
	logger, progress := newLogger(stderr, quiet)
	r, err := run.Open(ctx, run.Options{Config: cfg, Now: clockFromEnv(), Logger: logger, Progress: progress, ToolVersion: version})
	if err != nil {
		return usageError{err}
	}
	res, err := r.ExecuteWith(ctx, start)
	progress.Finish()
	if p := r.Pending(); p != nil {
		fmt.Fprintf(stdout, "published the report of run %s first (it had not been published): %s\n", p.Report.RunID, p.Published.ReportURL)
	}
	if err != nil {
		return err // Permanent(err) says 2 or 3
	}
	out, err := r.Publish(ctx, res.Record.RunID)
	if err != nil {
		return fmt.Errorf("run %s is complete, but its report is not published (the next parityproof run, or parityproof report --run %s, publishes it first): %w", res.Record.RunID, res.Record.RunID, err)
	}
	return printPublication(stdout, stderr, out)
}

// printPublication prints where a report went and whether it was
// announced, and returns the exit status its verdicts call for.
func printPublication(stdout, stderr io.Writer, out *run.Publication) error {
	printResult(stdout, out.Report, out.Published)
	switch {
	case out.NotifyErr != nil:
		fmt.Fprintf(stderr, "parityproof: the report is published, but notifying %s failed: %v\n", out.Topic, out.NotifyErr)
	case out.Notified != "":
		fmt.Fprintf(stdout, "notified %s (message %s)\n", out.Topic, out.Notified)
	}
	return verdictStatus(out.Report)
}

func printResult(w io.Writer, rep *report.Report, pub report.Published) {
	fmt.Fprintf(w, "run %s complete: %d keys", rep.RunID, rep.Totals.Objects)
	for _, v := range ledger.Verdicts {
		if n := rep.Totals.Verdicts[v]; n > 0 {
			fmt.Fprintf(w, ", %d %s", n, v)
		}
	}
	fmt.Fprintln(w)
	for _, p := range rep.Pairs {
		fmt.Fprintln(w, p.Statement)
	}
	fmt.Fprintf(w, "report: %s\n", pub.HTMLURL)
	fmt.Fprintf(w, "report.json: %s\n", pub.ReportURL)
	fmt.Fprintf(w, "ledger: %s (sha256 %s)\n", rep.Ledger.Manifest, rep.Ledger.SHA256)
}

// verdictStatus is exit status 1 when the report holds exceptions.
func verdictStatus(rep *report.Report) error {
	if len(rep.Exceptions) > 0 {
		return exitError{exitExceptions, fmt.Errorf("%d exceptions found (see the report)", len(rep.Exceptions))}
	}
	return nil
}

const reportUsage = `Usage: parityproof report --config FILE [--run ID]

Rebuilds a run's report (report.json, report.html, exceptions.csv,
summary.md) from its ledger, and publishes it to the reports location.
Without --run, the newest complete run.

Options:
`

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportUsage)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
	runID := fs.String("run", "", "the run `id` (default: the newest complete run)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return usagef("report needs --config FILE (see parityproof report --help)")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	// Warnings only: the report's locations are printed below.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := run.Open(ctx, run.Options{Config: cfg, Logger: logger, ToolVersion: version})
	if err != nil {
		return usageError{err}
	}
	out, err := r.Publish(ctx, *runID)
	if errors.Is(err, run.ErrNoRun) || errors.Is(err, storage.ErrNotExist) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	return printPublication(stdout, stderr, out)
}

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// clockFromEnv lets tests fix the run's clock (PARITYPROOF_NOW, RFC 3339)
// so that two runs can be compared byte for byte.
func clockFromEnv() func() time.Time {
	s := os.Getenv("PARITYPROOF_NOW")
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return func() time.Time { return t }
}

// newLogger returns JSON logs when stderr is not a terminal, and a progress
// display when it is.
func newLogger(stderr io.Writer, quiet bool) (*slog.Logger, *progressDisplay) {
	if f, ok := stderr.(*os.File); ok && isTerminal(f) && !quiet {
		return slog.New(slog.DiscardHandler), newProgressDisplay(f)
	}
	return slog.New(slog.NewJSONHandler(stderr, nil)), newProgressDisplay(nil)
}
