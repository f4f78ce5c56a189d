package lambdaenv

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/parityproof/parityproof/internal/config"
)

// awsProfile is one profile of the AWS credentials file written: an S3
// store's key pair.
type awsProfile struct {
	name                    string
	keyID, secretKey, token string
}

// awsKeyPair is what an S3 store's credentials_secret holds.
type awsKeyPair struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
}

// ociKeySecret is what an OCI store's key_secret holds.
type ociKeySecret struct {
	Tenancy    string `json:"tenancy"`
	User       string `json:"user"`
	PrivateKey string `json:"private_key"`
	Region     string `json:"region"`
}

// storesWritten names the stores whose secrets were written.
type storesWritten struct {
	s3, oci []string
}

// awsStoreProfile names the credentials file's profile of an S3 store.
func awsStoreProfile(store string) string { return "parityproof-" + store }

// ociStoreProfile names the OCI configuration file's profile of an OCI
// store.
func ociStoreProfile(store string) string { return "STORE-" + store }

// storeSecrets reads the secrets the configuration's stores name — an S3
// store's key pair (credentials_secret), an OCI store's API key
// (key_secret) — and adds them to the files f writes. Errors name the
// store and the secret, never what it holds.
func (f *secretFiles) storeSecrets(ctx context.Context, cfg *config.Config) (storesWritten, error) {
	var w storesWritten
	for _, name := range cfg.StoreNames {
		s := cfg.Stores[name]
		switch {
		case s.Type == config.S3 && s.CredentialsSecret != "":
			raw, err := f.get(ctx, s.CredentialsSecret, "the key pair secret of store "+name+",")
			if err != nil {
				return w, err
			}
			var kp awsKeyPair
			if err := json.Unmarshal(raw, &kp); err != nil || kp.AccessKeyID == "" || kp.SecretAccessKey == "" {
				return w, fmt.Errorf("store %s: the secret %s is not a key pair: it must hold JSON with access_key_id and secret_access_key (and session_token for temporary keys)", name, s.CredentialsSecret)
			}
			for _, v := range []string{kp.AccessKeyID, kp.SecretAccessKey, kp.SessionToken} {
				if strings.ContainsAny(v, "\n\r[]") {
					return w, fmt.Errorf("store %s: the secret %s holds a key with a line break or bracket, which a credentials file cannot hold", name, s.CredentialsSecret)
				}
			}
			f.aws = append(f.aws, awsProfile{name: awsStoreProfile(name), keyID: kp.AccessKeyID, secretKey: kp.SecretAccessKey, token: kp.SessionToken})
			w.s3 = append(w.s3, name)
		case s.Type == config.OCI && s.KeySecret != "" && s.Auth == config.AuthAPIKey:
			raw, err := f.get(ctx, s.KeySecret, "the OCI key secret of store "+name+",")
			if err != nil {
				return w, err
			}
			var ks ociKeySecret
			if err := json.Unmarshal(raw, &ks); err != nil || ks.Tenancy == "" || ks.User == "" || ks.PrivateKey == "" {
				return w, fmt.Errorf("store %s: the secret %s is not an OCI API key: it must hold JSON with tenancy, user and private_key (and region)", name, s.KeySecret)
			}
			id := ociIdentity{Tenancy: ks.Tenancy, User: ks.User, Region: ks.Region}
			for _, v := range []string{id.Tenancy, id.User, id.Region} {
				if strings.ContainsAny(v, "\n\r=[]") {
					return w, fmt.Errorf("store %s: the secret %s names a tenancy, user or region that cannot go into an OCI configuration file", name, s.KeySecret)
				}
			}
			if err := f.addOCIKey(s.KeySecret, ociStoreProfile(name), "key-"+name+".pem", []byte(ks.PrivateKey), id); err != nil {
				return w, fmt.Errorf("store %s: %w", name, err)
			}
			w.oci = append(w.oci, name)
		}
	}
	return w, nil
}

// writeAWSCredentials writes the AWS credentials file (0600) with a profile
// per S3 store whose key pair is a secret, and returns its path.
func (f *secretFiles) writeAWSCredentials() (string, error) {
	if err := f.mkdir(); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range f.aws {
		fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", p.name, p.keyID, p.secretKey)
		if p.token != "" {
			fmt.Fprintf(&b, "aws_session_token = %s\n", p.token)
		}
	}
	path, err := filepath.Abs(filepath.Join(f.dir, "aws-credentials"))
	if err != nil {
		return "", err
	}
	if err := writePrivate(path, []byte(b.String())); err != nil {
		return "", fmt.Errorf("writing the AWS credentials file: %w", err)
	}
	return path, nil
}
