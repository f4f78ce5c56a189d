package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/synthetic"
)

// TestMain lets bench/lambda-scale run this package's test binary as the
// verify function's process, one invocation each, over synthetic stores
// (synthetic.EnvInvocation); otherwise it runs the tests.
func TestMain(m *testing.M) {
	inv, ok, err := synthetic.InvocationFromEnv()
	if !ok {
		os.Exit(m.Run())
	}
	if err == nil {
		err = serveInvocation(inv)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveInvocation serves one invocation with the handler main builds, its
// stores synthetic and its configuration from a file.
func serveInvocation(inv *synthetic.Invocation) error {
	cfg, err := inv.LoadConfig()
	if err != nil {
		return err
	}
	requests := &requestID{}
	log := slog.New(requestLog{slog.NewJSONHandler(os.Stderr, nil), requests}).With("function", "verify", "version", version)
	h := &handler{
		log:     log,
		metrics: emf.New(io.Discard, "", nil),
		load: func(context.Context) (*lambdaenv.Env, error) {
			return &lambdaenv.Env{Config: cfg, Source: inv.Config}, nil
		},
		open:     inv.Open,
		identify: func(context.Context) *state.Identity { return nil },
		now:      time.Now,
		margin:   inv.Margin,
		requests: requests,
	}
	return inv.Serve(h.handle)
}
