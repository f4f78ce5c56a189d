// Package backends opens the inventory.Store a store's configuration
// describes, with the backend of its kind. The command line, the demo and
// the Lambda functions share it; no other package switches on a store's
// type.
package backends

import (
	"context"
	"fmt"
	"log/slog"

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
		return s3.New(ctx, s3.Config{
			Name: s.Name, Bucket: s.Bucket, Prefix: s.Prefix, Region: s.Region,
			Endpoint: s.Endpoint, PathStyle: s.PathStyle, PageSize: pageSize,
		}, s3.WithLogger(log))
	case config.OCI:
		return oci.New(ctx, oci.Config{
			Name: s.Name, Namespace: s.Namespace, Bucket: s.Bucket, Prefix: s.Prefix, Region: s.Region,
			Endpoint: s.Endpoint, Auth: oci.Auth(s.Auth), ConfigFile: s.ConfigFile, Profile: s.Profile,
			PageSize: pageSize, Logger: log,
		})
	}
	return nil, fmt.Errorf("store %s: unknown type %q", s.Name, s.Type)
}
