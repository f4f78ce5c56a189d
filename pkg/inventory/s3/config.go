package s3

import (
	"fmt"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// Config is one S3 store, as the configuration file describes it
// (DESIGN.md, stores of type s3), with the tuning the file may leave out.
type Config struct {
	// Name is the store's name in the configuration; every error names it.
	Name string
	// Bucket is the bucket's name.
	Bucket string
	// Prefix is prepended to every logical key; logical keys are relative
	// to it. It usually ends with "/".
	Prefix string
	// Region is the bucket's region. Empty means the default AWS chain's
	// region (AWS_REGION, the profile).
	Region string
	// Endpoint is the URL of an S3-compatible store or local emulator;
	// empty means AWS.
	Endpoint string
	// PathStyle addresses the bucket in the URL path rather than the host
	// name, as most S3-compatible stores and emulators need.
	PathStyle bool
	// PageSize is the number of keys asked per listing request and the
	// most fingerprints a listing page holds: 1 to 1000; 0 means 1000.
	PageSize int
	// Retry sets how throttled and failed requests are retried.
	Retry Retry
	// Identity says whose credentials sign the store's requests and which
	// certificate authorities its endpoint's certificate must chain to;
	// the zero Identity is the default AWS chain and the system's
	// authorities. Errors name it.
	Identity awsclient.Identity
}

// RetryMode names one of the AWS SDK's retry strategies.
type RetryMode string

const (
	// RetryStandard retries throttling, transient and connection errors
	// with exponential backoff and jitter.
	RetryStandard RetryMode = "standard"
	// RetryAdaptive is RetryStandard plus a client-side rate limiter that
	// slows requests down while the service throttles.
	RetryAdaptive RetryMode = "adaptive"
)

// Retry sets the SDK's retryer.
type Retry struct {
	// Mode is RetryStandard (the default) or RetryAdaptive.
	Mode RetryMode
	// MaxAttempts is the number of attempts per request, the first one
	// included; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts; 0 means DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Defaults for what a Config leaves out.
const (
	DefaultPageSize    = 1000
	MaxPageSize        = 1000
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = 20 * time.Second
	// DefaultRegion is the signing region of custom endpoints when neither
	// the configuration nor the AWS chain names one.
	DefaultRegion = awsclient.FallbackRegion
)

// withDefaults returns c with its defaults filled in, or an error naming
// the store and the field that is wrong.
func (c Config) withDefaults() (Config, error) {
	var problems []string
	if c.Name == "" {
		problems = append(problems, "the store has no name")
	}
	if c.Bucket == "" {
		problems = append(problems, "bucket is empty")
	}
	switch {
	case c.PageSize == 0:
		c.PageSize = DefaultPageSize
	case c.PageSize < 0 || c.PageSize > MaxPageSize:
		problems = append(problems, fmt.Sprintf("page size %d is not from 1 to %d", c.PageSize, MaxPageSize))
	}
	switch c.Retry.Mode {
	case "":
		c.Retry.Mode = RetryStandard
	case RetryStandard, RetryAdaptive:
	default:
		problems = append(problems, fmt.Sprintf("retry mode %q is neither %q nor %q", c.Retry.Mode, RetryStandard, RetryAdaptive))
	}
	switch {
	case c.Retry.MaxAttempts == 0:
		c.Retry.MaxAttempts = DefaultMaxAttempts
	case c.Retry.MaxAttempts < 0:
		problems = append(problems, fmt.Sprintf("retry max attempts %d is negative", c.Retry.MaxAttempts))
	}
	switch {
	case c.Retry.MaxBackoff == 0:
		c.Retry.MaxBackoff = DefaultMaxBackoff
	case c.Retry.MaxBackoff < 0:
		problems = append(problems, fmt.Sprintf("retry max backoff %s is negative", c.Retry.MaxBackoff))
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("store %s: %s", c.Name, strings.Join(problems, "; "))
	}
	return c, nil
}
