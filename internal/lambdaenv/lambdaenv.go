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
// authenticates with an API key (auth: api_key, the default) is pointed at
// the written configuration file's DEFAULT profile, whatever config_file
// and profile it named. AWS clients come from awsclient and take their
// region, credentials and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// …) from the default AWS chain.
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
	// Dir is where the OCI key and configuration file are written; ""
	// means parityproof-oci in os.TempDir() (/tmp in Lambda).
	Dir    string
	Logger *slog.Logger
}

// Env is a function's prepared environment.
type Env struct {
	// Config is the parsed configuration, its OCI API key settings pointed
	// at OCIConfigFile when a key secret is named.
	Config *config.Config
	// Source is where the configuration was read from.
	Source string
	// OCIConfigFile is the OCI configuration file written for the key
	// secret, "" when none is named.
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
	if secret := getenv(EnvOCIKeySecret); secret != "" {
		dir := o.Dir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "parityproof-oci")
		}
		id := ociIdentity{Tenancy: getenv(EnvOCITenancy), User: getenv(EnvOCIUser), Region: getenv(EnvOCIRegion)}
		if env.OCIConfigFile, err = writeOCIKey(ctx, secret, id, dir); err != nil {
			return nil, err
		}
		pointAt(cfg, env.OCIConfigFile)
	}
	log.Info("configuration loaded", "source", src, "sha256", cfg.Digest, "oci_key_from_secret", env.OCIConfigFile != "")
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

// writeOCIKey reads the key secret, writes it as key.pem (0600) and an OCI
// configuration file (0600) with a DEFAULT profile into dir (0700), and
// returns the configuration file's path. Errors never quote the secret.
func writeOCIKey(ctx context.Context, secret string, id ociIdentity, dir string) (string, error) {
	var missing []string
	if id.Tenancy == "" {
		missing = append(missing, EnvOCITenancy)
	}
	if id.User == "" {
		missing = append(missing, EnvOCIUser)
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s is set but %s is not: the OCI key needs the tenancy and user it belongs to", EnvOCIKeySecret, strings.Join(missing, " and "))
	}
	for name, v := range map[string]string{EnvOCITenancy: id.Tenancy, EnvOCIUser: id.User, EnvOCIRegion: id.Region} {
		if strings.ContainsAny(v, "\n\r=[]") {
			return "", fmt.Errorf("%s %q cannot go into an OCI configuration file", name, v)
		}
	}
	client, err := secrets.SecretsManager(ctx, awsclient.Options{})
	if err != nil {
		return "", fmt.Errorf("reading the OCI key secret %s: %w", secret, err)
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
	if err != nil {
		return "", fmt.Errorf("reading the OCI key secret %s: %w", secret, err)
	}
	var keyPEM []byte
	switch {
	case out.SecretString != nil:
		keyPEM = []byte(*out.SecretString)
	case out.SecretBinary != nil:
		keyPEM = out.SecretBinary
	}
	key, err := ocikey.ParsePrivate(keyPEM)
	if errors.Is(err, ocikey.ErrEncrypted) {
		return "", fmt.Errorf("the OCI key secret %s: %w: store the unencrypted PEM (Secrets Manager encrypts it)", secret, err)
	}
	if err != nil {
		return "", fmt.Errorf("the OCI key secret %s: %w", secret, err)
	}
	fingerprint, err := ocikey.Fingerprint(&key.PublicKey)
	if err != nil {
		return "", fmt.Errorf("the OCI key secret %s: %w", secret, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s for the OCI key: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("making %s private: %w", dir, err)
	}
	keyPath, err := filepath.Abs(filepath.Join(dir, "key.pem"))
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(keyPath, "=\n") {
		return "", fmt.Errorf("the OCI key's path %q contains '=' or a newline, which OCI configuration files cannot hold", keyPath)
	}
	if err := writePrivate(keyPath, keyPEM); err != nil {
		return "", fmt.Errorf("writing the OCI key: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[DEFAULT]\nuser=%s\nfingerprint=%s\ntenancy=%s\n", id.User, fingerprint, id.Tenancy)
	if id.Region != "" {
		fmt.Fprintf(&b, "region=%s\n", id.Region)
	}
	fmt.Fprintf(&b, "key_file=%s\n", keyPath)
	cfgPath := filepath.Join(filepath.Dir(keyPath), "config")
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
		if s.Type == config.OCI && s.Auth == config.AuthAPIKey {
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
