package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ociclient"
)

const uploadUsage = `Usage: ocilocal upload --endpoint URL --config-file FILE [flags] --bucket B PATH...

Uploads files, or every file under folders, into a bucket of a running
ocilocal (or any OCI Object Storage endpoint), with the unmodified OCI SDK:
test data without the oci command-line tool. An object's name is --prefix
followed by the file's path relative to the folder given (a file given by
itself keeps its base name), with '/' between folders.

  ocilocal upload --endpoint http://127.0.0.1:8787 --config-file ~/.ocilocal/config \
      --bucket us-users --create-bucket --prefix migrated/users/ ./backups

Files larger than --part-size are uploaded in parts of that size, so that
the object's multipart MD5 reflects that layout. Every part and single
upload carries its Content-MD5, which the service checks.

Exit status: 0 every file uploaded; 1 an upload failed; 2 usage error.

Flags:
`

// runUpload is the upload subcommand.
func runUpload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("ocilocal upload", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), uploadUsage)
		flags.PrintDefaults()
	}
	var (
		endpoint   = flags.String("endpoint", "http://127.0.0.1:8787", "the Object Storage `URL`")
		configFile = flags.String("config-file", "~/.oci/config", "the OCI config `file` whose profile signs the requests (ocilocal --init writes one)")
		profile    = flags.String("profile", "DEFAULT", "the config file `profile`")
		namespace  = flags.String("namespace", "", "the `namespace` (default: the service's)")
		bucket     = flags.String("bucket", "", "the `bucket` to upload into (required)")
		create     = flags.Bool("create-bucket", false, "create the bucket first if it does not exist")
		compart    = flags.String("compartment", "ocid1.compartment.oc1..ocilocal", "the compartment `OCID` a created bucket goes into")
		prefix     = flags.String("prefix", "", "put this `prefix` before every object name")
		partSize   = flags.Int64("part-size", 0, "upload files larger than this many `bytes` in parts of this size (0: never)")
		tier       = flags.String("storage-tier", "", "Standard, InfrequentAccess or Archive (default: the bucket's)")
	)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *bucket == "" || flags.NArg() == 0 {
		fmt.Fprintln(stderr, "ocilocal upload: needs --bucket and at least one file or folder (see ocilocal upload --help)")
		return 2
	}
	if *partSize < 0 {
		fmt.Fprintln(stderr, "ocilocal upload: --part-size must be 0 or more")
		return 2
	}
	client, err := ociclient.New(ociclient.Options{ConfigFile: *configFile, Profile: *profile, Endpoint: *endpoint})
	if err != nil {
		fmt.Fprintf(stderr, "ocilocal upload: %v\n", err)
		return 2
	}
	u := &uploader{client: client, bucket: *bucket, prefix: *prefix, partSize: *partSize, tier: *tier}
	if u.namespace = *namespace; u.namespace == "" {
		resp, err := client.GetNamespace(ctx, objectstorage.GetNamespaceRequest{})
		if err != nil {
			fmt.Fprintf(stderr, "ocilocal upload: asking %s for its namespace: %v\n", *endpoint, brief(err))
			return 1
		}
		u.namespace = *resp.Value
	}
	if *create {
		if err := u.createBucket(ctx, *compart); err != nil {
			fmt.Fprintf(stderr, "ocilocal upload: %v\n", err)
			return 1
		}
	}
	n, size := 0, int64(0)
	for _, root := range flags.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := filepath.Base(p)
			if p != root {
				if rel, err = filepath.Rel(root, p); err != nil {
					return err
				}
			}
			name := u.prefix + path.Clean(filepath.ToSlash(rel))
			written, err := u.upload(ctx, p, name)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			n, size = n+1, size+written
			fmt.Fprintf(stdout, "%s -> %s/%s (%d bytes)\n", p, u.bucket, name, written)
			return nil
		})
		if err != nil {
			fmt.Fprintf(stderr, "ocilocal upload: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "uploaded %d files, %d bytes, into bucket %s of namespace %s\n", n, size, u.bucket, u.namespace)
	return 0
}

type uploader struct {
	client                          *ociclient.Client
	namespace, bucket, prefix, tier string
	partSize                        int64
}

func (u *uploader) createBucket(ctx context.Context, compartment string) error {
	_, err := u.client.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: &u.namespace,
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: &u.bucket, CompartmentId: &compartment}})
	if se, ok := common.IsServiceError(err); ok && se.GetHTTPStatusCode() == http.StatusConflict {
		return nil // it exists
	}
	if err != nil {
		return fmt.Errorf("creating bucket %s: %v", u.bucket, brief(err))
	}
	return nil
}

// upload puts one file, in parts when it is larger than the part size.
func (u *uploader) upload(ctx context.Context, file, name string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	if u.partSize == 0 || int64(len(data)) <= u.partSize {
		req := objectstorage.PutObjectRequest{NamespaceName: &u.namespace, BucketName: &u.bucket, ObjectName: &name,
			ContentLength: common.Int64(int64(len(data))), ContentMD5: common.String(md5Base64(data)),
			PutObjectBody: io.NopCloser(bytes.NewReader(data))}
		if u.tier != "" {
			req.StorageTier = objectstorage.PutObjectStorageTierEnum(u.tier)
		}
		if _, err := u.client.PutObject(ctx, req); err != nil {
			return 0, brief(err)
		}
		return int64(len(data)), nil
	}
	details := objectstorage.CreateMultipartUploadDetails{Object: &name}
	if u.tier != "" {
		details.StorageTier = objectstorage.StorageTierEnum(u.tier)
	}
	up, err := u.client.CreateMultipartUpload(ctx, objectstorage.CreateMultipartUploadRequest{NamespaceName: &u.namespace, BucketName: &u.bucket,
		CreateMultipartUploadDetails: details})
	if err != nil {
		return 0, brief(err)
	}
	var parts []objectstorage.CommitMultipartUploadPartDetails
	for i, off := 1, int64(0); off < int64(len(data)); i, off = i+1, off+u.partSize {
		chunk := data[off:min(off+u.partSize, int64(len(data)))]
		resp, err := u.client.UploadPart(ctx, objectstorage.UploadPartRequest{NamespaceName: &u.namespace, BucketName: &u.bucket, ObjectName: &name,
			UploadId: up.UploadId, UploadPartNum: common.Int(i), ContentLength: common.Int64(int64(len(chunk))),
			ContentMD5: common.String(md5Base64(chunk)), UploadPartBody: io.NopCloser(bytes.NewReader(chunk))})
		if err != nil {
			return 0, brief(err)
		}
		parts = append(parts, objectstorage.CommitMultipartUploadPartDetails{PartNum: common.Int(i), Etag: resp.ETag})
	}
	if _, err := u.client.CommitMultipartUpload(ctx, objectstorage.CommitMultipartUploadRequest{NamespaceName: &u.namespace, BucketName: &u.bucket,
		ObjectName: &name, UploadId: up.UploadId, CommitMultipartUploadDetails: objectstorage.CommitMultipartUploadDetails{PartsToCommit: parts}}); err != nil {
		return 0, brief(err)
	}
	return int64(len(data)), nil
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// brief is the service's answer in one line, without the SDK's
// troubleshooting text.
func brief(err error) error {
	if se, ok := common.IsServiceError(err); ok {
		return fmt.Errorf("%d %s: %s", se.GetHTTPStatusCode(), se.GetCode(), strings.SplitN(se.GetMessage(), "\n", 2)[0])
	}
	return err
}
