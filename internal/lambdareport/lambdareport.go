// Package lambdareport is what both Lambda functions do once a run is
// complete: build its report from the ledger, publish it at the reports
// location, count its verdicts as CloudWatch metrics and announce it on
// SNS.
package lambdareport

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/storage"
)

// Options say what to report and where.
type Options struct {
	Config *config.Config
	// State holds the run's ledger; Reports receives the report.
	State, Reports storage.Store
	RunID          string
	// SNSTopic receives the summary; "" for none.
	SNSTopic string
	// Metrics receives one document per pair; nil for none.
	Metrics *emf.Writer
	Logger  *slog.Logger
}

// Outcome is what Publish did.
type Outcome struct {
	Report    *report.Report
	Published report.Published
	// Notified is the SNS message id, "" when no topic is configured.
	Notified string
}

// Publish builds, publishes, counts and announces the report of the
// complete run o.RunID. The report stays published when the announcement
// fails; the error says so.
func Publish(ctx context.Context, o Options) (*Outcome, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := report.Identify(ctx, report.IdentifyOptionsFor(o.Config), log)
	rep, err := report.Build(ctx, o.Config, o.State, o.RunID, report.WithHistory(o.Reports), report.WithIdentity(id), report.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("building the report of run %s: %w", o.RunID, err)
	}
	pub, err := report.Publish(ctx, o.Reports, rep)
	if err != nil {
		return nil, fmt.Errorf("publishing the report of run %s: %w", o.RunID, err)
	}
	out := &Outcome{Report: rep, Published: pub}
	log.Info("report published", "run_id", o.RunID, "report", pub.ReportURL, "objects", rep.Totals.Objects,
		"exceptions", len(rep.Exceptions), "critical", rep.Critical())
	if o.Metrics != nil {
		for _, p := range rep.Pairs {
			if err := o.Metrics.Verdicts(p.Name, p.Verdicts, map[string]string{"run_id": o.RunID, "source": "report"}); err != nil {
				return out, err
			}
		}
	}
	if o.SNSTopic != "" {
		n, err := report.NewSNSNotifier(ctx, o.SNSTopic, report.SNSOptions{Endpoint: o.Config.Notify.Endpoint})
		if err != nil {
			return out, fmt.Errorf("the report of run %s is published at %s, but: %w", o.RunID, pub.ReportURL, err)
		}
		if out.Notified, err = n.Notify(ctx, rep, pub); err != nil {
			return out, fmt.Errorf("the report of run %s is published at %s, but: %w", o.RunID, pub.ReportURL, err)
		}
		log.Info("report announced", "run_id", o.RunID, "topic", o.SNSTopic, "message_id", out.Notified)
	}
	return out, nil
}
