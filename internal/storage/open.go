package storage

import (
	"context"
	"fmt"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// Open returns the Store at a configured location.
func Open(ctx context.Context, loc config.Location) (Store, error) {
	switch loc.Scheme {
	case "file":
		return NewDir(loc.Dir)
	case "s3":
		return NewS3(ctx, S3Location{Bucket: loc.Bucket, Prefix: loc.Prefix, Region: loc.Region, Endpoint: loc.Endpoint, PathStyle: loc.PathStyle})
	case "oci":
		return NewOCI(oci.Config{
			Name: loc.Raw, Namespace: loc.Namespace, Bucket: loc.Bucket, Prefix: loc.Prefix, Region: loc.Region,
			Endpoint: loc.Endpoint, Auth: oci.Auth(loc.Auth), ConfigFile: loc.ConfigFile, Profile: loc.Profile,
		})
	}
	return nil, fmt.Errorf("location %s: unknown scheme %q", loc, loc.Scheme)
}
