package oci

import (
	"context"
	"fmt"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory"
)

var _ inventory.KeySampler = (*Store)(nil)

// SampleKeys implements [inventory.KeySampler] with one ListObjects after
// the key, asking for names only.
func (s *Store) SampleKeys(ctx context.Context, after string, n int) ([]string, bool, error) {
	req := objectstorage.ListObjectsRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket,
		Limit: common.Int(max(1, n)), Fields: common.String("name"),
	}
	if s.prefix != "" {
		req.Prefix = common.String(s.prefix)
	}
	if after != "" {
		req.StartAfter = common.String(s.prefix + after)
	}
	resp, err := s.client.ListObjects(ctx, req)
	if err != nil {
		return nil, false, s.fail(fmt.Sprintf("sampling the keys after %q", after), err)
	}
	keys := make([]string, 0, len(resp.Objects))
	for _, o := range resp.Objects {
		k, err := s.key(*o.Name)
		if err != nil {
			return nil, false, err
		}
		if k > after {
			keys = append(keys, k)
		}
	}
	more := resp.NextStartWith != nil && *resp.NextStartWith != ""
	return keys, more, nil
}
