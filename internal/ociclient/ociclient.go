// Package ociclient is the one place parityproof builds OCI Object
// Storage clients, on the unmodified github.com/oracle/oci-go-sdk/v65: the
// authentication (an API key's profile, the instance principal, the
// resource principal), the region, the endpoint, the circuit breaker, and
// for every call its retry policy and the guard against the SDK's retry
// race (see [Client]). The inventory backend (pkg/inventory/oci), the
// state and reports storage and the demo all call Object Storage through a
// [Client]; nothing else builds one.
package ociclient

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/common/auth"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"
)

// Auth says how a client authenticates to OCI.
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

// ErrBadKeyFile is wrapped by the errors of an api_key configuration whose
// config file, profile or key file cannot be used.
var ErrBadKeyFile = errors.New("OCI API key configuration is unusable")

// Options say how to build a client.
type Options struct {
	// Provider, if set, signs the requests and names the default region,
	// in place of Auth, ConfigFile and Profile (tests sign with keys of
	// their choosing).
	Provider common.ConfigurationProvider
	// Auth is AuthAPIKey when empty.
	Auth Auth
	// ConfigFile is the OCI config file of api_key, ~/.oci/config when
	// empty; "~/" is the home folder.
	ConfigFile string
	// Profile is the config file profile, DEFAULT when empty.
	Profile string
	// Region is the bucket's region; empty takes the region of the
	// authentication (the profile, the instance, the resource).
	Region string
	// Endpoint replaces the region's endpoint, e.g. http://127.0.0.1:8787
	// for ocilocal.
	Endpoint string
	// Retry sets the retry policy of every call.
	Retry Retry
	// DisableCircuitBreaker turns off the SDK's circuit breaker, which is
	// on by default for Object Storage.
	DisableCircuitBreaker bool
	// Interceptor, if set, sees every request after the SDK built it and
	// before it is signed.
	Interceptor common.RequestInterceptor
	// Logger receives a debug record per retry; nil discards them.
	Logger *slog.Logger
}

// Retry sets the retry policy. The zero Retry is the SDK's default policy
// without its eventual-consistency waits: 429, 5xx and network errors
// retried with exponential backoff and jitter, up to 8 attempts.
type Retry struct {
	// Disabled turns retries off (tests do, so that they never sleep).
	Disabled bool
	// MaxAttempts bounds the attempts of one request; 0 takes the SDK's
	// default (8).
	MaxAttempts int
	// Backoff, when set, waits exactly this long between attempts instead
	// of the SDK's exponential backoff.
	Backoff time.Duration
}

// New returns the client o describes. Nothing is sent: a wrong key or a
// missing bucket shows at the first call.
func New(o Options) (*Client, error) {
	provider, err := o.provider()
	if err != nil {
		return nil, err
	}
	region := o.Region
	if region == "" {
		if region, err = provider.Region(); err != nil {
			return nil, fmt.Errorf("region: %w", err)
		}
	}
	sdk, err := objectstorage.NewObjectStorageClientWithConfigurationProvider(provider)
	if err != nil {
		return nil, fmt.Errorf("creating the Object Storage client: %w", err)
	}
	if o.Region != "" {
		sdk.SetRegion(o.Region)
	}
	var breaker *common.OciCircuitBreaker
	if !o.DisableCircuitBreaker {
		breaker = common.NewCircuitBreaker(common.DefaultCircuitBreakerSettingWithServiceName("ObjectStorage"))
	}
	noRetry := common.NoRetryPolicy() // every call carries its own policy (Client.meta)
	sdk.SetCustomClientConfiguration(common.CustomClientConfiguration{RetryPolicy: &noRetry, CircuitBreaker: breaker})
	sdk.HTTPClient = newDispatcher(sdk.HTTPClient)
	sdk.Interceptor = o.Interceptor
	if o.Endpoint != "" {
		// Last: SetRegion and SetCustomClientConfiguration reset it.
		sdk.Host = strings.TrimSuffix(o.Endpoint, "/")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{sdk: sdk, region: region, retry: o.Retry, log: log}, nil
}

// provider returns the SDK configuration provider: o.Provider, or the
// one of o.Auth.
func (o *Options) provider() (common.ConfigurationProvider, error) {
	if o.Provider != nil {
		return o.Provider, nil
	}
	switch o.Auth {
	case "", AuthAPIKey:
		return o.apiKeyProvider()
	case AuthInstancePrincipal:
		var p common.ConfigurationProvider
		var err error
		if o.Region != "" {
			p, err = auth.InstancePrincipalConfigurationProviderForRegion(common.StringToRegion(o.Region))
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
	return nil, fmt.Errorf("auth %q is not one of %s, %s, %s", o.Auth, AuthAPIKey, AuthInstancePrincipal, AuthResourcePrincipal)
}

// apiKeyProvider reads the config file profile and checks, before any
// request, that everything signing needs is there.
func (o *Options) apiKeyProvider() (common.ConfigurationProvider, error) {
	path, err := configFilePath(o.ConfigFile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: config file: %w", ErrBadKeyFile, err)
	}
	profile := o.Profile
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
	if o.Region != "" {
		return regionProvider{ConfigurationProvider: p, region: o.Region}, nil
	}
	if _, err := p.Region(); err != nil {
		return nil, fmt.Errorf("%w: %s profile %s: no region in the profile or the options: %w", ErrBadKeyFile, path, profile, err)
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

// regionProvider overrides the region of a file configuration.
type regionProvider struct {
	common.ConfigurationProvider
	region string
}

func (r regionProvider) Region() (string, error) { return r.region, nil }
