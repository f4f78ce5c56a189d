package run

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func responseError(status int, err error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}}
}

// A client error found by the preflight is permanent, unless its answer
// could not be read (a fault of the network, found by the soak: a 404
// whose body was cut short), or it is throttling.
func TestClientErrorsOfThePreflight(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"401", responseError(401, errors.New("Unauthorized")), true},
		{"404 of a wrong endpoint", responseError(404, errors.New("NotFound")), true},
		{"404 cut short", responseError(404, &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", errors.New("unexpected EOF"))}), false},
		{"429", responseError(429, errors.New("SlowDown")), false},
		{"503", responseError(503, errors.New("SlowDown")), false},
	} {
		if got := classify(Check{Err: tc.err}).Permanent; got != tc.want {
			t.Errorf("%s: permanent %v, want %v", tc.name, got, tc.want)
		}
	}
}
