// Package run is the one API through which every entry point — the
// command line, the demo and both Lambda functions — carries out a run:
// begin or resume it (recording who began it), verify its shards, finish
// it, publish its report (with hooks for metrics and notifications), and
// re-judge keys that deletion events name.
//
// The verification itself is internal/verify's; the files a run leaves are
// internal/state's; the report is internal/report's. This package puts
// them together, so that no entry point does it differently.
package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/backends"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Options configure a Runner.
type Options struct {
	Config *config.Config
	// State and Reports are the configuration's locations; Open opens them
	// when they are nil.
	State, Reports storage.Store
	// Stores opens the pairs' stores; nil means the real backends.
	Stores verify.StoreOpener
	// Baselines opens the S3 Inventories of the legacy stores' baselines;
	// nil means the real backends'.
	Baselines verify.BaselineOpener
	// Now is the clock; nil means time.Now.
	Now         func() time.Time
	Logger      *slog.Logger
	Progress    verify.Progress
	ToolVersion string
	// ClockNote says how Now is not the wall clock (the demo's simulated
	// days), for the records and reports of the runs begun.
	ClockNote string
	// Identify says who begins a new run, for its record; nil looks it up
	// with Identify and IdentifyOptionsFor the configuration.
	Identify func(ctx context.Context) *state.Identity
	// InLambda asks STS who the caller is (the function's role) whatever
	// the stores are.
	InLambda bool
	// Metrics receives the verdict counts of every report published; nil
	// for none.
	Metrics Metrics
	// SNSTopic receives every published report's summary; "" takes the
	// configuration's notify.sns_topic.
	SNSTopic string
	// Notifier announces published reports instead of an SNS Notifier for
	// SNSTopic.
	Notifier Notifier
	// Holder says who this process is in the leases it takes (a Lambda
	// invocation names its request); "" names the program, its process id
	// and host.
	Holder string
	// LeaseTTL is how long a lease lasts unless renewed; 0 takes the
	// configuration's run.lease_ttl.
	LeaseTTL time.Duration
	// LeaseNow is the leases' clock; nil means time.Now. The run's clock
	// (Now) may be fixed; a lease's expiry is always real.
	LeaseNow func() time.Time
	// Signer signs the root digest of every published report; nil takes
	// the configuration's signing key, if any (see NewSigner).
	Signer report.Signer
}

// Metrics receives the verdict counts of a pair, as internal/emf's Writer
// writes them.
type Metrics interface {
	Verdicts(pair string, counts map[ledger.Verdict]int64, props map[string]string) error
}

// Notifier announces a published report and returns a message id.
type Notifier interface {
	Notify(ctx context.Context, r *report.Report, pub report.Published) (string, error)
}

// Runner carries out the runs of one configuration.
type Runner struct {
	opts    Options
	cfg     *config.Config
	log     *slog.Logger
	state   *state.State
	reports storage.Store
	verify  *verify.Verifier
	// lease is the state location's lease while this Runner holds it.
	lease *storage.Lease
	// pending is the report that the last Begin published for the run
	// before it (its report had not been published), nil if none.
	pending *Publication
	signState
}

// ErrLocation wraps the errors of a state or reports location that cannot
// be opened: a configuration problem.
var ErrLocation = errors.New("the location cannot be opened")

// Open returns a Runner, opening the state and reports locations the
// options leave nil.
func Open(ctx context.Context, o Options) (*Runner, error) {
	if o.Config == nil {
		return nil, errors.New("a run needs a configuration")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Stores == nil {
		o.Stores = backends.Opener{Logger: o.Logger}.Open
	}
	if o.Baselines == nil {
		o.Baselines = backends.Opener{Logger: o.Logger}.OpenBaseline
	}
	var err error
	if o.State == nil {
		if o.State, err = storage.Open(ctx, o.Config.State); err != nil {
			return nil, fmt.Errorf("%w: the state location %s: %w", ErrLocation, o.Config.State, err)
		}
	}
	if o.Reports == nil {
		if o.Reports, err = storage.Open(ctx, o.Config.Reports); err != nil {
			return nil, fmt.Errorf("%w: the reports location %s: %w", ErrLocation, o.Config.Reports, err)
		}
	}
	if o.SNSTopic == "" {
		o.SNSTopic = o.Config.Notify.SNSTopic
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = o.Config.Run.LeaseTTL
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = config.DefaultLeaseTTL
	}
	if o.LeaseNow == nil {
		o.LeaseNow = time.Now
	}
	r := &Runner{opts: o, cfg: o.Config, log: o.Logger, state: state.New(o.State), reports: o.Reports}
	r.verify = verify.New(verify.Options{
		Config: o.Config, Open: o.Stores, State: r.state, Now: o.Now, Logger: o.Logger,
		Progress: o.Progress, ToolVersion: o.ToolVersion, ClockNote: o.ClockNote, RanBy: r.identify, OpenBaseline: o.Baselines,
		ShardLease: r.shardLease,
	})
	return r, nil
}

// State returns the run's state location.
func (r *Runner) State() *state.State { return r.state }

// Reports returns the reports location.
func (r *Runner) Reports() storage.Store { return r.reports }

// identify says who begins a run.
func (r *Runner) identify(ctx context.Context) *state.Identity {
	if r.opts.Identify != nil {
		return r.opts.Identify(ctx)
	}
	o := IdentifyOptionsFor(r.cfg)
	if r.opts.InLambda && awsCredentialsConfigured() {
		o.AWS = true // the function's role
	}
	return Identify(ctx, o, r.log)
}

// ErrConfigChanged is returned when a run in progress was begun with
// another configuration.
var ErrConfigChanged = verify.ErrConfigChanged

// ErrIncomplete wraps the errors of a run that could not complete: it
// stays resumable.
var ErrIncomplete = errors.New("the run could not complete")

// incomplete is an error that says the run could not complete, marked
// ErrIncomplete without saying it twice.
type incomplete struct{ err error }

func (e incomplete) Error() string   { return e.err.Error() }
func (e incomplete) Unwrap() []error { return []error{ErrIncomplete, e.err} }

// StartOptions say how Begin and Execute start.
type StartOptions struct {
	// Restart leaves a run in progress as it is and begins a new one.
	Restart bool
	// Rebase begins a new run (as Restart does) without the previous
	// run's ledger: its keys are judged from the listings alone, and the
	// report says which run's evidence was not used, and why — the way
	// out when that ledger is damaged.
	Rebase bool
}

// Begin resumes the run in progress, or plans and records a new one,
// naming who began it. With restart, a run in progress is left as it is
// and a new one begins.
func (r *Runner) Begin(ctx context.Context, restart bool) (*state.Record, error) {
	return r.BeginWith(ctx, StartOptions{Restart: restart})
}

// BeginWith resumes the run in progress, or plans and records a new one,
// as o says, holding the state location's lease while it does (another
// writer holding it: an error wrapping ErrBusy). Before anything else it
// publishes the report of the newest complete run if that report was
// never published (Pending returns it). Nothing is written for a run that
// cannot begin: a failed start leaves no run behind.
func (r *Runner) BeginWith(ctx context.Context, o StartOptions) (*state.Record, error) {
	wctx, release, err := r.acquire(ctx, "beginning a run")
	if err != nil {
		return nil, err
	}
	defer release()
	if err := r.publishPending(wctx); err != nil {
		return nil, err
	}
	vo := verify.BeginOptions{Restart: o.Restart}
	if o.Rebase {
		if vo.Rebase, err = r.rebase(wctx); err != nil {
			return nil, err
		}
	}
	if err := r.held(); err != nil {
		return nil, err
	}
	rec, err := r.verify.BeginWith(wctx, vo)
	if errors.Is(err, verify.ErrPreviousLedger) {
		return nil, fmt.Errorf("%w; its evidence cannot be used: `parityproof run --rebase` begins a new run from the listings alone, and its report says so and why", err)
	}
	return rec, err
}

// Resume reads the record of the run runID for an invocation that names
// it, and checks it was begun with this configuration.
func (r *Runner) Resume(ctx context.Context, runID string) (*state.Record, error) {
	return r.verify.Resume(ctx, runID)
}

// Execute resumes or begins a run (restart as in Begin), verifies every
// shard and finishes the run. See ExecuteWith.
func (r *Runner) Execute(ctx context.Context, restart bool) (*verify.Result, error) {
	return r.ExecuteWith(ctx, StartOptions{Restart: restart})
}

// ExecuteWith runs the preflight (its problems: a *PreflightError, and
// nothing is begun), takes the state location's lease for the whole run
// (another holder: ErrBusy), publishes a pending report, resumes or
// begins a run as o says, verifies every shard and finishes the run. The
// problems of the start are returned as they are (Permanent tells which a
// rerun cannot fix); a run that fails once begun wraps ErrIncomplete.
func (r *Runner) ExecuteWith(ctx context.Context, o StartOptions) (*verify.Result, error) {
	if err := r.Preflight(ctx).Err(); err != nil {
		return nil, err
	}
	wctx, release, err := r.acquire(ctx, "running a run")
	if err != nil {
		return nil, err
	}
	defer release()
	rec, err := r.BeginWith(wctx, o)
	if err != nil {
		return nil, err
	}
	if err := r.verify.RunShards(wctx, rec); err != nil {
		if damagedPrevious(err) {
			return nil, r.previousDamaged(ctx, rec, err)
		}
		if lerr := r.held(); lerr != nil {
			err = errors.Join(err, lerr)
		}
		return nil, incomplete{err} // it says the run could not complete
	}
	if err := r.held(); err != nil {
		return nil, fmt.Errorf("%w: finishing run %s: %w", ErrIncomplete, rec.RunID, err)
	}
	res, err := r.verify.Finish(wctx, rec)
	if err != nil {
		return nil, fmt.Errorf("%w: finishing run %s: %w", ErrIncomplete, rec.RunID, err)
	}
	return res, nil
}

// previousDamaged records that the ledger of the run rec continues is
// damaged (state.MarkDamaged), so that later starts stop before they
// begin, and says what to do.
func (r *Runner) previousDamaged(ctx context.Context, rec *state.Record, err error) error {
	if merr := r.state.MarkDamaged(ctx, rec.PreviousRunID, rec.RunID, r.opts.LeaseNow(), err); merr != nil {
		r.log.Warn("recording the damage of the previous ledger", "run_id", rec.PreviousRunID, "err", merr)
	}
	return fmt.Errorf("run %s: %w: %w; its evidence cannot be used: `parityproof run --rebase` begins a new run from the listings alone, and its report says so and why",
		rec.RunID, verify.ErrPreviousLedger, err)
}

// rebase says which run's evidence a rebased run does not use, and why.
func (r *Runner) rebase(ctx context.Context) (*state.Rebase, error) {
	prev, err := r.state.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if prev == "" {
		return nil, fmt.Errorf("%w: --rebase: no run is complete at %s: there is no previous evidence to leave out", ErrLocation, r.cfg.State)
	}
	reason := "asked for (--rebase); the previous ledger's manifest and part sizes hold"
	if d, err := r.state.Damaged(ctx, prev); err != nil {
		return nil, err
	} else if d != nil {
		reason = "its ledger is damaged: " + d.Err().Error()
	} else if err := r.state.CheckManifest(ctx, prev); errors.Is(err, state.ErrLedgerDamaged) {
		reason = "its ledger is damaged: " + err.Error()
	} else if err != nil {
		return nil, err
	} else if err := r.state.CheckLedgerSizes(ctx, prev); errors.Is(err, state.ErrLedgerDamaged) {
		reason = "its ledger is damaged: " + err.Error()
	} else if err != nil {
		return nil, err
	}
	r.log.Warn("a new run begins without the previous run's evidence", "previous_run_id", prev, "reason", reason)
	return &state.Rebase{RunID: prev, Reason: reason}, nil
}

// ShardResult is the outcome of one invocation of RunShard.
type ShardResult = verify.ShardResult

// RunShard verifies the shard of the run runID that covers exactly rng of
// pair, from its checkpoint, until it is done or ctx ends (a Lambda's
// deadline: the checkpoint stands and Done is false).
func (r *Runner) RunShard(ctx context.Context, runID, pair string, rng inventory.KeyRange) (*state.Record, ShardResult, error) {
	rec, err := r.Resume(ctx, runID)
	if err != nil {
		return nil, ShardResult{}, err
	}
	id, err := rec.ShardByRange(pair, rng)
	if err != nil {
		return rec, ShardResult{}, err
	}
	res, err := r.verify.RunShard(ctx, rec, pair, id)
	if damagedPrevious(err) {
		err = r.previousDamaged(ctx, rec, err)
	}
	return rec, res, err
}

// Finish finishes the run runID if its shards are all done and it is not
// finished yet, holding the state location's lease while it does, and
// reports whether this call finished it.
func (r *Runner) Finish(ctx context.Context, runID string) (bool, error) {
	complete, err := r.state.Complete(ctx, runID)
	if err != nil || complete {
		return false, err
	}
	rec, err := r.Resume(ctx, runID)
	if err != nil {
		return false, err
	}
	wctx, release, err := r.acquire(ctx, "finishing run "+runID)
	if err != nil {
		return false, err
	}
	defer release()
	if err := r.held(); err != nil {
		return false, err
	}
	if _, err := r.verify.Finish(wctx, rec); err != nil {
		return false, err
	}
	return true, nil
}
