package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// Kinds of error a user can act on. Errors from this package wrap one of
// them when it applies, together with the SDK's error; test with
// [errors.Is].
var (
	// ErrBucketNotFound: the bucket does not exist (at this endpoint).
	ErrBucketNotFound = errors.New("bucket not found")
	// ErrAccessDenied: the credentials were refused, or lack a permission.
	ErrAccessDenied = errors.New("access denied")
	// ErrWrongRegion: the bucket lives in another region than the one
	// configured. [RegionError] names it.
	ErrWrongRegion = errors.New("wrong region")
	// ErrUnreachable: the endpoint could not be reached.
	ErrUnreachable = errors.New("endpoint unreachable")
)

// StoreError is an error a user can act on, naming the store from the
// configuration, what went wrong and what to do about it.
type StoreError struct {
	// Store and Bucket name the store.
	Store, Bucket string
	// Kind is ErrBucketNotFound, ErrAccessDenied, ErrWrongRegion or
	// ErrUnreachable, or nil for an error of the service that none of
	// them describes.
	Kind error
	// Detail says what happened and what to do.
	Detail string
	// Region is the bucket's actual region, for ErrWrongRegion, when S3
	// named it.
	Region string
	// Err is the underlying error.
	Err error
}

func (e *StoreError) Error() string {
	if e.Kind == nil {
		return fmt.Sprintf("store %s (bucket %q): %s (%s)", e.Store, e.Bucket, e.Detail, briefCause(e.Err))
	}
	msg := fmt.Sprintf("store %s (bucket %q): %v: %s", e.Store, e.Bucket, e.Kind, e.Detail)
	if c := briefCause(e.Err); c != "" {
		msg += " (" + c + ")"
	}
	return msg
}

// briefCause says in a few words what the SDK's error was — the
// operation, then the service's code, message and request id, or the
// network error — without the SDK's chain of wrappers.
func briefCause(err error) string {
	if err == nil {
		return ""
	}
	var parts []string
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		parts = append(parts, opErr.OperationName)
	}
	var apiErr smithy.APIError
	var netErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &apiErr):
		s := apiErr.ErrorCode()
		if m := apiErr.ErrorMessage(); m != "" {
			s += ": " + m
		}
		var re interface{ ServiceRequestID() string }
		if errors.As(err, &re) && re.ServiceRequestID() != "" {
			s += "; request id " + re.ServiceRequestID()
		}
		parts = append(parts, s)
	case errors.As(err, &netErr):
		parts = append(parts, netErr.Error())
	case errors.As(err, &dnsErr):
		parts = append(parts, dnsErr.Error())
	default:
		parts = append(parts, err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the kind and the underlying error.
func (e *StoreError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// expectingRE finds the region S3 names in an AuthorizationHeaderMalformed
// message ("the region 'us-east-1' is wrong; expecting 'ap-southeast-1'").
var expectingRE = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)

// classify turns an SDK error into a [StoreError] when the user can act on
// it, and returns err unchanged otherwise. Cancellation is never
// reclassified.
func (s *Store) classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	se := &StoreError{Store: s.cfg.Name, Bucket: s.cfg.Bucket, Err: err}
	var (
		code   string
		status int
		header http.Header
	)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		status = respErr.HTTPStatusCode()
		header = respErr.Response.Header
	}
	region := header.Get("x-amz-bucket-region")
	if region == "" && apiErr != nil {
		if m := expectingRE.FindStringSubmatch(apiErr.ErrorMessage()); m != nil {
			region = m[1]
		}
	}
	var ce *awsclient.CredentialsError
	switch {
	case errors.As(err, &ce):
		se.Kind = ErrAccessDenied
		se.Detail = fmt.Sprintf("no credentials could be had from %s; check the store's identity", ce.Identity)
	case code == "NoSuchBucket":
		se.Kind = ErrBucketNotFound
		se.Detail = fmt.Sprintf("no bucket %q at %s; check the bucket's name, endpoint and account", s.cfg.Bucket, s.endpointName())
	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" && region != "" ||
		region != "" && region != s.region && (status == http.StatusBadRequest || status == http.StatusForbidden):
		se.Kind = ErrWrongRegion
		se.Region = region
		if region != "" {
			se.Detail = fmt.Sprintf("the bucket is in region %s, not %s; set region: %s for this store", region, s.region, region)
		} else {
			se.Detail = fmt.Sprintf("S3 redirects requests for the bucket elsewhere than region %s; check the store's region and endpoint", s.region)
		}
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken":
		se.Kind = ErrAccessDenied
		se.Detail = fmt.Sprintf("the credentials from %s were refused (%s)", s.identity, code)
	case status == http.StatusForbidden || code == "AccessDenied":
		se.Kind = ErrAccessDenied
		se.Detail = fmt.Sprintf("the credentials from %s lack a permission on this bucket", s.identity)
		var opErr *smithy.OperationError
		if errors.As(err, &opErr) {
			if perm, ok := permissions[opErr.OperationName]; ok {
				se.Detail = fmt.Sprintf("the credentials from %s lack %s on this bucket (for %s)", s.identity, perm, opErr.OperationName)
			}
		}
	case apiErr == nil && status == 0 && noCredentials(err):
		se.Kind = ErrAccessDenied
		se.Detail = "no credentials were found in the AWS chain (environment, profile, web identity, container or instance role)"
	case isUnreachable(err):
		se.Kind = ErrUnreachable
		se.Detail = fmt.Sprintf("cannot connect to %s; check the endpoint and the network", s.endpointName())
	case apiErr != nil:
		// An answer of the service none of the kinds describes: said in
		// one line, without the SDK's chain of wrappers.
		se.Detail = fmt.Sprintf("%s answered %d %s", s.endpointName(), status, code)
	default:
		return err
	}
	return se
}

// permissions names the IAM permission each operation of the store needs.
var permissions = map[string]string{
	"GetBucketVersioning":  "s3:GetBucketVersioning",
	"ListObjectsV2":        "s3:ListBucket",
	"ListObjectVersions":   "s3:ListBucketVersions",
	"ListMultipartUploads": "s3:ListBucketMultipartUploads",
	"HeadObject":           "s3:GetObject",
	"GetObject":            "s3:GetObject",
}

// noCredentials reports whether err is the SDK's failure to find any
// credentials before sending: it has no type of its own, only the words
// its signing step wraps it in.
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "get identity: get credentials:") || strings.Contains(msg, "failed to retrieve credentials")
}

// isUnreachable reports whether err is a failure to connect: a refused or
// timed-out dial, an unknown host.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func (s *Store) endpointName() string {
	if s.cfg.Endpoint != "" {
		return s.cfg.Endpoint
	}
	return "AWS S3 in " + s.region
}
