package oci

import (
	"context"
	"fmt"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// listFields are the fields ListObjects is asked for.
const listFields = "name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState"

// List implements [inventory.Store]. It lists current objects with
// ListObjects, or with ListObjectVersions when the bucket is versioned,
// folding each key's versions into one fingerprint. The next page is
// fetched while the caller consumes the current one.
func (s *Store) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	fetch := s.listObjects
	if s.features.Versions {
		fetch = s.listVersions
	}
	return inventory.Prefetch(ctx, fmt.Sprintf("listing %s of %s", r, s.name), func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
		return fetch(ctx, r, emit)
	})
}

// bounds returns the object-name bounds of r under the prefix: start
// (inclusive) and end (exclusive, "" for none).
func (s *Store) bounds(r inventory.KeyRange) (start, end string) {
	start = s.prefix + r.Start
	if r.End != "" {
		end = s.prefix + r.End
	}
	return start, end
}

// key returns the logical key of an object name.
func (s *Store) key(name string) (string, error) {
	k, ok := strings.CutPrefix(name, s.prefix)
	if !ok {
		return "", fmt.Errorf("OCI store %q: the listing returned %q, outside the prefix %q", s.name, name, s.prefix)
	}
	return k, nil
}

// listObjects pages through ListObjects, calling emit with each page's
// fingerprints until emit returns false.
func (s *Store) listObjects(ctx context.Context, r inventory.KeyRange, emit func([]inventory.Fingerprint) bool) error {
	start, end := s.bounds(r)
	req := objectstorage.ListObjectsRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket,
		Limit: common.Int(s.pageSize), Fields: common.String(listFields),
	}
	if s.prefix != "" {
		req.Prefix = common.String(s.prefix)
	}
	if end != "" {
		req.End = common.String(end)
	}
	for {
		if start != "" {
			req.Start = common.String(start)
		}
		resp, err := s.client.ListObjects(ctx, req)
		if err != nil {
			return s.fail(fmt.Sprintf("listing %s from %q", r, start), err)
		}
		fps := make([]inventory.Fingerprint, 0, len(resp.Objects))
		for _, o := range resp.Objects {
			k, err := s.key(*o.Name)
			if err != nil {
				return err
			}
			fp := s.fingerprint(k, fromSummary(o))
			fps = append(fps, fp)
		}
		if len(fps) > 0 && !emit(fps) {
			return nil
		}
		if resp.NextStartWith == nil || *resp.NextStartWith == "" {
			return nil
		}
		if next := *resp.NextStartWith; next <= start {
			return fmt.Errorf("OCI store %q: listing %s: nextStartWith %q does not move past %q", s.name, r, next, start)
		}
		start = *resp.NextStartWith
	}
}

// listVersions pages through ListObjectVersions and folds each name's
// versions (newest first, as the service lists them) into one fingerprint.
// A name's versions may straddle pages, so the last name of a page is held
// back until the next page shows it is complete.
func (s *Store) listVersions(ctx context.Context, r inventory.KeyRange, emit func([]inventory.Fingerprint) bool) error {
	start, end := s.bounds(r)
	req := objectstorage.ListObjectVersionsRequest{
		NamespaceName: &s.namespace, BucketName: &s.bucket, Limit: common.Int(s.pageSize),
		// Fields is set by versionFieldsInterceptor.
	}
	if s.prefix != "" {
		req.Prefix = common.String(s.prefix)
	}
	if start != "" {
		req.Start = common.String(start)
	}
	if end != "" {
		req.End = common.String(end)
	}
	var held []objectstorage.ObjectVersionSummary
	for {
		resp, err := s.client.ListObjectVersions(ctx, req)
		if err != nil {
			return s.fail(fmt.Sprintf("listing versions %s", r), err)
		}
		var fps []inventory.Fingerprint
		for _, v := range resp.Items {
			if len(held) > 0 && *held[0].Name != *v.Name {
				fp, err := s.fold(held)
				if err != nil {
					return err
				}
				fps = append(fps, fp)
				held = held[:0]
			}
			held = append(held, v)
		}
		last := resp.OpcNextPage == nil || *resp.OpcNextPage == ""
		if last && len(held) > 0 {
			fp, err := s.fold(held)
			if err != nil {
				return err
			}
			fps = append(fps, fp)
		}
		if len(fps) > 0 && !emit(fps) {
			return nil
		}
		if last {
			return nil
		}
		if req.Page != nil && *req.Page == *resp.OpcNextPage {
			return fmt.Errorf("OCI store %q: listing versions %s: the next page token repeats", s.name, r)
		}
		req.Page = resp.OpcNextPage
	}
}

// fold makes one fingerprint of one name's versions, newest first.
func (s *Store) fold(vs []objectstorage.ObjectVersionSummary) (inventory.Fingerprint, error) {
	k, err := s.key(*vs[0].Name)
	if err != nil {
		return inventory.Fingerprint{}, err
	}
	noncurrent := 0
	for _, v := range vs[1:] {
		if v.IsDeleteMarker == nil || !*v.IsDeleteMarker {
			noncurrent++
		}
	}
	newest := vs[0]
	if newest.IsDeleteMarker == nil || !*newest.IsDeleteMarker {
		fp := s.fingerprint(k, fromVersion(newest))
		fp.NoncurrentVersions = noncurrent
		return fp, nil
	}
	// The newest version is a delete marker: describe the newest data
	// version it hides, if any.
	for _, v := range vs[1:] {
		if v.IsDeleteMarker == nil || !*v.IsDeleteMarker {
			fp := s.fingerprint(k, fromVersion(v))
			fp.Presence = inventory.DeleteMarker
			fp.NoncurrentVersions = noncurrent
			return fp, nil
		}
	}
	return inventory.Fingerprint{Key: k, Presence: inventory.DeleteMarker, Modified: sdkTime(newest.TimeModified)}, nil
}
