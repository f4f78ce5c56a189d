package s3inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Source is where an inventory's manifest and data files are read from:
// the inventory's destination bucket, or a local folder that mirrors it.
// Keys are keys of the destination bucket, as the manifest names them.
type Source interface {
	// Open streams the object under key. A key that does not exist returns
	// an error wrapping [fs.ErrNotExist].
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Name names the source in errors and evidence: "s3://bucket" or the
	// folder's path.
	Name() string
}

// Dir is a [Source] reading a local folder laid out like the destination
// bucket: the file for key k is at filepath.Join(root, k). Keys cannot
// reach outside the folder.
func Dir(root string) Source { return dirSource{root: root} }

type dirSource struct{ root string }

func (d dirSource) Name() string { return d.root }

func (d dirSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenInRoot(d.root, filepath.FromSlash(key))
	if err != nil {
		return nil, fmt.Errorf("opening %s in %s: %w", key, d.root, err)
	}
	return f, nil
}

// GetObjectAPI is the part of [s3.Client] a [Bucket] source uses.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Bucket is a [Source] reading the inventory's destination bucket through
// client, which the caller configures (credentials, region, endpoint).
func Bucket(client GetObjectAPI, bucket string) Source {
	return bucketSource{client: client, bucket: bucket}
}

type bucketSource struct {
	client GetObjectAPI
	bucket string
}

func (b bucketSource) Name() string { return "s3://" + b.bucket }

func (b bucketSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			err = fmt.Errorf("%w: %w", fs.ErrNotExist, err)
		}
		return nil, fmt.Errorf("getting s3://%s/%s: %w", b.bucket, key, err)
	}
	return out.Body, nil
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}
