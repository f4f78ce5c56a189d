// Command parityproof proves, object by object, that data migrated out of
// legacy backup stores has a bit-identical copy in OCI Object Storage, then
// confirms that the legacy copies are gone, and writes a report a
// compliance lead can hand to an auditor. It never deletes anything.
//
//	parityproof run --config FILE [--restart | --rebase] [--quiet]
//	parityproof check --config FILE
//	parityproof report --config FILE [--run ID]
//	parityproof bundle --config FILE [--run ID] --out DIR
//	parityproof demo [--dir DIR] [--objects N] [--verbose]
//	parityproof attest verify FILE [--config FILE] [--public-key FILE]
//	parityproof attest public-key --config FILE
//	parityproof certify --config FILE (--prefix P | --key K) [--pair NAME] [--out DIR]
//	parityproof explain --config FILE [--pair NAME] [--runs N] [--json] KEY
//	parityproof version
//
// Exit status: 0 no exception or critical verdict; 1 exceptions or critical
// verdicts found (or, for attest verify, a report that does not hold); 2 a
// permanent problem that running again cannot fix — usage, configuration,
// identity, permission, a store, bucket, namespace or location that does
// not exist or cannot be reached, a damaged previous ledger (nothing was
// begun); 3 what running again can finish — an interruption, throttling,
// a timeout, another run holding the state location (a run stays
// resumable).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parityproof/parityproof/internal/run"
)

// Exit statuses (DESIGN.md, Command line).
const (
	exitOK         = 0
	exitExceptions = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError marks an error as the user's: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit status with its message.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch executes a command line and returns its exit status.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "attest":
		err = cmdAttest(ctx, args[1:], stdout, stderr)
	case "check":
		err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "bundle":
		err = cmdBundle(ctx, args[1:], stdout, stderr)
	case "certify":
		err = cmdCertify(ctx, args[1:], stdout, stderr)
	case "explain":
		err = cmdExplain(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		err = cmdVersion(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
	default:
		err = usagef("unknown command %q (commands: run, check, report, bundle, demo, attest, certify, explain, version; see parityproof --help)", args[0])
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "parityproof:", err)
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	case run.Permanent(err):
		return exitUsage
	}
	return exitIncomplete
}
