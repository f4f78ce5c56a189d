package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/certify"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

type certifyFlags struct {
	config, prefix, key, pair, out string
}

func (f *certifyFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("certify", certifyUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML) whose state location holds the ledgers")
	fs.StringVar(&f.prefix, "prefix", "", "certify every key that begins with this `prefix` (a data subject's)")
	fs.StringVar(&f.key, "key", "", "certify this one `key`")
	fs.StringVar(&f.pair, "pair", "", "only this `pair` (default: every pair)")
	fs.StringVar(&f.out, "out", ".", "the `folder` certificate.json and certificate.html are written to")
	return fs
}

func cmdCertify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f certifyFlags
	fs := f.flagSet()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if f.config == "" || fs.NArg() > 0 || (f.prefix == "") == (f.key == "") {
		return usagef("certify needs --config FILE and one of --prefix P or --key K (see parityproof certify --help)")
	}
	st, err := openState(ctx, f.config)
	if err != nil {
		return err
	}
	c, err := certify.Build(ctx, st, certify.Subject{Prefix: f.prefix, Key: f.key, Pair: f.pair}, certify.Options{Now: nowFromEnv(), ToolVersion: version})
	switch {
	case errors.Is(err, certify.ErrNoRun):
		return usageError{err}
	case err != nil:
		return exitError{exitIncomplete, fmt.Errorf("reading the ledgers: %w", err)}
	}
	out, err := storage.NewDir(f.out)
	if err != nil {
		return usagef("--out %s: %v", f.out, err)
	}
	pub, err := certify.Publish(ctx, out, "", c, selfCommand())
	if err != nil {
		return exitError{exitIncomplete, err}
	}
	fmt.Fprintln(stdout, c.Statement)
	for _, r := range c.Reasons {
		fmt.Fprintf(stdout, "  %s\n", r)
	}
	fmt.Fprintf(stdout, "certificate: %s\ncertificate.json: %s\ncheck it: %s attest verify %s\n", trimFile(pub.HTML), trimFile(pub.JSON), selfCommand(), report.ShellQuote(trimFile(pub.JSON)))
	if !c.Certified {
		return exitError{exitExceptions, errors.New("not certified (the certificate says why)")}
	}
	return nil
}

type explainFlags struct {
	config, pair string
	runs         int
	json         bool
}

func (f *explainFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("explain", explainUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` (YAML) whose state location holds the ledgers")
	fs.StringVar(&f.pair, "pair", "", "only this `pair` (default: every pair whose ledger holds the key)")
	fs.IntVar(&f.runs, "runs", 0, "only the newest `N` complete runs (default: every one)")
	fs.BoolVar(&f.json, "json", false, "print the ledger entries as JSON")
	return fs
}

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f explainFlags
	fs := f.flagSet()
	// The key may come before or after the flags.
	var key string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		key, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if key == "" && fs.NArg() == 1 {
		key = fs.Arg(0)
	} else if fs.NArg() > 0 || key == "" {
		return usagef("explain needs one KEY (see parityproof explain --help)")
	}
	if f.config == "" || f.runs < 0 {
		return usagef("explain needs --config FILE (see parityproof explain --help)")
	}
	st, err := openState(ctx, f.config)
	if err != nil {
		return err
	}
	hs, err := certify.Explain(ctx, st, f.pair, key, f.runs)
	switch {
	case errors.Is(err, certify.ErrNoRun):
		return usageError{err}
	case err != nil:
		return exitError{exitIncomplete, fmt.Errorf("reading the ledgers: %w", err)}
	case len(hs) == 0:
		return exitError{exitExceptions, fmt.Errorf("no complete run's ledger holds the key %q", key)}
	}
	if f.json {
		b, err := json.MarshalIndent(hs, "", "  ")
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(b, '\n'))
		return err
	}
	return certify.WriteExplanation(stdout, hs)
}

// openState opens a configuration's state location.
func openState(ctx context.Context, path string) (*state.State, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	st, err := storage.Open(ctx, cfg.State)
	if err != nil {
		return nil, usageError{fmt.Errorf("the state location %s: %w", cfg.State, err)}
	}
	return state.New(st), nil
}

// nowFromEnv is the clock PARITYPROOF_NOW fixes, else the wall clock.
func nowFromEnv() time.Time {
	if clock := clockFromEnv(); clock != nil {
		return clock()
	}
	return time.Now()
}

// trimFile turns a file:// URL into a path.
func trimFile(u string) string {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return filepath.FromSlash(p)
	}
	return u
}

// isCertificate reports whether the file at u is a deletion certificate
// rather than a report.
func isCertificate(ctx context.Context, fetch report.Fetcher, u string) bool {
	rc, err := fetch(ctx, u)
	if err != nil {
		return false
	}
	defer rc.Close()
	return certify.IsCertificate(rc)
}

// attestCertificate is attest verify of a certificate.
func attestCertificate(ctx context.Context, fetch report.Fetcher, u string, stdout io.Writer) error {
	checks, err := certify.Verify(ctx, certify.Fetcher(fetch), u)
	for _, c := range checks {
		if c.OK {
			fmt.Fprintf(stdout, "ok    %s\n", c.What)
		} else {
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", c.What, c.Problem)
		}
	}
	if err != nil {
		return exitError{exitExceptions, fmt.Errorf("the certificate does not hold: %w", err)}
	}
	fmt.Fprintln(stdout, "the certificate holds")
	return nil
}
