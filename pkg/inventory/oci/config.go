package oci

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/common/auth"
)

// Auth says how the store authenticates to OCI.
type Auth string

// Authentication methods, as the configuration spells them.
const (
	// AuthAPIKey signs with the API key of a profile in an OCI config file.
	AuthAPIKey Auth = "api_key"
	// AuthInstancePrincipal uses the identity of the OCI compute instance.
	AuthInstancePrincipal Auth = "instance_principal"
	// AuthResourcePrincipal uses the identity of the OCI function or other
	// resource, from the OCI_RESOURCE_PRINCIPAL_* environment.
	AuthResourcePrincipal Auth = "resource_principal"
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
var ErrBadKeyFile = errors.New("OCI API key configuration is unusable")

// provider returns the SDK configuration provider for c.Auth.
func (c *Config) provider() (common.ConfigurationProvider, error) {
	switch c.Auth {
	case AuthInstancePrincipal:
		var p common.ConfigurationProvider
		var err error
		if c.Region != "" {
			p, err = auth.InstancePrincipalConfigurationProviderForRegion(common.StringToRegion(c.Region))
		} else {
			p, err = auth.InstancePrincipalConfigurationProvider()
		}
		if err != nil {
			return nil, fmt.Errorf("instance principal: %w", err)
		}
		return p, nil
	case AuthResourcePrincipal:
		p, err := auth.ResourcePrincipalConfigurationProvider()
		if err != nil {
			return nil, fmt.Errorf("resource principal: %w", err)
		}
		return p, nil
	}
	return c.apiKeyProvider()
}

// apiKeyProvider reads the config file profile and checks, before any
// request, that everything signing needs is there.
func (c *Config) apiKeyProvider() (common.ConfigurationProvider, error) {
	path, err := configFilePath(c.ConfigFile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: config file: %w", ErrBadKeyFile, err)
	}
	profile := c.Profile
	if profile == "" {
		profile = "DEFAULT"
	}
	p, err := common.ConfigurationProviderFromFileWithProfile(path, profile, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %s profile %s: %w", ErrBadKeyFile, path, profile, err)
	}
	for _, f := range []struct {
		what string
		get  func() (string, error)
	}{{"tenancy", p.TenancyOCID}, {"user", p.UserOCID}, {"fingerprint", p.KeyFingerprint}} {
		if _, err := f.get(); err != nil {
			return nil, fmt.Errorf("%w: %s profile %s: %s: %w", ErrBadKeyFile, path, profile, f.what, err)
		}
	}
	if _, err := p.PrivateRSAKey(); err != nil {
		return nil, fmt.Errorf("%w: %s profile %s: key_file: %w", ErrBadKeyFile, path, profile, err)
	}
	if c.Region != "" {
		return regionProvider{ConfigurationProvider: p, region: c.Region}, nil
	}
	if _, err := p.Region(); err != nil {
		return nil, fmt.Errorf("%w: %s profile %s: no region in the profile or the store: %w", ErrBadKeyFile, path, profile, err)
	}
	return p, nil
}

// configFilePath expands "~/" and applies the default ~/.oci/config.
func configFilePath(p string) (string, error) {
	if p == "" {
		p = "~/.oci/config"
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("%w: finding the home folder for %s: %w", ErrBadKeyFile, p, err)
		}
		p = filepath.Join(home, rest)
	}
	return p, nil
}

// regionProvider overrides the region of a file configuration with the
// store's.
type regionProvider struct {
	common.ConfigurationProvider
	region string
}

func (r regionProvider) Region() (string, error) { return r.region, nil }

// ErrRegionNotAllowed is wrapped by [CheckRegion]'s errors.
var ErrRegionNotAllowed = errors.New("region is not allowed by policy.allowed_target_regions")

// CheckRegion returns nil when allowed is empty or holds region, else an
// error naming the store, its region and the allowed ones. It is how a run
// applies policy.allowed_target_regions: a copy outside the list is
// reported, never silently accepted.
func CheckRegion(store, region string, allowed []string) error {
	if len(allowed) == 0 || slices.Contains(allowed, region) {
		return nil
	}
	if region == "" {
		region = "unknown"
	}
	return fmt.Errorf("store %q is in region %s, not one of %s: %w", store, region, strings.Join(allowed, ", "), ErrRegionNotAllowed)
}
