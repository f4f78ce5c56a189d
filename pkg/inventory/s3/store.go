// Package s3 is the [inventory.Store] of S3 buckets and S3-compatible
// stores, on the AWS SDK for Go v2.
//
// It translates what S3 reports into store-neutral fingerprints: the ETag
// (unquoted) and, when it has the form of one, the MD5 it stands for
// ([inventory.FromETag]); the additional checksums, encryption and part
// layout that a HEAD with ChecksumMode ENABLED reports; the storage class
// and whether it must be restored before a read. Versioned buckets are
// listed with ListObjectVersions, folded into one fingerprint per key, and
// unfinished multipart uploads are attached to their keys.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Store is one S3 bucket and prefix. It is safe for concurrent use.
type Store struct {
	cfg       Config
	region    string
	client    *awss3.Client
	log       *slog.Logger
	versioned bool
	// identity describes whose credentials sign the requests, for errors.
	identity string
	// lists decodes listing responses (fastlist.go).
	lists listDecoders
}

// Option changes how [New] builds a Store.
type Option func(*options)

type options struct {
	credentials aws.CredentialsProvider
	httpClient  awss3.HTTPClient
	log         *slog.Logger
}

// WithCredentials uses p instead of the default AWS credential chain.
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) { o.credentials = p }
}

// WithHTTPClient sends requests through c instead of the SDK's default
// client (which honours AWS_CA_BUNDLE).
func WithHTTPClient(c awss3.HTTPClient) Option {
	return func(o *options) { o.httpClient = c }
}

// WithLogger logs through l; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// New returns the store cfg describes. It asks the bucket whether it is
// versioned, so that a missing bucket, refused credentials, a wrong region
// or an unreachable endpoint show at once, as a [StoreError].
func New(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, fn := range opts {
		fn(&o)
	}
	co := clientOptions(cfg, o)
	client, err := awsclient.S3(ctx, co)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", cfg.Name, err)
	}
	region := client.Options().Region
	s := &Store{cfg: cfg, region: region, client: client, log: o.log, identity: co.Identity.String()}
	s.lists.log = o.log
	v, err := again(ctx, s, "GetBucketVersioning", func() (*awss3.GetBucketVersioningOutput, error) {
		return client.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String(cfg.Bucket)})
	})
	if err != nil {
		var se *StoreError
		if err := s.classify(err); errors.As(err, &se) {
			return nil, err // it names the store
		}
		return nil, fmt.Errorf("opening store %s: %w", cfg.Name, err)
	}
	s.versioned = v.Status == types.BucketVersioningStatusEnabled || v.Status == types.BucketVersioningStatusSuspended
	s.log.Debug("opened S3 store", "store", cfg.Name, "bucket", cfg.Bucket, "prefix", cfg.Prefix,
		"region", region, "versioning", string(v.Status), "identity", s.identity)
	return s, nil
}

// clientOptions says how to build the store's client.
func clientOptions(cfg Config, o options) awsclient.Options {
	id := cfg.Identity
	if o.credentials != nil {
		id.Credentials = o.credentials
	}
	return awsclient.Options{
		Region:     cfg.Region,
		Endpoint:   cfg.Endpoint,
		PathStyle:  cfg.PathStyle,
		Identity:   id,
		Retry:      awsclient.Retry{Mode: awsclient.RetryMode(cfg.Retry.Mode), MaxAttempts: cfg.Retry.MaxAttempts, MaxBackoff: cfg.Retry.MaxBackoff},
		HTTPClient: o.httpClient,
	}
}

// Name implements [inventory.Store].
func (s *Store) Name() string { return s.cfg.Name }

// Versioned reports whether the bucket is versioned (versioning enabled or
// suspended) as it was when the store was opened.
func (s *Store) Versioned() bool { return s.versioned }

// Features implements [inventory.Store]. Listings carry ETags, MD5s unless
// the object is encrypted with SSE-KMS or SSE-C; a HEAD adds the
// additional checksums, the encryption and the part layout.
func (s *Store) Features() inventory.Features {
	return inventory.Features{
		ListingChecksums: true,
		Versions:         s.versioned,
		MultipartUploads: true,
		Head:             true,
		PartSizes:        true,
		Read:             true,
	}
}

// bodyCheck is the ID of the SDK's middleware that reads a 2xx response's
// body for an S3 error document.
const bodyCheck = "S3:ProcessResponseFor200Error"

// withoutBodyCheck leaves bodyCheck out of a HeadObject call. A response to
// HEAD has no body (RFC 9110, 9.3.2; Go's client gives http.NoBody), so the
// check could only ever find it empty — after allocating a 4 KB reader and
// an XML decoder to learn that, on every HEAD.
func withoutBodyCheck(o *awss3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		if _, ok := st.Deserialize.Get(bodyCheck); !ok {
			return nil
		}
		_, err := st.Deserialize.Remove(bodyCheck)
		return err
	})
}

// Head implements [inventory.Store]: a HeadObject with ChecksumMode
// ENABLED and, for multipart objects, a second one of part 1 for the part
// size.
func (s *Store) Head(ctx context.Context, key string) (inventory.Fingerprint, error) {
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{
		Bucket:       aws.String(s.cfg.Bucket),
		Key:          aws.String(s.cfg.Prefix + key),
		ChecksumMode: types.ChecksumModeEnabled,
	}, withoutBodyCheck)
	if err != nil {
		return inventory.Fingerprint{}, s.objectError("head", key, err)
	}
	fp, err := headFingerprint(key, out)
	if err != nil {
		return inventory.Fingerprint{}, fmt.Errorf("head %q in %s: %w", key, s.cfg.Name, err)
	}
	if fp.PartCount == 0 {
		return fp, nil
	}
	part, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{
		Bucket:     aws.String(s.cfg.Bucket),
		Key:        aws.String(s.cfg.Prefix + key),
		PartNumber: aws.Int32(1),
		VersionId:  out.VersionId,
	}, withoutBodyCheck)
	if err != nil {
		return inventory.Fingerprint{}, s.objectError("head of part 1 of", key, err)
	}
	if part.PartsCount != nil && *part.PartsCount > 0 {
		fp.PartCount = int(*part.PartsCount)
	}
	fp.PartSize = aws.ToInt64(part.ContentLength)
	for i := range fp.Checksums {
		if fp.Checksums[i].Type == inventory.Composite {
			fp.Checksums[i].PartSize = fp.PartSize
		}
	}
	return fp, nil
}

// Open implements [inventory.Store] with a ranged GetObject whose body
// streams: nothing is buffered beyond what the caller reads.
func (s *Store) Open(ctx context.Context, key string, r inventory.ByteRange) (io.ReadCloser, error) {
	in := &awss3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.cfg.Prefix + key)}
	switch {
	case r.Offset < 0:
		return nil, fmt.Errorf("open %q in %s: negative offset %d", key, s.cfg.Name, r.Offset)
	case r.Length == 0:
		return io.NopCloser(eofReader{}), nil
	case r.Length > 0:
		in.Range = aws.String("bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10))
	case r.Offset > 0:
		in.Range = aws.String("bytes=" + strconv.FormatInt(r.Offset, 10) + "-")
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, s.objectError("open", key, err)
	}
	return out.Body, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// objectError wraps an error of a request about one object: ErrNotFound
// for a 404, ErrArchived for an object that must be restored first.
func (s *Store) objectError(op, key string, err error) error {
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	var respErr *awshttp.ResponseError
	status := 0
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound && code != "NoSuchBucket":
		return fmt.Errorf("%s %q in %s: %w", op, key, s.cfg.Name, inventory.ErrNotFound)
	case code == "InvalidObjectState":
		return fmt.Errorf("%s %q in %s: %w: %w", op, key, s.cfg.Name, inventory.ErrArchived, err)
	}
	return fmt.Errorf("%s %q in %s: %w", op, key, s.cfg.Name, s.classify(err))
}

var _ inventory.Store = (*Store)(nil)
