// Package lambdaenv prepares what a parityproof Lambda function needs from
// its environment: the configuration, read from an S3 object or an SSM
// parameter the environment names, and the OCI API signing key, read from
// Secrets Manager and written to a private file with an OCI configuration
// file beside it. Nothing secret passes through environment variables or
// logs: the environment names where secrets are, never what they are.
//
// Environment variables:
//
//	PARITYPROOF_CONFIG            s3://BUCKET/KEY or ssm:NAME (ssm:/parityproof/config); required
//	PARITYPROOF_OCI_KEY_SECRET    name or ARN of a secret whose string is the OCI API key's PEM; optional
//	PARITYPROOF_OCI_TENANCY       the tenancy OCID the key belongs to; required with the secret
//	PARITYPROOF_OCI_USER          the user OCID the key belongs to; required with the secret
//	PARITYPROOF_OCI_REGION        the OCI configuration file's region; optional
//	PARITYPROOF_SNS_TOPIC         SNS topic for report summaries when the configuration names none; optional
//
// With a key secret, every OCI store and location of the configuration that
// authenticates with an API key (auth: api_key, the default) and names no
// key_secret of its own is pointed at the written configuration file's
// DEFAULT profile, whatever config_file and profile it named.
//
// Stores name secrets of their own: an OCI store's key_secret (JSON with
// tenancy, user, private_key and optionally region) becomes a key file and
// the profile STORE-<store> of the same configuration file; an S3 store's
// credentials_secret (JSON with access_key_id, secret_access_key and
// optionally session_token) becomes the profile parityproof-<store> of an
// AWS credentials file, which the store's client reads (and no other).
// Every file is 0600 in a 0700 folder ($TMPDIR/parityproof-secrets). The
// secrets themselves are read with the function's own identity. AWS clients
// come from awsclient and take their region, credentials and endpoints
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, …) from the default AWS chain,
// but for the stores' own identities.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/awsclient/secrets"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ocikey"
)

// The environment variables Load reads.
const (
	EnvConfig       = "PARITYPROOF_CONFIG"
	EnvOCIKeySecret = "PARITYPROOF_OCI_KEY_SECRET"
	EnvOCITenancy   = "PARITYPROOF_OCI_TENANCY"
	EnvOCIUser      = "PARITYPROOF_OCI_USER"
	EnvOCIRegion    = "PARITYPROOF_OCI_REGION"
	EnvSNSTopic     = "PARITYPROOF_SNS_TOPIC"
)

// ErrNoConfig is returned (wrapped) when the environment names no
// configuration.
var ErrNoConfig = errors.New(EnvConfig + " is not set: name the configuration as s3://BUCKET/KEY or ssm:/PARAMETER")

// Options qualify Load.
type Options struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Dir is where the keys, the OCI configuration file and the AWS
	// credentials file are written; "" means parityproof-secrets in
	// os.TempDir() (/tmp in Lambda).
	Dir    string
	Logger *slog.Logger
	// SkipStoreSecrets leaves the stores' own secrets unread, for a
	// function that opens no store (the report function): its role need
	// not read them.
	SkipStoreSecrets bool
}

// Env is a function's prepared environment.
type Env struct {
	// Config is the parsed configuration, its OCI API key settings pointed
	// at OCIConfigFile when a key secret is named.
	Config *config.Config
	// Source is where the configuration was read from.
	Source string
	// OCIConfigFile is the OCI configuration file written for the key
	// secrets, "" when none is named.
	OCIConfigFile string
	// SNSTopic is the topic report summaries go to: the configuration's
	// notify.sns_topic, else PARITYPROOF_SNS_TOPIC, else "".
	SNSTopic string
}

// Load reads the configuration and the OCI key the environment names.
func Load(ctx context.Context, o Options) (*Env, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src := strings.TrimSpace(getenv(EnvConfig))
	if src == "" {
		return nil, ErrNoConfig
	}
	data, err := fetchConfig(ctx, src)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(src, data)
	if err != nil {
		return nil, err
	}
	env := &Env{Config: cfg, Source: src, SNSTopic: cfg.Notify.SNSTopic}
	if env.SNSTopic == "" {
		env.SNSTopic = getenv(EnvSNSTopic)
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "parityproof-secrets")
	}
	sec := &secretFiles{dir: dir}
	if secret := getenv(EnvOCIKeySecret); secret != "" {
		id := ociIdentity{Tenancy: getenv(EnvOCITenancy), User: getenv(EnvOCIUser), Region: getenv(EnvOCIRegion)}
		if err := id.check(); err != nil {
			return nil, err
		}
		if err := sec.ociKey(ctx, secret, "DEFAULT", "key.pem", id); err != nil {
			return nil, err
		}
	}
	var stores storesWritten
	if !o.SkipStoreSecrets {
		if stores, err = sec.storeSecrets(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if len(sec.oci) > 0 {
		if env.OCIConfigFile, err = sec.writeOCIConfig(); err != nil {
			return nil, err
		}
		if getenv(EnvOCIKeySecret) != "" {
			pointAt(cfg, env.OCIConfigFile)
		}
		for _, name := range stores.oci {
			s := cfg.Stores[name]
			s.ConfigFile, s.Profile = env.OCIConfigFile, ociStoreProfile(name)
			cfg.Stores[name] = s
		}
	}
	if len(stores.s3) > 0 {
		path, err := sec.writeAWSCredentials()
		if err != nil {
			return nil, err
		}
		for _, name := range stores.s3 {
			s := cfg.Stores[name]
			s.CredentialsFile, s.Profile = path, awsStoreProfile(name)
			cfg.Stores[name] = s
		}
	}
	log.Info("configuration loaded", "source", src, "sha256", cfg.Digest, "oci_key_from_secret", getenv(EnvOCIKeySecret) != "",
		"store_secrets", len(stores.s3)+len(stores.oci))
	return env, nil
}

// fetchConfig reads the configuration's bytes from src.
func fetchConfig(ctx context.Context, src string) ([]byte, error) {
	switch {
	case strings.HasPrefix(src, "s3://"):
		u, err := url.Parse(src)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%s %q: an S3 configuration is s3://BUCKET/KEY", EnvConfig, src)
		}
		client, err := awsclient.S3(ctx, awsclient.Options{})
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", src, err)
		}
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.Host), Key: aws.String(strings.TrimPrefix(u.Path, "/"))})
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", src, err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(io.LimitReader(out.Body, 1<<20+1))
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", src, err)
		}
		if len(b) > 1<<20 {
			return nil, fmt.Errorf("the configuration %s is larger than 1 MiB", src)
		}
		return b, nil
	case strings.HasPrefix(src, "ssm:"):
		name := strings.TrimPrefix(src, "ssm:")
		if name == "" || name == "/" {
			return nil, fmt.Errorf("%s %q names no SSM parameter (ssm:/NAME)", EnvConfig, src)
		}
		client, err := secrets.SSM(ctx, awsclient.Options{})
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", src, err)
		}
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", src, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return nil, fmt.Errorf("reading the configuration %s: the parameter has no value", src)
		}
		return []byte(*out.Parameter.Value), nil
	}
	return nil, fmt.Errorf("%s %q: name the configuration as s3://BUCKET/KEY or ssm:/PARAMETER", EnvConfig, src)
}

// ociIdentity is what an OCI configuration file says besides the key.
type ociIdentity struct {
	Tenancy, User, Region string
}

// check refuses an identity the key cannot be used with, or whose values
// would break the configuration file.
func (id ociIdentity) check() error {
	var missing []string
	if id.Tenancy == "" {
		missing = append(missing, EnvOCITenancy)
	}
	if id.User == "" {
		missing = append(missing, EnvOCIUser)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s is set but %s is not: the OCI key needs the tenancy and user it belongs to", EnvOCIKeySecret, strings.Join(missing, " and "))
	}
	for name, v := range map[string]string{EnvOCITenancy: id.Tenancy, EnvOCIUser: id.User, EnvOCIRegion: id.Region} {
		if strings.ContainsAny(v, "\n\r=[]") {
			return fmt.Errorf("%s %q cannot go into an OCI configuration file", name, v)
		}
	}
	return nil
}

// ociProfile is one profile of the OCI configuration file written: a key
// and whom it belongs to.
type ociProfile struct {
	name, keyPath, fingerprint string
	id                         ociIdentity
}

// secretFiles writes what secrets hold into dir (0700): OCI keys and the
// OCI configuration file naming them, and an AWS credentials file with a
// profile per S3 store whose key pair is a secret.
type secretFiles struct {
	dir    string
	client *secretsmanager.Client
	oci    []ociProfile
	aws    []awsProfile
}

// get reads a secret's string (or binary) value. Errors never quote it.
func (f *secretFiles) get(ctx context.Context, secret, what string) ([]byte, error) {
	if f.client == nil {
		c, err := secrets.SecretsManager(ctx, awsclient.Options{})
		if err != nil {
			return nil, fmt.Errorf("reading %s %s: %w", what, secret, err)
		}
		f.client = c
	}
	out, err := f.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, secret, err)
	}
	switch {
	case out.SecretString != nil:
		return []byte(*out.SecretString), nil
	case out.SecretBinary != nil:
		return out.SecretBinary, nil
	}
	return nil, fmt.Errorf("%s %s holds no value", what, secret)
}

// ociKey reads the PEM of an OCI API key from secret, writes it as
// keyFile (0600) and adds the profile that names it.
func (f *secretFiles) ociKey(ctx context.Context, secret, profile, keyFile string, id ociIdentity) error {
	keyPEM, err := f.get(ctx, secret, "the OCI key secret")
	if err != nil {
		return err
	}
	return f.addOCIKey(secret, profile, keyFile, keyPEM, id)
}

func (f *secretFiles) addOCIKey(secret, profile, keyFile string, keyPEM []byte, id ociIdentity) error {
	key, err := ocikey.ParsePrivate(keyPEM)
	if errors.Is(err, ocikey.ErrEncrypted) {
		return fmt.Errorf("the OCI key secret %s: %w: store the unencrypted PEM (Secrets Manager encrypts it)", secret, err)
	}
	if err != nil {
		return fmt.Errorf("the OCI key secret %s: %w", secret, err)
	}
	fingerprint, err := ocikey.Fingerprint(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("the OCI key secret %s: %w", secret, err)
	}
	if err := f.mkdir(); err != nil {
		return err
	}
	keyPath, err := filepath.Abs(filepath.Join(f.dir, keyFile))
	if err != nil {
		return err
	}
	if strings.ContainsAny(keyPath, "=\n") {
		return fmt.Errorf("the OCI key's path %q contains '=' or a newline, which OCI configuration files cannot hold", keyPath)
	}
	if err := writePrivate(keyPath, keyPEM); err != nil {
		return fmt.Errorf("writing the OCI key: %w", err)
	}
	f.oci = append(f.oci, ociProfile{name: profile, keyPath: keyPath, fingerprint: fingerprint, id: id})
	return nil
}

// mkdir makes the private folder the files go into.
func (f *secretFiles) mkdir() error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("creating %s for the secrets: %w", f.dir, err)
	}
	if err := os.Chmod(f.dir, 0o700); err != nil {
		return fmt.Errorf("making %s private: %w", f.dir, err)
	}
	return nil
}

// writeOCIConfig writes the OCI configuration file (0600) with every
// profile added, and returns its path.
func (f *secretFiles) writeOCIConfig() (string, error) {
	var b strings.Builder
	for _, p := range f.oci {
		fmt.Fprintf(&b, "[%s]\nuser=%s\nfingerprint=%s\ntenancy=%s\n", p.name, p.id.User, p.fingerprint, p.id.Tenancy)
		if p.id.Region != "" {
			fmt.Fprintf(&b, "region=%s\n", p.id.Region)
		}
		fmt.Fprintf(&b, "key_file=%s\n", p.keyPath)
	}
	cfgPath, err := filepath.Abs(filepath.Join(f.dir, "config"))
	if err != nil {
		return "", err
	}
	if err := writePrivate(cfgPath, []byte(b.String())); err != nil {
		return "", fmt.Errorf("writing the OCI configuration file: %w", err)
	}
	return cfgPath, nil
}

// writePrivate writes data to path with mode 0600, replacing what is there
// (whatever its mode was) by a rename.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// pointAt points every OCI store and location that authenticates with an
// API key at the DEFAULT profile of the configuration file path.
func pointAt(cfg *config.Config, path string) {
	for name, s := range cfg.Stores {
		if s.Type == config.OCI && s.Auth == config.AuthAPIKey && s.KeySecret == "" {
			s.ConfigFile, s.Profile = path, "DEFAULT"
			cfg.Stores[name] = s
		}
	}
	for _, loc := range []*config.Location{&cfg.State, &cfg.Reports} {
		if loc.Scheme == "oci" && (loc.Auth == "" || loc.Auth == config.AuthAPIKey) {
			loc.ConfigFile, loc.Profile = path, "DEFAULT"
		}
	}
}
