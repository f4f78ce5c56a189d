package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
)

type attestFlags struct{ config, publicKey string }

func (f *attestFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("attest verify", attestUsage)
	fs.StringVar(&f.config, "config", "", "a configuration `file` whose locations hold the report and ledger")
	fs.StringVar(&f.publicKey, "public-key", "", "the PEM public key `file` the report must be signed with\n(parityproof attest public-key prints it)")
	return fs
}

func cmdAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "public-key" {
		return cmdPublicKey(ctx, args[1:], stdout)
	}
	var f attestFlags
	fs := f.flagSet()
	cfgPath, keyPath := &f.config, &f.publicKey
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.SetOutput(stdout)
			fs.Usage()
			return errHelp
		}
		return usagef("attest needs the word verify: parityproof attest verify FILE [--config FILE] [--public-key FILE] (see parityproof attest --help)")
	}
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
		return usagef("attest verify needs one report or certificate: parityproof attest verify FILE [--config FILE] [--public-key FILE] (see parityproof attest --help)")
	}
	var o report.AttestOptions
	if *keyPath != "" {
		b, err := os.ReadFile(*keyPath)
		if err != nil {
			return usagef("reading the public key: %v", err)
		}
		if o.PublicKey, err = report.ParsePublicKey(b); err != nil {
			return usagef("the public key %s: %v", *keyPath, err)
		}
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
		dir := strings.TrimSuffix(target, "/")
		target = dir + "/report.json"
		if _, err := os.Stat(target); err != nil {
			if _, err := os.Stat(dir + "/certificate.json"); err == nil {
				target = dir + "/certificate.json"
			}
		}
	}
	if isCertificate(ctx, fetcher(locations), target) {
		return attestCertificate(ctx, fetcher(locations), target, stdout)
	}
	checks, err := report.AttestWith(ctx, fetcher(locations), target, o)
	for _, c := range checks {
		switch {
		case !c.OK:
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", c.What, c.Problem)
		case c.Note != "":
			fmt.Fprintf(stdout, "note  %s: %s\n", c.What, c.Note)
		default:
			fmt.Fprintf(stdout, "ok    %s\n", c.What)
		}
	}
	switch {
	case errors.Is(err, report.ErrNotReport):
		return exitError{exitUsage, err}
	case errors.Is(err, report.ErrUnreadable):
		return exitError{exitIncomplete, err}
	case err != nil:
		return exitError{exitExceptions, err}
	}
	fmt.Fprintln(stdout, "the report holds")
	return nil
}

type publicKeyFlags struct{ config string }

func (f *publicKeyFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("attest public-key", publicKeyUsage)
	fs.StringVar(&f.config, "config", "", "the configuration `file` whose signing key to read")
	return fs
}

func cmdPublicKey(ctx context.Context, args []string, stdout io.Writer) error {
	var f publicKeyFlags
	fs := f.flagSet()
	cfgPath := &f.config
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return usagef("usage: parityproof attest public-key --config FILE")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if !cfg.Signing.Enabled() {
		return usagef("%s names no signing key (signing: kms_key or key_file)", cfg.Path)
	}
	s, err := run.NewSigner(ctx, cfg.Signing)
	if err != nil {
		return err
	}
	sig, err := s.Sign(ctx, []byte("parityproof attest public-key"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# %s (%s), fingerprint %s\n", sig.KeyID, sig.Algorithm, report.Fingerprint(sig.PublicKey))
	_, err = stdout.Write(report.PublicKeyPEM(sig.PublicKey))
	return err
}
