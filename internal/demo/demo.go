// Package demo runs parityproof's whole life cycle on built-in emulators:
// an in-process S3 server (gofakes3) holding two legacy buckets, one of
// them versioned, and ocilocal holding the OCI target. It seeds them with
// planted faults, verifies, deletes the legacy copies as a migration team
// would (not all of them cleanly), verifies again, and leaves both reports
// in a folder. It needs no account and no network beyond loopback.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
)

// Options configure a demo.
type Options struct {
	// Dir is the folder the demo writes (configuration, state, reports);
	// it is emptied first if it holds an earlier demo, and refused if it
	// holds anything else.
	Dir string
	// Objects is the number of objects migrated: 0 means DefaultObjects;
	// fewer than MinObjects is refused.
	Objects int
	// Out receives what the demo says it does.
	Out io.Writer
	// Logger receives the runs' logs.
	Logger      *slog.Logger
	ToolVersion string
	// Now is the clock of the first run; the second runs a day later.
	Now time.Time
	// Command is how the user runs parityproof ("parityproof", "go run
	// ./cmd/parityproof"), for the follow-up commands the demo prints;
	// "" means parityproof.
	Command string
}

// MinObjects is the fewest objects the demo's planted faults need;
// DefaultObjects is how many it migrates unless told.
const (
	MinObjects     = 50
	DefaultObjects = 200
)

// ClockNote is what the demo's run records and reports say of its clock.
const ClockNote = "simulated by parityproof demo: the first run is stamped with the time the demo started, the second with the same time a day later, and each run's steps all with its own start time, so start and finish are equal"

// Result is what the demo produced.
type Result struct {
	Config string
	// Runs are the two runs' published reports.
	Runs []*run.Publication
}

const marker = ".parityproof-demo"

// Run runs the demo.
func Run(ctx context.Context, o Options) (*Result, error) {
	switch {
	case o.Objects == 0:
		o.Objects = DefaultObjects
	case o.Objects < MinObjects:
		return nil, fmt.Errorf("the demo needs at least %d objects for its planted faults, not %d", MinObjects, o.Objects)
	}
	if o.Command == "" {
		o.Command = "parityproof"
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	dir, err := prepareDir(o.Dir)
	if err != nil {
		return nil, err
	}
	setDemoCredentials()
	w, err := startWorld(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer w.close()
	fmt.Fprintf(o.Out, "S3 emulator (gofakes3) at %s: buckets %s (versioned) and %s\n", w.s3Endpoint, legacyUS, legacySG)
	fmt.Fprintf(o.Out, "OCI emulator (ocilocal) at %s: bucket %s in namespace %s\n", w.oci.Endpoint, targetBucket, namespace)

	plan := newPlan(o.Objects)
	if err := plan.seed(ctx, w); err != nil {
		return nil, fmt.Errorf("seeding the stores: %w", err)
	}
	fmt.Fprintf(o.Out, "seeded %d objects in both legacy buckets and migrated them to OCI, with planted faults:\n%s", o.Objects, plan.describeFaults())

	cfgPath := filepath.Join(dir, "parityproof.yaml")
	if err := os.WriteFile(cfgPath, []byte(plan.config(w)), 0o644); err != nil {
		return nil, err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("the demo's configuration: %w", err)
	}
	res := &Result{Config: cfgPath}
	runOnce := func(at time.Time) error {
		r, err := run.Open(ctx, run.Options{Config: cfg, Now: func() time.Time { return at }, ClockNote: ClockNote, Logger: o.Logger, ToolVersion: o.ToolVersion})
		if err != nil {
			return err
		}
		done, err := r.Execute(ctx, false)
		if err != nil {
			return err
		}
		out, err := r.Publish(ctx, done.Record.RunID)
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, out)
		fmt.Fprintf(o.Out, "run %s: %s\n", out.Report.RunID, counts(out.Report))
		for _, p := range out.Report.Pairs {
			fmt.Fprintf(o.Out, "  %s\n", p.Statement)
		}
		return nil
	}
	fmt.Fprintln(o.Out, "\nfirst run: verify the migration")
	if err := runOnce(o.Now); err != nil {
		return res, err
	}
	if err := plan.deleteLegacy(ctx, w); err != nil {
		return res, fmt.Errorf("deleting legacy copies: %w", err)
	}
	fmt.Fprintf(o.Out, "\nthe legacy copies were deleted, not all cleanly:\n%s", plan.describeDeletion())
	fmt.Fprintln(o.Out, "\nsecond run: confirm the deletion")
	if err := runOnce(o.Now.Add(24 * time.Hour)); err != nil {
		return res, err
	}
	last := res.Runs[len(res.Runs)-1].Published
	fmt.Fprintf(o.Out, "\nconfiguration: %s\nreport: %s\n(the runs' clock is simulated: the second run is dated a day after the first)\n\n", cfgPath, strings.TrimPrefix(last.HTMLURL, "file://"))
	fmt.Fprint(o.Out, plan.nextSteps(o.Command, dir, cfgPath, strings.TrimPrefix(last.ReportURL, "file://")))
	return res, nil
}

// nextSteps are the commands to try after the demo, each runnable as
// printed: check the report, certify a data subject whose deletion holds
// and one whose does not, explain an exception, rebuild the report.
func (p *plan) nextSteps(program, dir, cfgPath, reportPath string) string {
	q := report.ShellQuote
	cfg := "--config " + q(cfgPath)
	clean, dirty := p.cleanSubject(), p.dirtySubject()
	var b strings.Builder
	fmt.Fprintf(&b, "next (each command runs as printed):\n")
	fmt.Fprintf(&b, "  check the report's digests and counts:\n    %s\n", report.AttestCommandFor(program, reportPath))
	fmt.Fprintf(&b, "  certify the deletion of user %s's backups (certified):\n    %s certify %s --prefix %s --out %s\n",
		strings.TrimSuffix(clean, "/"), program, cfg, q(clean), q(filepath.Join(dir, "certificates", strings.TrimSuffix(clean, "/"))))
	fmt.Fprintf(&b, "  and of user %s's (not certified, and why):\n    %s certify %s --prefix %s --out %s\n",
		strings.TrimSuffix(dirty, "/"), program, cfg, q(dirty), q(filepath.Join(dir, "certificates", strings.TrimSuffix(dirty, "/"))))
	fmt.Fprintf(&b, "  explain one exception across both runs:\n    %s explain %s %s\n", program, cfg, q(p.targetLost))
	fmt.Fprintf(&b, "  rebuild the newest report from its ledger:\n    %s report %s\n", program, cfg)
	return b.String()
}

func counts(r *report.Report) string {
	var parts []string
	for _, p := range r.Pairs {
		for v, n := range p.Verdicts {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", v, n))
			}
		}
	}
	sortStrings(parts)
	return fmt.Sprintf("%d keys: %s", r.Totals.Objects, strings.Join(parts, ", "))
}

// prepareDir makes an empty folder for the demo, emptying one an earlier
// demo left and refusing any other non-empty folder.
func prepareDir(dir string) (string, error) {
	if dir == "" {
		dir = "parityproof-demo"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return "", err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(abs, marker)); err != nil {
			return "", fmt.Errorf("%s is not empty and was not made by an earlier demo; choose another folder with --dir", abs)
		}
		if err := os.RemoveAll(abs); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	return abs, os.WriteFile(filepath.Join(abs, marker), []byte("made by parityproof demo; the next demo empties this folder\n"), 0o644)
}

// setDemoCredentials gives the AWS SDK's default chain the emulator's
// credentials, unless the environment has its own, and keeps it off the
// network (no instance metadata lookups).
func setDemoCredentials() {
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		os.Setenv("AWS_ACCESS_KEY_ID", demoCredentials.AccessKeyID)
		os.Setenv("AWS_SECRET_ACCESS_KEY", demoCredentials.SecretAccessKey)
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
