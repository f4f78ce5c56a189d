// Command report is the parityproof report Lambda function (runtime
// provided.al2023, binary bootstrap, built with -tags lambda.norpc): it
// decodes the invocation and builds and publishes a run's report.
//
// The report package is not wired in yet (issues 6 and 7): a recognised
// request is answered with an error saying so, and nothing is written.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, payload json.RawMessage) (any, error) {
	if _, err := Decode(payload); err != nil {
		return nil, err
	}
	return nil, errors.New("parityproof report: the request is recognised but the report layer is not wired into this function yet")
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	lambda.Start(handle)
}
