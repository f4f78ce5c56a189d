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
		printFlags(fs)
	}
	return fs
}

// printFlags lists a command's flags as the usage writes them, with two
// dashes (the flag package takes one or two).
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		line += "\n      " + strings.ReplaceAll(usage, "\n", "\n      ")
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			line += " (default: " + f.DefValue + ")"
		}
		fmt.Fprintln(fs.Output(), line)
	})
}

type runFlags struct {
	config                 string
	restart, rebase, quiet bool
}

func (f *runFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("run", runUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML)")
	fs.BoolVar(&f.restart, "restart", false, "begin a new run even if one is in progress")
	fs.BoolVar(&f.rebase, "rebase", false, "begin a new run without the previous run's ledger (the way out when it is damaged):\nkeys are judged from the listings alone, and the report says so and why")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display on a terminal")
	return fs
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f runFlags
	fs := f.flagSet()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if f.config == "" || fs.NArg() > 0 {
		return usagef("run needs --config FILE and no other arguments (see parityproof run --help)")
	}
	if f.restart && f.rebase {
		return usagef("run takes --restart or --rebase, not both (--rebase begins a new run too)")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	return runAndReport(ctx, cfg, run.StartOptions{Restart: f.restart, Rebase: f.rebase}, f.quiet, stdout, stderr)
}

// runAndReport runs a configuration, publishes the report, prints where it
// is and returns the exit status as an error: 2 for what a rerun cannot
// fix (run.Permanent), 3 for the rest.
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
		return err // exitCode: run.Permanent says 2, else 3
	}
	out, err := r.Publish(ctx, res.Record.RunID)
	if err != nil {
		// err names the run; say only what is left to do.
		return fmt.Errorf("%w (the run is complete: the next parityproof run, or parityproof report --run %s, publishes its report first)", err, res.Record.RunID)
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

type reportFlags struct{ config, run string }

func (f *reportFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("report", reportUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML)")
	fs.StringVar(&f.run, "run", "", "the run `id` (default: the newest complete run)")
	return fs
}

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f reportFlags
	fs := f.flagSet()
	cfgPath, runID := &f.config, &f.run
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

func cmdVersion(args []string, stdout io.Writer) error {
	fs := newFlagSet("version", versionUsage)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments (see parityproof version --help)")
	}
	fmt.Fprintln(stdout, "parityproof", version)
	return nil
}
