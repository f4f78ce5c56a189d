// Command parityproof proves, object by object, that data migrated out of
// legacy backup stores has a bit-identical copy in OCI Object Storage, then
// confirms that the legacy copies are gone, and writes a report a
// compliance lead can hand to an auditor. It never deletes anything.
//
//	parityproof run --config FILE [--restart | --rebase]
//	parityproof check --config FILE
//	parityproof report --config FILE [--run ID]
//	parityproof bundle --config FILE [--run ID] --out DIR
//	parityproof demo [--dir DIR]
//	parityproof attest verify REPORT [--public-key FILE]
//	parityproof attest public-key --config FILE
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

const mainUsage = `parityproof proves that migrated objects have bit-identical copies in OCI
Object Storage before their legacy copies are deleted, then that the legacy
copies are gone. It never deletes anything.

Usage:
  parityproof run --config FILE [--restart|--rebase]  verify every pair, write the ledger and the report
  parityproof check --config FILE                     check every store and location, change nothing
  parityproof report --config FILE [--run ID]         rebuild a run's report from its ledger
  parityproof bundle --config FILE [--run ID] --out DIR
                                                      copy a report and its evidence into one folder
  parityproof demo [--dir DIR]                        the whole life cycle on built-in emulators
  parityproof attest verify REPORT [--public-key FILE]
                                                      recompute a report's digests, counts and signature
  parityproof attest public-key --config FILE         print the signing key's public key
  parityproof version                                 print the version

Exit status:
  0  no exception or critical verdict (attest: the report holds)
  1  exceptions or critical verdicts found (attest: the report does not hold)
  2  a permanent problem: running again cannot fix it until you do —
     usage, configuration, identity, permission, a store, bucket, namespace
     or location that does not exist or cannot be reached, a key file, a
     damaged previous ledger (attest: what was named is not a report).
     Found before a run is begun: nothing is left in progress.
  3  running again can finish it: an interruption, throttling, a timeout,
     another run holding the state location; a run stays resumable
     (attest: the evidence could not be read).

Run 'parityproof COMMAND --help' for a command's options.
`

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
	case "version", "--version":
		fmt.Fprintln(stdout, "parityproof", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
	default:
		err = usagef("unknown command %q\n\n%s", args[0], mainUsage)
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
