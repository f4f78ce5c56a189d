package run

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/parityproof/parityproof/internal/report"
)

// Publication is what Publish did.
type Publication struct {
	Report    *report.Report
	Published report.Published
	// Notified is the message id of the announcement, "" when no topic is
	// configured; NotifyErr says why the announcement failed (the report is
	// published all the same).
	Notified  string
	NotifyErr error
	// Topic is where the announcement went: the SNS topic, "" when none
	// is configured.
	Topic string
}

// ErrNoRun is wrapped by Publish when there is no complete run to report.
var ErrNoRun = errors.New("no run is complete")

// Publish builds the report of the complete run runID ("" for the newest)
// from its ledger, publishes it at the reports location, counts its
// verdicts through the Metrics hook and announces it through the Notifier
// (SNS). A failed announcement is logged and returned in NotifyErr, never
// as the error: the report stands.
func (r *Runner) Publish(ctx context.Context, runID string) (*Publication, error) {
	latest, err := r.state.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the newest complete run: %w", err)
	}
	if runID == "" {
		if latest == "" {
			return nil, fmt.Errorf("%w at %s yet: there is nothing to report", ErrNoRun, r.cfg.State)
		}
		runID = latest
	}
	rep, err := report.Build(ctx, r.cfg, r.state, runID, report.WithHistory(r.reports), report.WithLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("building the report of run %s: %w", runID, err)
	}
	return r.publish(ctx, rep, runID == latest)
}

// PublishIncomplete publishes the report of the run runID some of whose
// shards are not done — the state machine tolerated their failure, or
// caught it (failure, nil if none was caught) — built from the manifest of
// the shards done (state.FinishPartial), naming the others as not
// verified. The run stays in progress: the next execution resumes it. The
// hooks run as for Publish; the notification names the failed shards.
func (r *Runner) PublishIncomplete(ctx context.Context, runID string, failure *report.RunFailure) (*Publication, error) {
	rec, err := r.Resume(ctx, runID)
	if err != nil {
		return nil, err
	}
	p, err := r.state.FinishPartial(ctx, rec, r.opts.Now())
	if err != nil {
		return nil, fmt.Errorf("writing the manifest of the shards of run %s that are done: %w", runID, err)
	}
	rep, err := report.Build(ctx, r.cfg, r.state, runID, report.FromPartial(p), report.WithFailure(failure),
		report.WithHistory(r.reports), report.WithLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("building the report of run %s: %w", runID, err)
	}
	return r.publish(ctx, rep, false)
}

// publish publishes rep and runs the hooks.
func (r *Runner) publish(ctx context.Context, rep *report.Report, newest bool) (*Publication, error) {
	runID := rep.RunID
	opts := []report.PublishOption{report.Newest(newest)}
	signer, err := r.signer(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing the report of run %s: %w", runID, err)
	}
	if signer != nil {
		opts = append(opts, report.SignWith(signer))
	}
	pub, err := report.Publish(ctx, r.reports, rep, opts...)
	if err != nil {
		return nil, err
	}
	out := &Publication{Report: rep, Published: pub, Topic: r.opts.SNSTopic}
	r.log.Info("report published", "run_id", runID, "report", pub.ReportURL, "complete", rep.Complete, "objects", rep.Totals.Objects,
		"exceptions", rep.ExceptionCount(), "critical", rep.Critical(), "unverified_shards", len(rep.UnverifiedShards))
	if r.opts.Metrics != nil {
		for _, p := range rep.Pairs {
			if err := r.opts.Metrics.Verdicts(p.Name, p.Verdicts, map[string]string{"run_id": runID, "source": "report", "complete": strconv.FormatBool(rep.Complete)}); err != nil {
				return out, fmt.Errorf("the report of run %s is published at %s, but its metrics: %w", runID, pub.ReportURL, err)
			}
		}
	}
	n, err := r.notifier(ctx)
	if err != nil {
		out.NotifyErr = err
	} else if n != nil {
		out.Notified, out.NotifyErr = n.Notify(ctx, rep, pub)
	}
	if out.NotifyErr != nil {
		r.log.Error("the report is published, but announcing it failed", "run_id", runID, "topic", r.opts.SNSTopic, "err", out.NotifyErr)
	} else if out.Notified != "" {
		r.log.Info("report announced", "run_id", runID, "topic", r.opts.SNSTopic, "message_id", out.Notified)
	}
	return out, nil
}

// notifier returns the Notifier of published reports, nil for none.
func (r *Runner) notifier(ctx context.Context) (Notifier, error) {
	if r.opts.Notifier != nil {
		return r.opts.Notifier, nil
	}
	if r.opts.SNSTopic == "" {
		return nil, nil
	}
	return NewSNSNotifier(ctx, r.opts.SNSTopic, SNSOptions{Endpoint: r.cfg.Notify.Endpoint})
}

// Pending returns the report that the last Begin published before anything
// else — that of the newest complete run, which had not been published —
// nil if there was none.
func (r *Runner) Pending() *Publication { return r.pending }

// publishPending publishes the report of the newest complete run if it was
// never published (a run that finished while the reports location refused
// it, or a process killed between the two).
func (r *Runner) publishPending(ctx context.Context) error {
	latest, err := r.state.Latest(ctx)
	if err != nil || latest == "" {
		return err
	}
	published, err := report.IsPublished(ctx, r.reports, latest)
	if err != nil {
		return fmt.Errorf("checking that the report of run %s is published: %w", latest, err)
	}
	if published {
		return nil
	}
	r.log.Info("publishing the report of the last complete run first: it was never published", "run_id", latest)
	pub, err := r.Publish(ctx, latest)
	if err != nil {
		return fmt.Errorf("run %s is complete but its report was never published, and publishing it before anything else failed: %w", latest, err)
	}
	r.pending = pub
	return nil
}
