// Command verify is the parityproof verify Lambda function (runtime
// provided.al2023, binary bootstrap, built with -tags lambda.norpc). It is a
// thin adapter: it decodes the invocation (Decode), prepares the
// configuration and the OCI key (internal/lambdaenv) and calls the
// orchestration API (internal/run), as the command line does.
//
//	{"action":"run"}, an EventBridge scheduled event  → a whole run inline until the deadline
//	{"action":"plan","run_id":"new"|RUN}               → {"run_id", "complete", "count", "location"}: the shard tasks as JSON Lines at the state location
//	{"action":"shard","run_id",…,"cursor","stalled"}    → {"done", "cursor", "counts", "stalled"}, or the error ShardStalled
//	{"action":"shard_failed","run_id",…,"error","cause"} → the failure recorded for the run's report
//	S3 ObjectRemoved (direct, EventBridge)              → those keys re-judged, recorded under <state>/rejudged/
//	a batch of SQS messages holding those               → the same, each message on its own; {"batchItemFailures"} names those that failed
//
// Every invocation works until a safety margin before its deadline
// (PARITYPROOF_DEADLINE_MARGIN, a Go duration, 30s by default and at most
// half the time left), then checkpoints and answers. A container keeps
// its environment and runner between invocations (cache.go).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/verify"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// EnvDeadlineMargin names the safety margin kept before the deadline.
const EnvDeadlineMargin = "PARITYPROOF_DEADLINE_MARGIN"

// DefaultDeadlineMargin is the margin when EnvDeadlineMargin is not set.
const DefaultDeadlineMargin = 30 * time.Second

// handler serves invocations. Its fields are what tests replace.
type handler struct {
	log     *slog.Logger
	metrics *emf.Writer
	// load prepares the configuration of one invocation.
	load func(ctx context.Context) (*lambdaenv.Env, error)
	// open opens the pairs' stores; nil means the real backends.
	open verify.StoreOpener
	// identify says who begins a run; nil asks STS (the function's role)
	// and the OCI configuration.
	identify func(context.Context) *state.Identity
	now      func() time.Time
	margin   time.Duration
	// ttl is how long the container keeps its environment (cache.go);
	// requests, when set, carries the request id into every log line.
	ttl      time.Duration
	cache    containerCache
	requests *requestID
}

func (h *handler) handle(ctx context.Context, payload json.RawMessage) (any, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if h.requests != nil {
			h.requests.set(lc.AwsRequestID)
		} else {
			log = log.With("request_id", lc.AwsRequestID)
		}
	}
	req, err := Decode(payload)
	if err != nil {
		log.Error("rejected the event", "err", err)
		return nil, err
	}
	log = log.With("kind", string(req.Kind))
	if req.Kind == KindTest {
		log.Info("ignored S3's test event")
		return map[string]string{"ignored": "s3:TestEvent"}, nil
	}
	env, runner, err := h.prepare(ctx)
	if err != nil {
		log.Error("cannot prepare the configuration", "err", err)
		return nil, err
	}
	inv := &invocation{h: h, log: log, env: env, runner: runner}
	var out any
	switch req.Kind {
	case KindRun:
		out, err = inv.run(ctx)
	case KindPlan:
		out, err = inv.plan(ctx, req.RunID)
	case KindShard:
		out, err = inv.shard(ctx, req.Shard)
	case KindShardFailed:
		out, err = inv.shardFailed(ctx, req.Failure)
	case KindObjectsRemoved:
		out, err = runner.Rejudge(ctx, req.Removed)
	case KindSQSBatch:
		out, err = inv.sqsBatch(ctx, req.Messages)
	case KindCertify:
		out, err = inv.certify(ctx, req.Certify)
	default:
		err = fmt.Errorf("no handler for %q requests", req.Kind)
	}
	if err != nil {
		log.Error("the request failed", "err", err)
		return nil, err
	}
	return out, nil
}

// invocation is one request being served.
type invocation struct {
	h      *handler
	log    *slog.Logger
	env    *lambdaenv.Env
	runner *run.Runner
}

// workContext returns a context that ends a safety margin before ctx's
// deadline: at most h.margin, at most half the time left.
func (h *handler) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	return context.WithDeadline(ctx, deadline.Add(-max(0, min(h.margin, left/2))))
}

// deadlineMargin reads EnvDeadlineMargin.
func deadlineMargin(getenv func(string) string) (time.Duration, error) {
	s := getenv(EnvDeadlineMargin)
	if s == "" {
		return DefaultDeadlineMargin, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q is not a duration such as 30s", EnvDeadlineMargin, s)
	}
	return d, nil
}

func main() {
	requests := &requestID{}
	log := slog.New(requestLog{slog.NewJSONHandler(os.Stderr, nil), requests}).With("function", "verify", "version", version)
	slog.SetDefault(log)
	margin, err := deadlineMargin(os.Getenv)
	if err != nil {
		log.Error("bad environment", "err", err)
		os.Exit(2)
	}
	ttl, err := cacheTTL(os.Getenv)
	if err != nil {
		log.Error("bad environment", "err", err)
		os.Exit(2)
	}
	h := &handler{
		log:     log,
		metrics: emf.New(os.Stdout, os.Getenv("PARITYPROOF_METRICS_NAMESPACE"), nil),
		load: func(ctx context.Context) (*lambdaenv.Env, error) {
			return lambdaenv.Load(ctx, lambdaenv.Options{Logger: log})
		},
		now:      time.Now,
		margin:   margin,
		ttl:      ttl,
		requests: requests,
	}
	lambda.Start(h.handle)
}
