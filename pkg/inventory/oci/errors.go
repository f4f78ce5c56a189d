package oci

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/parityproof/parityproof/internal/ociclient"
)

// ErrUnreachable: the Object Storage endpoint could not be reached (a
// refused or timed-out connection, an unknown host).
var ErrUnreachable = errors.New("endpoint unreachable")

// StoreError is an error of an OCI store in one line: the store, what was
// being done, what went wrong and what to check, and the service's code
// and request id instead of the SDK's many lines. It wraps its kind
// (ErrBucketNotFound, ErrNamespaceNotFound, ErrNotAuthorized,
// ErrUnreachable, or none) and the SDK's error, for errors.Is and
// errors.As.
type StoreError struct {
	// Store is the store's name; Doing what was being done.
	Store, Doing string
	// Kind is one of the package's errors, or nil.
	Kind error
	// Detail says what happened and what to check.
	Detail string
	// Err is the SDK's error.
	Err error
}

func (e *StoreError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OCI store %q: %s: ", e.Store, e.Doing)
	if e.Kind != nil {
		fmt.Fprintf(&b, "%v: ", e.Kind)
	}
	b.WriteString(e.Detail)
	if c := briefCause(e.Err); c != "" {
		fmt.Fprintf(&b, " (%s)", c)
	}
	return b.String()
}

// Unwrap returns the kind and the SDK's error.
func (e *StoreError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// fail wraps an error of doing what, naming the store and, for the errors
// a user can act on, saying what to check. Cancellation is returned as
// such.
func (s *Store) fail(what string, err error) error {
	if cerr := ociclient.ContextError(err); cerr != nil {
		return fmt.Errorf("OCI store %q: %s: %w", s.name, what, cerr)
	}
	se := &StoreError{Store: s.name, Doing: what, Err: err}
	svc, ok := common.IsServiceError(err)
	switch {
	case ok && svc.GetHTTPStatusCode() == http.StatusNotFound && svc.GetCode() == "BucketNotFound":
		se.Kind = ErrBucketNotFound
		se.Detail = fmt.Sprintf("bucket %q in namespace %q at %s; check the store's bucket, namespace and region, and that the policies let this user read the bucket", s.bucket, s.namespace, s.endpoint())
	case ok && svc.GetHTTPStatusCode() == http.StatusNotFound && svc.GetCode() == "NamespaceNotFound":
		se.Kind = ErrNamespaceNotFound
		se.Detail = fmt.Sprintf("namespace %q at %s; check the store's namespace (oci os ns get names the tenancy's) and region", s.namespace, s.endpoint())
	case ok && svc.GetHTTPStatusCode() == http.StatusUnauthorized:
		se.Kind = ErrNotAuthorized
		se.Detail = "OCI rejected the request signature; check the user, tenancy, fingerprint and key file of the profile, and the clock"
	case ok && svc.GetHTTPStatusCode() == http.StatusForbidden:
		se.Kind = ErrNotAuthorized
		se.Detail = fmt.Sprintf("the policies do not allow this request on bucket %q", s.bucket)
	case !ok && isUnreachable(err):
		se.Kind = ErrUnreachable
		se.Detail = fmt.Sprintf("cannot connect to %s; check the store's endpoint and region, and the network", s.endpoint())
	case ok:
		se.Detail = fmt.Sprintf("OCI answered %d %s", svc.GetHTTPStatusCode(), svc.GetCode())
	default:
		se.Detail = "the request failed"
	}
	return se
}

// endpoint is where the store's requests go.
func (s *Store) endpoint() string {
	if host := s.client.Unguarded().Host; host != "" {
		return host
	}
	return "OCI Object Storage in " + s.region
}

// briefCause says in a few words what the SDK's error was: the service's
// code, message and request id, or the network error, without the SDK's
// troubleshooting boilerplate.
func briefCause(err error) string {
	if err == nil {
		return ""
	}
	if svc, ok := common.IsServiceError(err); ok {
		msg := strings.TrimSpace(svc.GetMessage())
		if msg == "" {
			msg = http.StatusText(svc.GetHTTPStatusCode())
		}
		out := fmt.Sprintf("%d %s: %s", svc.GetHTTPStatusCode(), svc.GetCode(), firstLine(msg))
		if id := svc.GetOpcRequestID(); id != "" {
			out += "; opc-request-id " + id
		}
		return out
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return firstLine(op.Error())
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return firstLine(dns.Error())
	}
	return firstLine(err.Error())
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

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
