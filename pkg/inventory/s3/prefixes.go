package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parityproof/parityproof/pkg/inventory"
)

var _ inventory.PrefixLister = (*Store)(nil)

// Prefixes implements [inventory.PrefixLister] with a delimiter listing:
// ListObjectsV2, or ListObjectVersions in a versioned bucket so that a
// prefix holding only deleted keys is not missed.
func (s *Store) Prefixes(ctx context.Context, delimiter string) ([]string, error) {
	var out []string
	add := func(encoding types.EncodingType, prefixes []types.CommonPrefix) error {
		for _, p := range prefixes {
			k, err := decodeKey(encoding, aws.ToString(p.Prefix))
			if err != nil {
				return err
			}
			if !strings.HasPrefix(k, s.cfg.Prefix) {
				return fmt.Errorf("S3 listed the common prefix %q outside the store's prefix %q", k, s.cfg.Prefix)
			}
			out = append(out, k[len(s.cfg.Prefix):])
		}
		return nil
	}
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("listing the prefixes of %s by %q: %w", s.cfg.Name, delimiter, err)
	}
	bucket, prefix, delim := aws.String(s.cfg.Bucket), aws.String(s.cfg.Prefix), aws.String(delimiter)
	maxKeys := aws.Int32(int32(s.cfg.PageSize))
	if s.versioned {
		in := &awss3.ListObjectVersionsInput{Bucket: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, EncodingType: types.EncodingTypeUrl}
		for {
			resp, err := again(ctx, s, "ListObjectVersions", func() (*awss3.ListObjectVersionsOutput, error) {
				return s.client.ListObjectVersions(ctx, in, s.lists.objectVersions)
			})
			if err != nil {
				return fail(s.classify(err))
			}
			if err := add(resp.EncodingType, resp.CommonPrefixes); err != nil {
				return fail(err)
			}
			if !aws.ToBool(resp.IsTruncated) {
				break
			}
			next, err := decodeKey(resp.EncodingType, aws.ToString(resp.NextKeyMarker))
			if err != nil || next == "" {
				return fail(fmt.Errorf("ListObjectVersions was truncated without a usable next key marker %q: %v", aws.ToString(resp.NextKeyMarker), err))
			}
			in.KeyMarker, in.VersionIdMarker = aws.String(next), resp.NextVersionIdMarker
		}
	} else {
		in := &awss3.ListObjectsV2Input{Bucket: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, EncodingType: types.EncodingTypeUrl}
		for {
			resp, err := again(ctx, s, "ListObjectsV2", func() (*awss3.ListObjectsV2Output, error) { return s.client.ListObjectsV2(ctx, in, s.lists.objectsV2) })
			if err != nil {
				return fail(s.classify(err))
			}
			if err := add(resp.EncodingType, resp.CommonPrefixes); err != nil {
				return fail(err)
			}
			if !aws.ToBool(resp.IsTruncated) || aws.ToString(resp.NextContinuationToken) == "" {
				break
			}
			in.ContinuationToken = resp.NextContinuationToken
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
