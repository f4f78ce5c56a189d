package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// holder names this invocation in the leases it takes: the function, its
// request id and log stream, for the messages of whoever it blocks.
func holder(ctx context.Context, function string) string {
	h := "the " + function + " function"
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		h += ", request " + lc.AwsRequestID
	}
	if s := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"); s != "" {
		h += " (log stream " + s + ")"
	}
	return h
}
