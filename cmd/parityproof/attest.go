package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
)

const attestUsage = `Usage: parityproof attest verify REPORT [--config FILE] [--public-key FILE]
       parityproof attest public-key --config FILE

verify recomputes, from the evidence alone, the SHA-256 of the run record
and of the manifest the report names, of every ledger file the manifest
lists, the report's counts and exceptions from the ledger entries, and the
run record's fields; and, when the report is signed (attestation.json
beside it), the signature of its root digest. REPORT is report.json's path
or URL (file://, s3://, oci://), or the folder that holds it.

The evidence is read from a run bundle beside the report when there is
one (parityproof bundle writes one: a bundle copied or moved anywhere is
checked where it is), else from the state location the report names. S3
URLs are read with the default AWS credentials; --config lends its state
and reports locations' endpoints and credentials to URLs under them (needed
for oci:// and for emulators).

--public-key names the key the report must be signed with (a PEM public
key, as parityproof attest public-key prints it): the signature is then
checked against it, offline. Without it, a signature is checked with the
key it names, which proves nothing about who signed it.

public-key prints the configured signing key's public key (PEM).

Exit status: 0 everything holds; 1 the report does not hold (a digest,
count, the run record or the signature differs, or evidence is missing),
naming the first file or number that does not; 2 REPORT is not a
parityproof report (nothing is there, or something else is: latest.json,
report.html) or a usage error; 3 the evidence could not be read (a network
error): try again.

Options:
`

func cmdAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "public-key" {
		return cmdPublicKey(ctx, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, attestUsage)
			return errHelp
		}
		return usagef("usage: parityproof attest verify REPORT [--config FILE] [--public-key FILE] (see parityproof attest --help)")
	}
	fs := newFlagSet("attest verify", attestUsage)
	cfgPath := fs.String("config", "", "a configuration `file` whose locations hold the report and ledger")
	keyPath := fs.String("public-key", "", "the PEM public key `file` the report must be signed with")
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
		return usagef("usage: parityproof attest verify REPORT [--config FILE] [--public-key FILE]")
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
		target = strings.TrimSuffix(target, "/") + "/report.json"
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

func cmdPublicKey(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("attest public-key", attestUsage)
	cfgPath := fs.String("config", "", "the configuration `file` whose signing key to read")
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
