// Package awsclient is the one place parityproof builds AWS SDK clients:
// S3, STS, SNS, SSM and Secrets Manager. Every client comes from the same
// rules, so that a store, a state location, the Lambda environment, the
// identity lookup and the notifier cannot drift apart:
//
//   - The AWS configuration is loaded (config.LoadDefaultConfig) here and
//     nowhere else: credentials, region and endpoints from the default
//     chain (environment, shared files, the container or instance role).
//   - Region: [Options.Region]; else the chain's (AWS_REGION,
//     AWS_DEFAULT_REGION, the profile); else [FallbackRegion] when the
//     region only scopes signatures, that is when the client talks to a
//     custom endpoint ([Options.Endpoint], AWS_ENDPOINT_URL or
//     AWS_ENDPOINT_URL_<SERVICE>) or to STS, whose global endpoint signs
//     in us-east-1; else [ErrNoRegion]. A client of a real AWS service is
//     never pointed at a region nobody named.
//   - HTTP: the client LoadDefaultConfig built, which trusts AWS_CA_BUNDLE,
//     with the time to connect bounded by [Options.ConnectTimeout]. It is
//     handed to each service through its Options.HTTPClient: handing a
//     client in through config.WithHTTPClient would drop the bundle.
//   - Retries: the SDK's default retryer unless [Options.Retry] says
//     otherwise.
//
// Whose credentials a client uses, and which certificate authorities it
// trusts, is [Options.Identity]; its zero value is the default chain and
// the system's authorities. A store of its own identity names a profile, a
// key pair in environment variables, or a role to assume (with an external
// id) with either, and a CA bundle of its own ([Identity]); an error
// getting its credentials names the identity tried ([CredentialsError]).
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// FallbackRegion is the region of clients that need one only to sign:
// those of custom endpoints and of STS (see the package documentation).
const FallbackRegion = "us-east-1"

// IdleConnsPerHost is how many idle connections to one endpoint a client
// keeps for its next requests. A run has many HEADs, reads and listings in
// flight to the same endpoint at once (its shards times
// run.head_concurrency); with the SDK's ten, most of them would open a new
// connection.
const IdleConnsPerHost = 512

// DefaultConnectTimeout bounds the time to connect when
// [Options.ConnectTimeout] is zero.
const DefaultConnectTimeout = 10 * time.Second

// ErrNoRegion is wrapped by the error of a client of a real AWS service
// whose region neither the options nor the AWS chain name.
var ErrNoRegion = errors.New("no AWS region: set the region, or AWS_REGION")

// Options say how to build a client. The zero Options is a client of the
// real service in the chain's region, with the chain's credentials.
type Options struct {
	// Region is the service's region; see the package documentation for
	// what an empty one means.
	Region string
	// Endpoint replaces the service's endpoint: an S3-compatible store, a
	// local emulator. It wins over AWS_ENDPOINT_URL and its kin.
	Endpoint string
	// PathStyle addresses S3 buckets in the URL path rather than the host
	// name, as most S3-compatible stores and emulators need. S3 only.
	PathStyle bool
	// Identity says whose credentials the client uses.
	Identity Identity
	// Retry sets the retryer; its zero value keeps the SDK's default.
	Retry Retry
	// ConnectTimeout bounds the time to connect to the endpoint;
	// 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// HTTPClient, if set, carries the requests instead of the client that
	// honours AWS_CA_BUNDLE (tests record requests with it).
	HTTPClient aws.HTTPClient
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

// Retry sets the SDK's retryer. With a Mode, client-side retry quotas are
// off: a listing of billions of keys would exhaust them under sustained
// throttling, and then fail rather than slow down.
type Retry struct {
	// Mode is RetryStandard or RetryAdaptive; "" keeps the SDK's default
	// retryer (standard, 3 attempts, with retry quotas) and ignores the
	// other fields.
	Mode RetryMode
	// MaxAttempts is the number of attempts per request, the first one
	// included; 0 means the SDK's default (3).
	MaxAttempts int
	// MaxBackoff caps the wait between attempts; 0 means the SDK's
	// default (20s).
	MaxBackoff time.Duration
}

// retryer returns the retryer r describes, nil for the SDK's default.
func (r Retry) retryer() (aws.Retryer, error) {
	std := func(o *retry.StandardOptions) {
		if r.MaxAttempts > 0 {
			o.MaxAttempts = r.MaxAttempts
		}
		if r.MaxBackoff > 0 {
			o.MaxBackoff = r.MaxBackoff
		}
		o.RateLimiter = ratelimit.None
	}
	switch r.Mode {
	case "":
		return nil, nil
	case RetryStandard:
		return retry.NewStandard(std), nil
	case RetryAdaptive:
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, std)
		}), nil
	}
	return nil, fmt.Errorf("retry mode %q is neither %q nor %q", r.Mode, RetryStandard, RetryAdaptive)
}

// settings are what every service's options get from Options.
type settings struct {
	cfg         aws.Config
	region      string
	endpoint    *string
	credentials aws.CredentialsProvider
	retryer     aws.Retryer
	httpClient  aws.HTTPClient
}

// load loads the AWS configuration and resolves o for the service
// serviceID (the SDK's ServiceID).
func load(ctx context.Context, o Options, serviceID string) (*settings, error) {
	opts, err := o.Identity.loadOptions()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Identity, err)
	}
	pool, err := o.Identity.trust()
	if err != nil {
		return nil, err
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if o.Identity.Profile != "" {
			return nil, fmt.Errorf("loading the AWS configuration of %s: %w", o.Identity, err)
		}
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	s := &settings{cfg: cfg, region: cfg.Region}
	if o.Endpoint != "" {
		s.endpoint = aws.String(o.Endpoint)
	}
	if s.region == "" {
		if s.endpoint == nil && cfg.BaseEndpoint == nil && os.Getenv(serviceEndpointEnv(serviceID)) == "" && serviceID != sts.ServiceID {
			return nil, fmt.Errorf("%s: %w", serviceID, ErrNoRegion)
		}
		s.region = FallbackRegion
	}
	if s.retryer, err = o.Retry.retryer(); err != nil {
		return nil, err
	}
	s.httpClient = o.HTTPClient
	if s.httpClient == nil {
		timeout := o.ConnectTimeout
		if timeout <= 0 {
			timeout = DefaultConnectTimeout
		}
		// The client LoadDefaultConfig built trusts AWS_CA_BUNDLE; keep it,
		// bounding the time to connect and keeping the connections of
		// every request in flight.
		if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
			s.httpClient = bc.WithDialerOptions(func(d *net.Dialer) { d.Timeout = timeout }).
				WithTransportOptions(func(t *http.Transport) {
					t.MaxIdleConns = max(t.MaxIdleConns, IdleConnsPerHost)
					t.MaxIdleConnsPerHost = IdleConnsPerHost
				})
		}
	}
	if err := s.resolveIdentity(ctx, o, pool); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Identity, err)
	}
	return s, nil
}

// serviceEndpointEnv is the variable that names the endpoint of the
// service serviceID: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SECRETS_MANAGER.
func serviceEndpointEnv(serviceID string) string {
	return "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(serviceID, " ", "_"))
}

// apply sets the fields every service's options share. The HTTP client is
// set by each service, its field having the service's own type.
func (s *settings) apply(region *string, endpoint **string, credentials *aws.CredentialsProvider, retryer *aws.Retryer) {
	*region = s.region
	if s.endpoint != nil {
		*endpoint = s.endpoint
	}
	if s.credentials != nil {
		*credentials = s.credentials
	}
	if s.retryer != nil {
		*retryer = s.retryer
	}
}

// S3 returns an S3 client.
func S3(ctx context.Context, o Options) (*s3.Client, error) {
	s, err := load(ctx, o, s3.ServiceID)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(s.cfg, func(so *s3.Options) {
		s.apply(&so.Region, &so.BaseEndpoint, &so.Credentials, &so.Retryer)
		if s.httpClient != nil {
			so.HTTPClient = s.httpClient
		}
		so.UsePathStyle = o.PathStyle
		// Objects without a checksum the SDK can validate are the rule
		// with S3-compatible stores; the warning would flood the logs.
		so.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// STS returns an STS client; without a region it uses FallbackRegion.
// To ask who the caller is:
//
//	client, err := awsclient.STS(ctx, awsclient.Options{Region: region, Endpoint: endpoint})
//	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
func STS(ctx context.Context, o Options) (*sts.Client, error) {
	s, err := load(ctx, o, sts.ServiceID)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(s.cfg, func(so *sts.Options) {
		s.apply(&so.Region, &so.BaseEndpoint, &so.Credentials, &so.Retryer)
		if s.httpClient != nil {
			so.HTTPClient = s.httpClient
		}
	}), nil
}

// SNS returns an SNS client. A topic is reached through its own region:
// pass [TopicRegion] of its ARN as the region.
//
//	region, err := awsclient.TopicRegion(topicARN)
//	client, err := awsclient.SNS(ctx, awsclient.Options{Region: region, Endpoint: endpoint})
//	_, err = client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), ...})
func SNS(ctx context.Context, o Options) (*sns.Client, error) {
	s, err := load(ctx, o, sns.ServiceID)
	if err != nil {
		return nil, err
	}
	return sns.NewFromConfig(s.cfg, func(so *sns.Options) {
		s.apply(&so.Region, &so.BaseEndpoint, &so.Credentials, &so.Retryer)
		if s.httpClient != nil {
			so.HTTPClient = s.httpClient
		}
	}), nil
}

// TopicRegion returns the region of the SNS topic topicARN
// (arn:aws:sns:REGION:ACCOUNT:NAME).
func TopicRegion(topicARN string) (string, error) {
	a, err := arn.Parse(topicARN)
	if err != nil || a.Service != "sns" || a.Region == "" || a.Resource == "" || strings.Contains(a.Resource, ":") {
		return "", fmt.Errorf("%q is not an SNS topic ARN", topicARN)
	}
	return a.Region, nil
}

// Resolved is Options resolved for one service: the AWS configuration and
// what every service's options take from it. The subpackages that build
// the clients of services few programs need (internal/awsclient/secrets)
// use it, so that the other programs do not link those services.
type Resolved struct{ s *settings }

// Resolve loads the AWS configuration and resolves o for the service
// serviceID (the SDK's ServiceID), by the rules every client of this
// package follows.
func Resolve(ctx context.Context, o Options, serviceID string) (*Resolved, error) {
	s, err := load(ctx, o, serviceID)
	if err != nil {
		return nil, err
	}
	return &Resolved{s: s}, nil
}

// Config is the loaded AWS configuration, for the service's NewFromConfig.
func (r *Resolved) Config() aws.Config { return r.s.cfg }

// Apply sets the region, endpoint, credentials and retryer of a service's
// options.
func (r *Resolved) Apply(region *string, endpoint **string, credentials *aws.CredentialsProvider, retryer *aws.Retryer) {
	r.s.apply(region, endpoint, credentials, retryer)
}

// HTTPClient is the client that carries the service's requests (the one
// that honours AWS_CA_BUNDLE), nil to keep the SDK's.
func (r *Resolved) HTTPClient() aws.HTTPClient { return r.s.httpClient }
