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
	r := &Runner{opts: o, cfg: o.Config, log: o.Logger, state: state.New(o.State), reports: o.Reports}
	r.verify = verify.New(verify.Options{
		Config: o.Config, Open: o.Stores, State: r.state, Now: o.Now, Logger: o.Logger,
		Progress: o.Progress, ToolVersion: o.ToolVersion, ClockNote: o.ClockNote, RanBy: r.identify, OpenBaseline: o.Baselines,
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

// Begin resumes the run in progress, or plans and records a new one,
// naming who began it. With restart, a run in progress is left as it is
// and a new one begins.
func (r *Runner) Begin(ctx context.Context, restart bool) (*state.Record, error) {
	return r.verify.Begin(ctx, restart)
}

// Resume reads the record of the run runID for an invocation that names
// it, and checks it was begun with this configuration.
func (r *Runner) Resume(ctx context.Context, runID string) (*state.Record, error) {
	return r.verify.Resume(ctx, runID)
}

// Execute resumes or begins a run (restart as in Begin), verifies every
// shard and finishes the run. Configuration problems are returned as they
// are; a run that fails later wraps ErrIncomplete.
func (r *Runner) Execute(ctx context.Context, restart bool) (*verify.Result, error) {
	rec, err := r.Begin(ctx, restart)
	if err != nil {
		if errors.Is(err, ErrConfigChanged) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	if err := r.verify.RunShards(ctx, rec); err != nil {
		return nil, incomplete{err} // it says the run could not complete
	}
	res, err := r.verify.Finish(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("%w: finishing run %s: %w", ErrIncomplete, rec.RunID, err)
	}
	return res, nil
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
	return rec, res, err
}

// Finish finishes the run runID if its shards are all done and it is not
// finished yet, and reports whether this call finished it.
func (r *Runner) Finish(ctx context.Context, runID string) (bool, error) {
	complete, err := r.state.Complete(ctx, runID)
	if err != nil || complete {
		return false, err
	}
	rec, err := r.Resume(ctx, runID)
	if err != nil {
		return false, err
	}
	if _, err := r.verify.Finish(ctx, rec); err != nil {
		return false, err
	}
	return true, nil
}
