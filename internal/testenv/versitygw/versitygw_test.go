package versitygw_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/versitygw"
)

// client is an unmodified SDK client for the server, signing with the
// given key pair and sending through httpClient.
func client(srv *versitygw.Server, access, secret string, httpClient *http.Client) *s3.Client {
	return s3.New(s3.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
		HTTPClient:   httpClient,
	})
}

// roundTrip creates a bucket, puts an object and gets it back.
func roundTrip(t *testing.T, c *s3.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("legacy")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := []byte("the legacy copy of an object")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("dir/a b.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("legacy"), Key: aws.String("dir/a b.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(body), string(got)); diff != "" {
		t.Errorf("object content (-want +got):\n%s", diff)
	}
}

func TestLaunchMissingExecutable(t *testing.T) {
	_, err := versitygw.Launch(context.Background(), versitygw.Options{Executable: "/nonexistent/versitygw"})
	if !errors.Is(err, versitygw.ErrNotInstalled) {
		t.Errorf("got %v, want an error wrapping ErrNotInstalled", err)
	}
}

func TestFindWithAMissingVERSITYGW(t *testing.T) {
	t.Setenv("VERSITYGW", "/nonexistent/versitygw")
	if _, err := versitygw.Find(); !errors.Is(err, versitygw.ErrNotInstalled) {
		t.Errorf("Find with a missing $VERSITYGW: %v, want ErrNotInstalled", err)
	}
}

func TestHTTP(t *testing.T) {
	srv := versitygw.Start(t, versitygw.Options{AccessKey: "legacy-us", SecretKey: "s3cr3t-us"})
	if diff := cmp.Diff("http://127.0.0.1:", srv.URL[:len("http://127.0.0.1:")]); diff != "" {
		t.Errorf("URL %s (-want +got):\n%s", srv.URL, diff)
	}
	roundTrip(t, client(srv, "legacy-us", "s3cr3t-us", srv.HTTPClient()))
}

func TestHTTPSTrustingOnlyTheCA(t *testing.T) {
	srv := versitygw.Start(t, versitygw.Options{AccessKey: "onprem", SecretKey: "onprem-secret", TLS: true})
	pemBytes, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatalf("reading the CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", srv.CAFile)
	}

	t.Run("a client trusting the CA file alone", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		roundTrip(t, client(srv, "onprem", "onprem-secret", &http.Client{Transport: tr}))
	})

	t.Run("the CA file as an SDK custom CA bundle", func(t *testing.T) {
		f, err := os.Open(srv.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg, err := config.LoadDefaultConfig(context.Background(),
			config.WithRegion(srv.Region),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("onprem", "onprem-secret", "")),
			config.WithCustomCABundle(f),
		)
		if err != nil {
			t.Fatal(err)
		}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			o.UsePathStyle = true
		})
		if _, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
			t.Errorf("ListBuckets with the CA file as custom CA bundle: %v", err)
		}
	})

	t.Run("a client without the CA fails TLS", func(t *testing.T) {
		// The system's roots (AWS_CA_BUNDLE is not consulted by s3.New).
		c := client(srv, "onprem", "onprem-secret", &http.Client{Transport: &http.Transport{}})
		_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("ListBuckets without the CA: %v, want an x509.UnknownAuthorityError", err)
		}
	})
}

func TestSignaturesAreChecked(t *testing.T) {
	srv := versitygw.Start(t, versitygw.Options{AccessKey: "legacy-sg", SecretKey: "right-secret"})
	for _, tc := range []struct {
		name, access, secret string
		// status and code are versitygw's answer (v1.8.0 says 404
		// XAdminUserNotFound for an access key it does not know).
		status int
		code   string
	}{
		{"wrong secret key", "legacy-sg", "wrong-secret", http.StatusForbidden, "SignatureDoesNotMatch"},
		{"unknown access key", "someone-else", "right-secret", http.StatusNotFound, "XAdminUserNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(srv, tc.access, tc.secret, srv.HTTPClient()).ListBuckets(context.Background(), &s3.ListBucketsInput{})
			var apiErr smithy.APIError
			var respErr *smithyhttp.ResponseError
			if !errors.As(err, &apiErr) || !errors.As(err, &respErr) {
				t.Fatalf("ListBuckets: %v, want an S3 error response", err)
			}
			type refusal struct {
				Status int
				Code   string
			}
			if diff := cmp.Diff(refusal{tc.status, tc.code}, refusal{respErr.HTTPStatusCode(), apiErr.ErrorCode()}); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := client(srv, "legacy-sg", "right-secret", srv.HTTPClient()).ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets with the right key pair: %v", err)
	}
}

func TestVersioning(t *testing.T) {
	srv := versitygw.Start(t, versitygw.Options{Versioning: true})
	c := client(srv, versitygw.DefaultAccessKey, versitygw.DefaultSecretKey, srv.HTTPClient())
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("versioned")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	for _, body := range []string{"one", "two"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("versioned"), Key: aws.String("k"), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versioned")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(2, len(out.Versions)); diff != "" {
		t.Errorf("versions of k (-want +got):\n%s", diff)
	}
}

func TestStopKills(t *testing.T) {
	srv, err := versitygw.Launch(context.Background(), versitygw.Options{})
	versitygw.Require(t, err)
	dir, pid := srv.Dir, srv.PID()
	srv.Stop()
	srv.Stop() // twice is harmless
	// Stop waited for the process: its PID is gone (signal 0 probes).
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after Stop: kill(0) = %v", pid, err)
	}
	if _, err := http.Get(srv.URL + "/"); err == nil {
		t.Error("the server still answers after Stop")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder Launch made is still there after Stop: %v", err)
	}
}
