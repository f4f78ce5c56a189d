// Command report is the parityproof report Lambda function (runtime
// provided.al2023, binary bootstrap, built with -tags lambda.norpc): it
// decodes the invocation, finishes the run if its shards are all done but
// its manifest is not yet written (the Distributed Map's last step), and
// builds and publishes the run's report, counts its verdicts as CloudWatch
// metrics and announces it on SNS.
//
//	{"run_id": RUN}                  → that run's report
//	{"run_id": RUN, "failure": {…}}  → the same, after the state machine caught a failure
//	an EventBridge scheduled event   → the newest complete run's report
//
// A run some of whose shards are not done — the Distributed Map tolerated
// their failure, or failed and was caught — gets the report of the shards
// done, which names the others as not verified with the error recorded for
// each (run.PublishIncomplete); the run stays in progress, and the next
// execution of the state machine resumes it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Answer says where the report went.
type Answer struct {
	RunID string `json:"run_id"`
	// Finished is true when this invocation wrote the run's manifest.
	Finished bool `json:"finished"`
	// Complete is false for the report of a run some of whose shards are
	// not done; UnverifiedShards counts those.
	Complete         bool   `json:"complete"`
	UnverifiedShards int    `json:"unverified_shards"`
	Report           string `json:"report"`
	HTML             string `json:"html"`
	// Counts are the run's totals.
	Counts report.Totals `json:"counts"`
	// Exceptions and Critical count the keys of those severities.
	Exceptions int64 `json:"exceptions"`
	Critical   int64 `json:"critical"`
	// Notified is the SNS message id of the announcement, "" when no topic
	// is configured.
	Notified string `json:"notified,omitempty"`
}

// handler serves invocations. Its fields are what tests replace.
type handler struct {
	log     *slog.Logger
	metrics *emf.Writer
	load    func(ctx context.Context) (*lambdaenv.Env, error)
	// open opens the pairs' stores; nil means the real backends.
	open verify.StoreOpener
	// identify says who begins a run; nil asks STS (the function's role)
	// and the OCI configuration. The report function never begins one, but
	// the orchestration API takes it whatever the entry point.
	identify func(context.Context) *state.Identity
	now      func() time.Time
}

func (h *handler) handle(ctx context.Context, payload json.RawMessage) (*Answer, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	req, err := Decode(payload)
	if err != nil {
		log.Error("rejected the event", "err", err)
		return nil, err
	}
	ans, err := h.serve(ctx, log, req)
	if err != nil {
		log.Error("the request failed", "run_id", req.RunID, "err", err)
		return nil, err
	}
	return ans, nil
}

func (h *handler) serve(ctx context.Context, log *slog.Logger, req Request) (*Answer, error) {
	env, err := h.load(ctx)
	if err != nil {
		return nil, err
	}
	runner, err := run.Open(ctx, run.Options{
		Config: env.Config, Stores: h.open, Now: h.now, Logger: log, ToolVersion: version,
		Identify: h.identify, InLambda: true, Metrics: h.metrics, SNSTopic: env.SNSTopic,
		Holder: holder(ctx, "report"),
	})
	if err != nil {
		return nil, err
	}
	ans := &Answer{RunID: req.RunID}
	if ans.RunID == "" {
		if ans.RunID, err = runner.State().Latest(ctx); err != nil {
			return nil, err
		}
		if ans.RunID == "" {
			return nil, fmt.Errorf("no run is complete at %s yet: there is nothing to report", env.Config.State)
		}
	}
	ans.Finished, err = runner.Finish(ctx, ans.RunID)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("no run %s is recorded at %s", ans.RunID, env.Config.State)
	}
	var out *run.Publication
	switch {
	case errors.Is(err, state.ErrShardsPending) && req.RunID != "":
		log.Warn("the run has shards not done: publishing the report of those done", "run_id", ans.RunID, "err", err)
		out, err = runner.PublishIncomplete(ctx, ans.RunID, req.Failure)
	case err != nil:
		return nil, fmt.Errorf("finishing run %s before its report: %w", ans.RunID, err)
	default:
		out, err = runner.Publish(ctx, ans.RunID)
	}
	if err != nil {
		return nil, err
	}
	if out.NotifyErr != nil {
		return nil, fmt.Errorf("the report of run %s is published at %s, but: %w", ans.RunID, out.Published.ReportURL, out.NotifyErr)
	}
	ans.Report, ans.HTML, ans.Notified = out.Published.ReportURL, out.Published.HTMLURL, out.Notified
	ans.Complete, ans.UnverifiedShards = out.Report.Complete, len(out.Report.UnverifiedShards)
	ans.Counts, ans.Exceptions, ans.Critical = out.Report.Totals, out.Report.ExceptionCount(), out.Report.Critical()
	return ans, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", "report", "version", version)
	slog.SetDefault(log)
	h := &handler{
		log:     log,
		metrics: emf.New(os.Stdout, os.Getenv("PARITYPROOF_METRICS_NAMESPACE"), nil),
		load: func(ctx context.Context) (*lambdaenv.Env, error) {
			// The report opens no store: their own secrets stay unread.
			return lambdaenv.Load(ctx, lambdaenv.Options{Logger: log, SkipStoreSecrets: true})
		},
		now: time.Now,
	}
	lambda.Start(h.handle)
}
