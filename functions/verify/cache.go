package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/run"
)

// A Lambda container serves one invocation at a time, many in a row. It
// keeps what every invocation would otherwise prepare again: the
// environment (the configuration read from S3 or SSM, the OCI key read
// from Secrets Manager and written to a file) and the runner — its opened
// stores and state location, and with it the index of the latest complete
// run's manifest that re-judging deleted keys looks keys up in
// (state.LedgerEntry). A burst of deletion events then costs a listing of
// each key and a read of the one ledger part that holds it, not a read of
// the secret, the configuration and an 80 MB manifest per event.

// EnvCacheTTL names how long a container keeps its environment before
// reading it again (a Go duration; 0 reads it at every invocation).
const EnvCacheTTL = "PARITYPROOF_CACHE_TTL"

// DefaultCacheTTL is the time a container keeps its environment when
// EnvCacheTTL is not set: a changed configuration or key is picked up
// within it.
const DefaultCacheTTL = 5 * time.Minute

// containerCache is what a container keeps between invocations.
type containerCache struct {
	mu     sync.Mutex
	env    *lambdaenv.Env
	runner *run.Runner
	loaded time.Time
}

// prepare returns the environment and the runner of an invocation: the
// container's, if it loaded them less than h.ttl ago; else the
// environment read again, and a new runner if the configuration changed.
func (h *handler) prepare(ctx context.Context) (*lambdaenv.Env, *run.Runner, error) {
	c := &h.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.env != nil && time.Since(c.loaded) < h.ttl {
		return c.env, c.runner, nil
	}
	env, err := h.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c.runner != nil && c.env.Config.Digest == env.Config.Digest && c.env.SNSTopic == env.SNSTopic {
		c.env, c.loaded = env, time.Now()
		return c.env, c.runner, nil
	}
	runner, err := run.Open(ctx, run.Options{
		Config: env.Config, Stores: h.open, Now: h.now, Logger: h.log, ToolVersion: version,
		Identify: h.identify, InLambda: true, Metrics: h.metrics, SNSTopic: env.SNSTopic,
		Holder: holder(ctx, "verify"),
	})
	if err != nil {
		return nil, nil, err
	}
	c.env, c.runner, c.loaded = env, runner, time.Now()
	return env, runner, nil
}

// cacheTTL reads EnvCacheTTL.
func cacheTTL(getenv func(string) string) (time.Duration, error) {
	s := getenv(EnvCacheTTL)
	if s == "" {
		return DefaultCacheTTL, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q is not a duration such as 5m", EnvCacheTTL, s)
	}
	return d, nil
}

// requestID is the id of the invocation being served, which every log
// line of the container carries — those of the cached runner too.
type requestID struct{ id atomic.Pointer[string] }

func (r *requestID) set(id string) { r.id.Store(&id) }

// requestLog adds the current request id to every record.
type requestLog struct {
	slog.Handler
	id *requestID
}

func (h requestLog) Handle(ctx context.Context, rec slog.Record) error {
	if id := h.id.id.Load(); id != nil && *id != "" {
		rec.AddAttrs(slog.String("request_id", *id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestLog{h.Handler.WithAttrs(attrs), h.id}
}

func (h requestLog) WithGroup(name string) slog.Handler {
	return requestLog{h.Handler.WithGroup(name), h.id}
}
