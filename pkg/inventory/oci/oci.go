// Package oci is the [inventory.Store] for OCI Object Storage, through the
// native API and the unmodified github.com/oracle/oci-go-sdk/v65.
//
// It translates what OCI reports into store-neutral fingerprints: the
// listing md5 (base64, or base64-N for multipart objects) is an MD5 from the
// listing; a HEAD adds Content-MD5 or opc-multipart-md5, the additional
// checksums (opc-content-crc32c is of the whole object even for multipart
// uploads; SHA-256 and SHA-384 are whole-object for single uploads and
// composite, opc-multipart-sha256/384, for multipart ones) and rclone's
// opc-meta-md5chksum, which is only asserted. OCI's ETag is an opaque id and
// is never read as a checksum.
package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ociclient"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Errors a user can act on. They are wrapped with the store's name and the
// SDK's error.
var (
	ErrBucketNotFound    = errors.New("bucket not found, or not authorized to read it")
	ErrNamespaceNotFound = errors.New("namespace not found, or not authorized to read it")
	ErrNotAuthorized     = errors.New("not authorized")
)

// Store is an OCI bucket and prefix. It is safe for concurrent use.
type Store struct {
	name, namespace, bucket, prefix, region string
	client                                  *ociclient.Client
	features                                inventory.Features
	pageSize                                int
	log                                     *slog.Logger
}

var _ inventory.Store = (*Store)(nil)

// New connects to the bucket cfg names: it reads the credentials, asks for
// the namespace when the configuration has none, and reads the bucket to
// learn whether it is versioned. Errors name the store.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Store{
		name: cfg.Name, namespace: cfg.Namespace, bucket: cfg.Bucket, prefix: cfg.Prefix,
		pageSize: cfg.PageSize, log: cfg.Logger,
	}
	if s.pageSize == 0 {
		s.pageSize = MaxPageSize
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("store", s.name)

	client, err := ociclient.New(cfg.clientOptions(s.log))
	if err != nil {
		return nil, fmt.Errorf("OCI store %q: %w", cfg.Name, err)
	}
	s.client, s.region = client, client.Region()

	if s.namespace == "" {
		resp, err := s.client.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
		if err != nil {
			return nil, s.fail("getting the namespace", err)
		}
		s.namespace = *resp.Value
	}
	b, err := s.client.GetBucket(ctx, objectstorage.GetBucketRequest{NamespaceName: &s.namespace, BucketName: &s.bucket})
	if err != nil {
		return nil, s.fail("reading the bucket", err)
	}
	versioned := b.Versioning == objectstorage.BucketVersioningEnabled || b.Versioning == objectstorage.BucketVersioningSuspended
	s.features = inventory.Features{
		ListingChecksums: true,
		Versions:         versioned,
		Head:             true,
		Read:             true,
	}
	s.log.Debug("connected", "namespace", s.namespace, "bucket", s.bucket, "region", s.region, "versioned", versioned)
	return s, nil
}

// NewClient returns the Object Storage client of cfg — its credentials,
// region and endpoint — and the region, for tests and tools that seed
// buckets. Its calls are not guarded against the SDK's retry race (see
// pkg/inventory/oci's Store for calls that are) and carry no retry policy
// unless the requests do.
func NewClient(cfg Config) (objectstorage.ObjectStorageClient, string, error) {
	client, err := ociclient.New(cfg.clientOptions(nil))
	if err != nil {
		return objectstorage.ObjectStorageClient{}, "", fmt.Errorf("OCI store %q: %w", cfg.Name, err)
	}
	return client.Unguarded(), client.Region(), nil
}

// Name implements [inventory.Store].
func (s *Store) Name() string { return s.name }

// Features implements [inventory.Store]. Versions is true when the bucket's
// versioning is on (or suspended), so listings report delete markers and
// noncurrent versions. OCI does not report part sizes, and the listing does
// not report unfinished multipart uploads.
func (s *Store) Features() inventory.Features { return s.features }

// Region returns the bucket's region: the configured one, or that of the
// authentication. OCI buckets are reachable only through their region's
// endpoint, so a bucket that answered is in that region (with a custom
// endpoint, the configuration is trusted).
func (s *Store) Region() string { return s.region }

// Namespace returns the Object Storage namespace in use.
func (s *Store) Namespace() string { return s.namespace }

// Head implements [inventory.Store].
func (s *Store) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return inventory.Fingerprint{}, fmt.Errorf("head %q in %s: %w", key, s.name, err)
	}
	name := s.prefix + key
	resp, err := s.client.HeadObject(ctx, objectstorage.HeadObjectRequest{NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: &name})
	if err != nil {
		if se, ok := common.IsServiceError(err); ok && se.GetHTTPStatusCode() == http.StatusNotFound {
			// A HEAD 404 has no body, so it cannot tell a missing object
			// from a missing bucket: ask the bucket before claiming the
			// object is absent, lest a deleted bucket read as deleted keys.
			return inventory.Fingerprint{}, s.notFound(ctx, "head", key, err)
		}
		return inventory.Fingerprint{}, s.fail(fmt.Sprintf("head %q", key), err)
	}
	return s.headFingerprint(key, resp), nil
}

// notFound returns the error for an object the service did not find: one
// wrapping inventory.ErrNotFound if the bucket is there, else the bucket's.
func (s *Store) notFound(ctx context.Context, op, key string, err error) error {
	_, berr := s.client.HeadBucket(ctx, objectstorage.HeadBucketRequest{NamespaceName: &s.namespace, BucketName: &s.bucket})
	if berr != nil {
		if se, ok := common.IsServiceError(berr); ok && se.GetHTTPStatusCode() == http.StatusNotFound {
			return &StoreError{Store: s.name, Doing: fmt.Sprintf("%s %q", op, key), Kind: ErrBucketNotFound, Err: berr,
				Detail: fmt.Sprintf("bucket %q in namespace %q at %s is gone; check the store's bucket, namespace and region", s.bucket, s.namespace, s.endpoint())}
		}
		return s.fail(fmt.Sprintf("%s %q: checking the bucket after a 404", op, key), berr)
	}
	return fmt.Errorf("%s %q in %s: %w", op, key, s.name, inventory.ErrNotFound)
}

// Open implements [inventory.Store]: a ranged GetObject, streamed.
func (s *Store) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %q in %s: %w", key, s.name, err)
	}
	if r.Offset < 0 {
		return nil, fmt.Errorf("open %q in %s: negative offset %d", key, s.name, r.Offset)
	}
	if r.Length == 0 {
		// A zero-length range cannot be asked for; check the object exists.
		fp, err := s.Head(ctx, key)
		if err != nil {
			return nil, err
		}
		if fp.Archived {
			return nil, fmt.Errorf("open %q in %s: %w", key, s.name, inventory.ErrArchived)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	name := s.prefix + key
	req := objectstorage.GetObjectRequest{NamespaceName: &s.namespace, BucketName: &s.bucket, ObjectName: &name}
	switch {
	case r.Offset == 0 && r.Length < 0:
	case r.Length < 0:
		req.Range = common.String(fmt.Sprintf("bytes=%d-", r.Offset))
	default:
		req.Range = common.String(fmt.Sprintf("bytes=%d-%d", r.Offset, r.Offset+r.Length-1))
	}
	resp, err := s.client.GetObject(ctx, req)
	if err != nil {
		if se, ok := common.IsServiceError(err); ok {
			switch {
			case se.GetHTTPStatusCode() == http.StatusNotFound && se.GetCode() != "BucketNotFound" && se.GetCode() != "NamespaceNotFound":
				return nil, s.notFound(ctx, "open", key, err)
			case se.GetHTTPStatusCode() == http.StatusConflict && se.GetCode() == "NotRestored":
				return nil, fmt.Errorf("open %q in %s: %w: %w", key, s.name, inventory.ErrArchived, err)
			}
		}
		return nil, s.fail(fmt.Sprintf("open %q", key), err)
	}
	return resp.Content, nil
}
