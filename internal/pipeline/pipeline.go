// Package pipeline runs a configuration end to end — open the state and
// report locations, verify every pair, build the report from the ledger and
// publish it — as the command line and the demo do.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/backends"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/storage"
)

// Options qualify an Execute.
type Options struct {
	// Restart begins a new run even if one is in progress.
	Restart bool
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Progress receives the run's progress; nil for none.
	Progress run.Progress
	// Open opens stores; nil means the real backends.
	Open        run.StoreOpener
	ToolVersion string
}

// Outcome is what a complete run produced.
type Outcome struct {
	Report    *report.Report
	Published report.Published
	// Notified is the SNS message id of the notification, if one was sent;
	// NotifyErr says why it could not be (the report is published anyway).
	Notified  string
	NotifyErr error
}

// ErrIncomplete wraps the errors of a run that could not complete: it stays
// resumable.
var ErrIncomplete = errors.New("the run could not complete")

// Execute runs cfg and publishes its report. Configuration problems (a
// location that cannot be opened, a run in progress with another
// configuration) are returned as they are; a run that fails later wraps
// ErrIncomplete.
func Execute(ctx context.Context, cfg *config.Config, o Options) (*Outcome, error) {
	state, err := storage.Open(ctx, cfg.State)
	if err != nil {
		return nil, err
	}
	reports, err := storage.Open(ctx, cfg.Reports)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Open == nil {
		o.Open = backends.Opener{Logger: o.Logger}.Open
	}
	// Who runs it goes into a new run's record, so that its report names
	// them even when it is rebuilt later by someone else.
	var ranBy json.RawMessage
	if id := report.Identify(ctx, report.IdentifyOptionsFor(cfg), o.Logger); !id.IsZero() {
		if ranBy, err = json.Marshal(id); err != nil {
			return nil, err
		}
	}
	r := run.New(run.Options{Config: cfg, Open: o.Open, State: state, Now: o.Now, Logger: o.Logger, Progress: o.Progress, ToolVersion: o.ToolVersion, RanBy: ranBy})
	res, err := r.Run(ctx, o.Restart)
	if errors.Is(err, run.ErrConfigChanged) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	rep, err := report.Build(ctx, cfg, state, res.Record.RunID, report.WithHistory(reports), report.WithLogger(o.Logger))
	if err != nil {
		return nil, fmt.Errorf("%w: building the report of run %s: %w", ErrIncomplete, res.Record.RunID, err)
	}
	pub, err := report.Publish(ctx, reports, rep)
	if err != nil {
		return nil, fmt.Errorf("%w: publishing the report of run %s: %w", ErrIncomplete, res.Record.RunID, err)
	}
	out := &Outcome{Report: rep, Published: pub}
	if cfg.Notify.SNSTopic != "" {
		out.Notified, out.NotifyErr = notify(ctx, cfg.Notify, rep, pub)
		if out.NotifyErr != nil {
			o.Logger.Error("the report is published, but the SNS notification failed", "topic", cfg.Notify.SNSTopic, "err", out.NotifyErr)
		}
	}
	return out, nil
}

// notify publishes the report's summary to the configured SNS topic and
// returns the message id.
func notify(ctx context.Context, n config.Notify, rep *report.Report, pub report.Published) (string, error) {
	nt, err := report.NewSNSNotifier(ctx, n.SNSTopic, report.SNSOptions{Endpoint: n.Endpoint})
	if err != nil {
		return "", err
	}
	return nt.Notify(ctx, rep, pub)
}
