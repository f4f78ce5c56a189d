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

var _ inventory.KeySampler = (*Store)(nil)

// SampleKeys implements [inventory.KeySampler] with one ListObjectsV2
// after the key, or one ListObjectVersions in a versioned bucket (whose
// keys held only by versions count as keys too).
func (s *Store) SampleKeys(ctx context.Context, after string, n int) ([]string, bool, error) {
	fail := func(err error) ([]string, bool, error) {
		return nil, false, fmt.Errorf("sampling the keys of %s after %q: %w", s.cfg.Name, after, err)
	}
	bucket, prefix, maxKeys := aws.String(s.cfg.Bucket), aws.String(s.cfg.Prefix), aws.Int32(int32(max(1, n)))
	var names []string
	var encoding types.EncodingType
	var more bool
	if s.versioned {
		in := &awss3.ListObjectVersionsInput{Bucket: bucket, Prefix: prefix, MaxKeys: maxKeys, EncodingType: types.EncodingTypeUrl}
		if after != "" {
			in.KeyMarker = aws.String(s.cfg.Prefix + after)
		}
		out, err := s.client.ListObjectVersions(ctx, in, s.lists.objectVersions)
		if err != nil {
			return fail(s.classify(err))
		}
		for _, v := range out.Versions {
			names = append(names, aws.ToString(v.Key))
		}
		for _, m := range out.DeleteMarkers {
			names = append(names, aws.ToString(m.Key))
		}
		encoding, more = out.EncodingType, aws.ToBool(out.IsTruncated)
	} else {
		in := &awss3.ListObjectsV2Input{Bucket: bucket, Prefix: prefix, MaxKeys: maxKeys, EncodingType: types.EncodingTypeUrl}
		if after != "" {
			in.StartAfter = aws.String(s.cfg.Prefix + after)
		}
		out, err := s.client.ListObjectsV2(ctx, in, s.lists.objectsV2)
		if err != nil {
			return fail(s.classify(err))
		}
		for _, o := range out.Contents {
			names = append(names, aws.ToString(o.Key))
		}
		encoding, more = out.EncodingType, aws.ToBool(out.IsTruncated)
	}
	keys := make([]string, 0, len(names))
	for _, name := range names {
		k, err := decodeKey(encoding, name)
		if err != nil {
			return fail(err)
		}
		k, ok := strings.CutPrefix(k, s.cfg.Prefix)
		if !ok {
			return fail(fmt.Errorf("S3 listed %q outside the store's prefix %q", k, s.cfg.Prefix))
		}
		if k > after {
			keys = append(keys, k)
		}
	}
	// Versions and delete markers come in two lists, each in key order.
	slices.Sort(keys)
	return slices.Compact(keys), more, nil
}
