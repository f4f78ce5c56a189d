package oci

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ociclient"
)

// Auth says how the store authenticates to OCI.
type Auth string

// Authentication methods, as the configuration spells them.
const (
	// AuthAPIKey signs with the API key of a profile in an OCI config file.
	AuthAPIKey = Auth(ociclient.AuthAPIKey)
	// AuthInstancePrincipal uses the identity of the OCI compute instance.
	AuthInstancePrincipal = Auth(ociclient.AuthInstancePrincipal)
	// AuthResourcePrincipal uses the identity of the OCI function or other
	// resource, from the OCI_RESOURCE_PRINCIPAL_* environment.
	AuthResourcePrincipal = Auth(ociclient.AuthResourcePrincipal)
)

// Config is one OCI store of the configuration (DESIGN.md, stores of type
// oci) plus the knobs of the client.
type Config struct {
	// Name is the store's name in the configuration; every error names it.
	Name string `yaml:"-"`
	// Namespace is the tenancy's Object Storage namespace; empty asks OCI.
	Namespace string `yaml:"namespace"`
	Bucket    string `yaml:"bucket"`
	// Prefix is stripped from object names to make logical keys.
	Prefix string `yaml:"prefix"`
	// Region is the bucket's region; empty takes the region of the
	// authentication (the config file profile, the instance, the resource).
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint, e.g. http://127.0.0.1:8787
	// for ocilocal.
	Endpoint string `yaml:"endpoint"`
	// Auth is api_key when empty.
	Auth Auth `yaml:"auth"`
	// ConfigFile is the OCI config file of api_key, ~/.oci/config when empty.
	ConfigFile string `yaml:"config_file"`
	// Profile is the config file profile, DEFAULT when empty.
	Profile string `yaml:"profile"`

	// PageSize is the listing page size, 1 to 1000; 0 means 1000.
	PageSize int `yaml:"-"`
	// DisableRetries turns the SDK's retries off (tests do, so that they
	// never sleep). Retries are on by default: 429, 5xx and network errors
	// are retried with exponential backoff and jitter.
	DisableRetries bool `yaml:"-"`
	// MaxAttempts bounds the attempts of one request; 0 takes the SDK's
	// default (8).
	MaxAttempts int `yaml:"-"`
	// RetryBackoff, when set, waits exactly this long between attempts
	// instead of the SDK's exponential backoff.
	RetryBackoff time.Duration `yaml:"-"`
	// DisableCircuitBreaker turns off the SDK's circuit breaker, which is on
	// by default for Object Storage.
	DisableCircuitBreaker bool `yaml:"-"`
	// Logger receives the store's logs; slog.Default when nil.
	Logger *slog.Logger `yaml:"-"`
}

// MaxPageSize is the largest page ListObjects returns.
const MaxPageSize = 1000

func (c *Config) validate() error {
	var problems []string
	if c.Name == "" {
		problems = append(problems, "name is empty")
	}
	if c.Bucket == "" {
		problems = append(problems, "bucket is empty")
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		problems = append(problems, fmt.Sprintf("page size %d is not from 1 to %d", c.PageSize, MaxPageSize))
	}
	switch c.Auth {
	case "", AuthAPIKey, AuthInstancePrincipal, AuthResourcePrincipal:
	default:
		problems = append(problems, fmt.Sprintf("auth %q is not one of api_key, instance_principal, resource_principal", c.Auth))
	}
	if len(problems) > 0 {
		return fmt.Errorf("OCI store %q: %s", c.Name, strings.Join(problems, "; "))
	}
	return nil
}

// ErrBadKeyFile is wrapped by the errors of an api_key configuration whose
// config file, profile or key file cannot be used.
var ErrBadKeyFile = ociclient.ErrBadKeyFile

// clientOptions says how to build the store's client.
func (c *Config) clientOptions(log *slog.Logger) ociclient.Options {
	return ociclient.Options{
		Auth: ociclient.Auth(c.Auth), ConfigFile: c.ConfigFile, Profile: c.Profile,
		Region: c.Region, Endpoint: c.Endpoint,
		Retry:                 ociclient.Retry{Disabled: c.DisableRetries, MaxAttempts: c.MaxAttempts, Backoff: c.RetryBackoff},
		DisableCircuitBreaker: c.DisableCircuitBreaker,
		Interceptor:           versionFieldsInterceptor,
		Logger:                log,
	}
}
