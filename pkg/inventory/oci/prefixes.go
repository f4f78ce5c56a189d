package oci

import (
	"context"
	"fmt"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory"
)

var _ inventory.PrefixLister = (*Store)(nil)

// Prefixes implements [inventory.PrefixLister] with a delimiter listing.
// OCI supports only "/" as a delimiter. In a versioned bucket the versions
// are listed, so that a prefix holding only deleted keys is not missed.
func (s *Store) Prefixes(ctx context.Context, delimiter string) ([]string, error) {
	if delimiter != "/" {
		return nil, fmt.Errorf("OCI store %q: listing prefixes: OCI supports only the delimiter \"/\", not %q", s.name, delimiter)
	}
	var out []string
	add := func(ps []string) error {
		for _, p := range ps {
			k, err := s.key(p)
			if err != nil {
				return err
			}
			if len(out) > 0 && k <= out[len(out)-1] {
				if k == out[len(out)-1] {
					continue
				}
				return fmt.Errorf("OCI store %q: listing prefixes: %q came after %q", s.name, k, out[len(out)-1])
			}
			out = append(out, k)
		}
		return nil
	}
	var pfx *string
	if s.prefix != "" {
		pfx = common.String(s.prefix)
	}
	if s.features.Versions {
		req := objectstorage.ListObjectVersionsRequest{NamespaceName: &s.namespace, BucketName: &s.bucket, Prefix: pfx,
			Delimiter: common.String("/"), Limit: common.Int(MaxPageSize)}
		for {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("OCI store %q: listing prefixes: %w", s.name, err)
			}
			resp, err := s.client.ListObjectVersions(ctx, req)
			if err != nil {
				return nil, s.fail("listing prefixes", err)
			}
			if err := add(resp.Prefixes); err != nil {
				return nil, err
			}
			if resp.OpcNextPage == nil || *resp.OpcNextPage == "" {
				return out, nil
			}
			req.Page = resp.OpcNextPage
		}
	}
	req := objectstorage.ListObjectsRequest{NamespaceName: &s.namespace, BucketName: &s.bucket, Prefix: pfx,
		Delimiter: common.String("/"), Limit: common.Int(MaxPageSize)}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("OCI store %q: listing prefixes: %w", s.name, err)
		}
		resp, err := s.client.ListObjects(ctx, req)
		if err != nil {
			return nil, s.fail("listing prefixes", err)
		}
		if err := add(resp.Prefixes); err != nil {
			return nil, err
		}
		next := resp.NextStartWith
		if next == nil || *next == "" {
			return out, nil
		}
		if req.Start != nil && *next <= *req.Start {
			return nil, fmt.Errorf("OCI store %q: listing prefixes: nextStartWith %q does not move past %q", s.name, *next, *req.Start)
		}
		req.Start = next
	}
}
