// Command verify is the parityproof verify Lambda function (runtime
// provided.al2023, binary bootstrap, built with -tags lambda.norpc). It is a
// thin adapter: it decodes the invocation (Decode) and hands plain values to
// the run package.
//
// The run package is not wired in yet (issue 6): a recognised request is
// answered with an error saying so, and nothing is written.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, payload json.RawMessage) (any, error) {
	req, err := Decode(payload)
	if err != nil {
		return nil, err
	}
	if req.Kind == KindTest {
		return map[string]string{"ignored": "s3:TestEvent"}, nil
	}
	return nil, fmt.Errorf("parityproof verify: %s requests are recognised but the run layer is not wired into this function yet", req.Kind)
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	lambda.Start(handle)
}
