package synthetic

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// EnvInvocation names the environment variable through which
// bench/lambda-scale asks a function's test binary (built with go test -c)
// to serve one invocation, in a process of its own, as a Lambda container
// would, over synthetic stores: its value is an Invocation as JSON.
const EnvInvocation = "PARITYPROOF_SCALE_INVOCATION"

// Invocation is one invocation of a function's handler.
type Invocation struct {
	// Config is the configuration file's path; Payload the event's; the
	// Outcome is written at Outcome.
	Config  string `json:"config"`
	Payload string `json:"payload"`
	Outcome string `json:"outcome"`
	// Timeout is the invocation's time (its deadline from its start, as
	// Lambda's function timeout); Margin the safety margin kept before it.
	Timeout time.Duration `json:"timeout"`
	Margin  time.Duration `json:"margin"`
	// Stores are the pair's synthetic stores.
	Stores    Spec   `json:"stores"`
	RequestID string `json:"request_id"`
}

// Outcome is what an invocation answered, or its error as Lambda names it
// (the error's type).
type Outcome struct {
	Answer    json.RawMessage `json:"answer,omitempty"`
	Error     string          `json:"error,omitempty"`
	ErrorType string          `json:"error_type,omitempty"`
	// Seconds is the handler's time; PastDeadline is set when it returned
	// after its deadline.
	Seconds      float64 `json:"seconds"`
	PastDeadline bool    `json:"past_deadline"`
}

// InvocationFromEnv returns the invocation EnvInvocation asks for, if any.
func InvocationFromEnv() (*Invocation, bool, error) {
	s := os.Getenv(EnvInvocation)
	if s == "" {
		return nil, false, nil
	}
	var inv Invocation
	if err := json.Unmarshal([]byte(s), &inv); err != nil {
		return nil, true, fmt.Errorf("%s: %w", EnvInvocation, err)
	}
	return &inv, true, nil
}

// LoadConfig reads the invocation's configuration.
func (inv *Invocation) LoadConfig() (*config.Config, error) {
	b, err := os.ReadFile(inv.Config)
	if err != nil {
		return nil, err
	}
	return config.Parse(inv.Config, b)
}

// Open opens a store of the configuration as a synthetic store: the OCI
// stores are targets.
func (inv *Invocation) Open(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
	return New(s.Name, inv.Stores, s.Type == config.OCI), nil
}

// Serve calls handle with the payload under a context whose deadline is
// Timeout from now and which carries a Lambda context, and writes the
// outcome.
func (inv *Invocation) Serve(handle func(context.Context, json.RawMessage) (any, error)) error {
	payload, err := os.ReadFile(inv.Payload)
	if err != nil {
		return err
	}
	start := time.Now()
	deadline := start.Add(inv.Timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: inv.RequestID})
	out, herr := handle(ctx, payload)
	o := Outcome{Seconds: time.Since(start).Seconds(), PastDeadline: time.Now().After(deadline)}
	if herr != nil {
		o.Error, o.ErrorType = herr.Error(), errorType(herr)
	} else if o.Answer, err = json.Marshal(out); err != nil {
		return err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return os.WriteFile(inv.Outcome, b, 0o644)
}

// errorType names an error as aws-lambda-go does: by its type.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
