// Package backends opens the inventory.Store a store's configuration
// describes, with the backend of its kind. The command line, the demo and
// the Lambda functions share it; no other package switches on a store's
// type.
package backends

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
	"github.com/parityproof/parityproof/pkg/inventory/s3"
)

// Opener opens stores; its zero value logs nothing.
type Opener struct {
	Logger *slog.Logger
}

// Open opens the store s describes, listing pageSize keys a page.
func (o Opener) Open(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch s.Type {
	case config.S3:
		id, err := Identity(s)
		if err != nil {
			return nil, err
		}
		return s3.New(ctx, s3.Config{
			Name: s.Name, Bucket: s.Bucket, Prefix: s.Prefix, Region: s.Region,
			Endpoint: s.Endpoint, PathStyle: s.PathStyle, PageSize: pageSize, Identity: id,
		}, s3.WithLogger(log))
	case config.OCI:
		if s.KeySecret != "" && s.ConfigFile == "" {
			return nil, fmt.Errorf("store %s: its API key is the secret %s, which only the Lambda functions read (on the command line, name an OCI configuration file and profile instead)", s.Name, s.KeySecret)
		}
		return oci.New(ctx, oci.Config{
			Name: s.Name, Namespace: s.Namespace, Bucket: s.Bucket, Prefix: s.Prefix, Region: s.Region,
			Endpoint: s.Endpoint, Auth: oci.Auth(s.Auth), ConfigFile: s.ConfigFile, Profile: s.Profile,
			PageSize: pageSize, Logger: log,
		})
	}
	return nil, fmt.Errorf("store %s: unknown type %q", s.Name, s.Type)
}

// Identity is the awsclient identity of an S3 store: whose credentials
// sign its requests and whom its endpoint's certificate must chain to. A
// credentials_secret is usable only once the Lambda functions have written
// it to a credentials file (internal/lambdaenv).
func Identity(s config.Store) (awsclient.Identity, error) {
	if s.CredentialsSecret != "" && s.CredentialsFile == "" {
		return awsclient.Identity{}, fmt.Errorf("store %s: its key pair is the secret %s, which only the Lambda functions read (on the command line, name a profile or environment variables instead)", s.Name, s.CredentialsSecret)
	}
	session := s.RoleSessionName
	if session == "" && s.RoleARN != "" {
		session = "parityproof-" + s.Name
		session = session[:min(len(session), 64)]
	}
	return awsclient.Identity{
		Profile: s.Profile, CredentialsFile: s.CredentialsFile, Secret: s.CredentialsSecret,
		AccessKeyIDEnv: s.AccessKeyIDEnv, SecretAccessKeyEnv: s.SecretAccessKeyEnv, SessionTokenEnv: s.SessionTokenEnv,
		RoleARN: s.RoleARN, ExternalID: s.ExternalID, SessionName: session, STSEndpoint: s.STSEndpoint,
		CABundle: s.CABundle,
	}, nil
}
