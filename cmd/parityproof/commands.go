package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
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

const runUsage = `Usage: parityproof run --config FILE [--restart]

Plans the run's shards, verifies every pair (legacy stores against their OCI
target, and the previous run's ledger), writes the evidence ledger to the
state location and the report to the reports location, and prints the run id
and where the report is. A run that was interrupted resumes where it
stopped, with its own clock, and ends with the ledger an uninterrupted run
would have written.

Exit status: 0 no exception or critical verdict; 1 exceptions or critical
verdicts found; 2 usage or configuration error; 3 the run could not
complete (run the command again to resume it).

Options:
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
	restart := fs.Bool("restart", false, "begin a new run even if one is in progress")
	quiet := fs.Bool("quiet", false, "no progress display")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return usagef("run needs --config FILE and no other arguments (see parityproof run --help)")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	return runAndReport(ctx, cfg, *restart, *quiet, stdout, stderr)
}

// runAndReport runs a configuration, publishes the report, prints where it
// is and returns the exit status as an error.
func runAndReport(ctx context.Context, cfg *config.Config, restart, quiet bool, stdout, stderr io.Writer) error {
	logger, progress := newLogger(stderr, quiet)
	r, err := run.Open(ctx, run.Options{Config: cfg, Now: clockFromEnv(), Logger: logger, Progress: progress, ToolVersion: version})
	if err != nil {
		return usageError{err}
	}
	res, err := r.Execute(ctx, restart)
	progress.Finish()
	switch {
	case errors.Is(err, run.ErrIncomplete):
		return exitError{exitIncomplete, err}
	case err != nil:
		return usageError{err}
	}
	out, err := r.Publish(ctx, res.Record.RunID)
	if err != nil {
		return exitError{exitIncomplete, fmt.Errorf("run %s is complete, but its report is not published (parityproof report --run %s publishes it): %w", res.Record.RunID, res.Record.RunID, err)}
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
	if n := rep.ExceptionCount(); n > 0 {
		return exitError{exitExceptions, fmt.Errorf("%d exceptions found (see the report)", n)}
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

const attestUsage = `Usage: parityproof attest verify REPORT [--config FILE]

Recomputes, from the evidence alone, the SHA-256 of the manifest the report
names and of every ledger file the manifest lists, and the report's counts
and exceptions from the ledger entries. REPORT is report.json's path or URL
(file://, s3://, oci://). S3 URLs are read with the default AWS credentials;
--config lends its state and reports locations' endpoints and credentials to
URLs under them (needed for oci:// and for emulators).
Exit status 0 only if everything holds; otherwise 1, naming the first file
or number that does not.

Options:
`

func cmdAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, attestUsage)
			return errHelp
		}
		return usagef("usage: parityproof attest verify REPORT [--config FILE]")
	}
	fs := newFlagSet("attest verify", attestUsage)
	cfgPath := fs.String("config", "", "a configuration `file` whose locations hold the report and ledger")
	// The report may come before or after the flags.
	var target string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		target, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, rest, stdout); err != nil {
		return err
	}
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	} else if fs.NArg() > 0 || target == "" {
		return usagef("usage: parityproof attest verify REPORT [--config FILE]")
	}
	var locations []config.Location
	if *cfgPath != "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		locations = []config.Location{cfg.State, cfg.Reports}
	}
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		target = strings.TrimSuffix(target, "/") + "/report.json"
	}
	checks, err := report.Attest(ctx, fetcher(locations), target)
	for _, c := range checks {
		if c.OK {
			fmt.Fprintf(stdout, "ok    %s\n", c.What)
		} else {
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", c.What, c.Problem)
		}
	}
	if err != nil {
		return exitError{exitExceptions, fmt.Errorf("the report does not hold: %w", err)}
	}
	fmt.Fprintln(stdout, "the report holds")
	return nil
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
