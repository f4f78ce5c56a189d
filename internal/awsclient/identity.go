package awsclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Identity says whose credentials a client uses and which certificate
// authorities it trusts. The zero Identity is the default AWS credential
// chain and the system's certificate authorities (with AWS_CA_BUNDLE).
//
// The base credentials are at most one of: a Profile (of the shared
// configuration and credentials files, or of CredentialsFile), a key pair
// in the environment variables AccessKeyIDEnv and SecretAccessKeyEnv
// (SessionTokenEnv with them for temporary keys), or Credentials; none
// means the default chain. With a RoleARN, the base credentials assume
// that role through STS (AssumeRole, with ExternalID and SessionName), and
// the role's temporary credentials sign the requests; they are refreshed
// before they expire.
//
// Nothing here turns TLS verification off: CABundle replaces which
// authorities are trusted, never whether a certificate is checked.
type Identity struct {
	// Profile is a profile of the shared configuration and credentials
	// files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and
	// AWS_SHARED_CREDENTIALS_FILE), or of CredentialsFile.
	Profile string
	// CredentialsFile, with Profile, replaces the shared credentials
	// files: the Lambda functions write a store's key pair secret there.
	CredentialsFile string
	// Secret names the Secrets Manager secret CredentialsFile was written
	// from, for errors; it is not read here.
	Secret string
	// AccessKeyIDEnv, SecretAccessKeyEnv and SessionTokenEnv name the
	// environment variables holding a key pair (and a session token).
	AccessKeyIDEnv, SecretAccessKeyEnv, SessionTokenEnv string
	// RoleARN is a role to assume with the base credentials.
	RoleARN string
	// ExternalID is the external id the role's trust policy asks for.
	ExternalID string
	// SessionName names the role's sessions in CloudTrail; empty means
	// "parityproof".
	SessionName string
	// STSEndpoint replaces STS's endpoint for AssumeRole (an S3-compatible
	// store's own STS, a local emulator, a VPC endpoint). STS trusts
	// CABundle only when it is set.
	STSEndpoint string
	// CABundle is a PEM file of the certificate authorities the endpoint's
	// certificate must chain to: they replace the system's (and
	// AWS_CA_BUNDLE's) for this client.
	CABundle string
	// Credentials, if set, are the base credentials.
	Credentials aws.CredentialsProvider
}

// DefaultSessionName names assumed roles' sessions when
// Identity.SessionName is empty.
const DefaultSessionName = "parityproof"

// ErrCredentials is wrapped by the errors of credentials that cannot be
// had: a profile, an environment variable or a role that gives none.
var ErrCredentials = errors.New("no credentials")

// CredentialsError is the error of a request whose credentials could not be
// had; it names the identity tried.
type CredentialsError struct {
	// Identity describes the identity tried (Identity.String).
	Identity string
	Err      error
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("getting the credentials of %s: %v", e.Identity, e.Err)
}

// Unwrap returns ErrCredentials and the underlying error.
func (e *CredentialsError) Unwrap() []error { return []error{ErrCredentials, e.Err} }

// IsZero reports whether id is the default chain with the default trust.
func (id Identity) IsZero() bool { return id == (Identity{}) }

// String describes the identity in words, for errors and logs: never a
// secret, only where the credentials come from.
func (id Identity) String() string {
	base := id.base()
	if id.RoleARN == "" {
		return base
	}
	s := "role " + id.RoleARN
	if id.ExternalID != "" {
		s += " (with an external id)"
	}
	return s + " assumed with " + base
}

// base describes the base credentials.
func (id Identity) base() string {
	switch {
	case id.Secret != "":
		return fmt.Sprintf("the key pair in secret %s", id.Secret)
	case id.Profile != "" && id.CredentialsFile != "":
		return fmt.Sprintf("profile %q of %s", id.Profile, id.CredentialsFile)
	case id.Profile != "":
		return fmt.Sprintf("profile %q", id.Profile)
	case id.AccessKeyIDEnv != "":
		return fmt.Sprintf("the key pair in $%s and $%s", id.AccessKeyIDEnv, id.SecretAccessKeyEnv)
	case id.Credentials != nil:
		return "the caller's credentials provider"
	}
	return "the default AWS credential chain"
}

// loadOptions are the AWS configuration's load options the base
// credentials need.
func (id Identity) loadOptions() ([]func(*awsconfig.LoadOptions) error, error) {
	var opts []func(*awsconfig.LoadOptions) error
	sources := 0
	if id.Profile != "" {
		sources++
		opts = append(opts, awsconfig.WithSharedConfigProfile(id.Profile))
		if id.CredentialsFile != "" {
			opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{id.CredentialsFile}))
		}
	} else if id.CredentialsFile != "" {
		return nil, errors.New("a credentials file needs a profile")
	}
	if id.AccessKeyIDEnv != "" || id.SecretAccessKeyEnv != "" || id.SessionTokenEnv != "" {
		sources++
		p, err := id.envKeys()
		if err != nil {
			return nil, err
		}
		opts = append(opts, awsconfig.WithCredentialsProvider(p))
	}
	if id.Credentials != nil {
		sources++
	}
	if sources > 1 {
		return nil, errors.New("give one of a profile, a key pair in environment variables or credentials, not several")
	}
	return opts, nil
}

// envKeys reads the key pair the environment variables name.
func (id Identity) envKeys() (aws.CredentialsProvider, error) {
	if id.AccessKeyIDEnv == "" || id.SecretAccessKeyEnv == "" {
		return nil, errors.New("a key pair in environment variables needs both the access key id's and the secret access key's")
	}
	var missing []string
	get := func(name string) string {
		if name == "" {
			return ""
		}
		v := os.Getenv(name)
		if v == "" {
			missing = append(missing, "$"+name)
		}
		return v
	}
	key, secret, token := get(id.AccessKeyIDEnv), get(id.SecretAccessKeyEnv), get(id.SessionTokenEnv)
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s not set", ErrCredentials, strings.Join(missing, " and "))
	}
	return credentials.NewStaticCredentialsProvider(key, secret, token), nil
}

// trust returns the certificate pool CABundle holds, nil without one.
func (id Identity) trust() (*x509.CertPool, error) {
	if id.CABundle == "" {
		return nil, nil
	}
	b, err := os.ReadFile(id.CABundle)
	if err != nil {
		return nil, fmt.Errorf("reading the CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("the CA bundle %s holds no PEM certificate", id.CABundle)
	}
	return pool, nil
}

// trusting returns c trusting only pool's authorities. c is the client
// LoadDefaultConfig built: a BuildableClient.
func trusting(c aws.HTTPClient, pool *x509.CertPool) (aws.HTTPClient, error) {
	bc, ok := c.(*awshttp.BuildableClient)
	if !ok {
		return nil, fmt.Errorf("cannot set the trusted authorities of an HTTP client of type %T", c)
	}
	return bc.WithTransportOptions(func(tr *http.Transport) {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
			cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
		}
		cfg.RootCAs = pool
		tr.TLSClientConfig = cfg
	}), nil
}

// resolveIdentity sets s's credentials and HTTP client from o.Identity: the
// base credentials LoadDefaultConfig resolved (or the given ones), a role
// assumed with them, the CA bundle. Every credential is wrapped so that a
// failure to get it names the identity.
func (s *settings) resolveIdentity(ctx context.Context, o Options, pool *x509.CertPool) error {
	id := o.Identity
	creds := s.cfg.Credentials
	if id.Credentials != nil {
		creds = id.Credentials
	}
	if pool != nil && s.httpClient != nil && o.HTTPClient == nil {
		hc, err := trusting(s.httpClient, pool)
		if err != nil {
			return err
		}
		s.httpClient = hc
	}
	if id.RoleARN != "" {
		stsClient, err := s.stsFor(o, creds, pool)
		if err != nil {
			return err
		}
		name := id.SessionName
		if name == "" {
			name = DefaultSessionName
		}
		p := stscreds.NewAssumeRoleProvider(stsClient, id.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = name
			if id.ExternalID != "" {
				ao.ExternalID = aws.String(id.ExternalID)
			}
		})
		creds = aws.NewCredentialsCache(p)
	}
	if creds != nil {
		s.credentials = &namedCredentials{p: creds, identity: id.String()}
	}
	return nil
}

// stsFor builds the STS client that assumes the identity's role with the
// base credentials creds.
func (s *settings) stsFor(o Options, creds aws.CredentialsProvider, pool *x509.CertPool) (*sts.Client, error) {
	id := o.Identity
	region := o.Region
	if region == "" {
		region = s.region
	}
	if region == "" {
		region = FallbackRegion
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = s.cfg.HTTPClient
		if id.STSEndpoint != "" && pool != nil {
			var err error
			if hc, err = trusting(hc, pool); err != nil {
				return nil, err
			}
		}
	}
	return sts.NewFromConfig(s.cfg, func(so *sts.Options) {
		so.Region = region
		so.Credentials = creds
		if id.STSEndpoint != "" {
			so.BaseEndpoint = aws.String(id.STSEndpoint)
		}
		if s.retryer != nil {
			so.Retryer = s.retryer
		}
		if hc != nil {
			so.HTTPClient = hc
		}
	}), nil
}

// namedCredentials names the identity in the errors of the credentials it
// wraps.
type namedCredentials struct {
	p        aws.CredentialsProvider
	identity string
}

func (n *namedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := n.p.Retrieve(ctx)
	if err != nil {
		return c, &CredentialsError{Identity: n.identity, Err: err}
	}
	return c, nil
}
