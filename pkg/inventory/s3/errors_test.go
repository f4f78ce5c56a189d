package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/pkg/inventory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// checkStoreError checks that err is a StoreError of kind, and that its
// message names the store and says each of words.
func checkStoreError(t *testing.T, err, kind error, words ...string) *s3store.StoreError {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want an error wrapping %q", err, kind)
	}
	t.Logf("error: %v", err)
	var se *s3store.StoreError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want a *StoreError", err, err)
	}
	for _, w := range append([]string{"store legacy-test"}, words...) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	// One line, without the SDK's chain of wrappers.
	for _, w := range []string{"\n", "https response error", "operation error", "RequestID: ,"} {
		if strings.Contains(err.Error(), w) {
			t.Errorf("error %q holds %q", err, w)
		}
	}
	return se
}

func TestErrorMissingBucket(t *testing.T) {
	b := newBucket(t, false)
	cfg := b.config("", 1000)
	cfg.Bucket = "no-such-bucket-" + b.name
	_, err := s3store.New(context.Background(), cfg)
	checkStoreError(t, err, s3store.ErrBucketNotFound, cfg.Bucket)
}

func TestErrorEndpointUnreachable(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close()
	cfg := s3store.Config{Name: "legacy-test", Bucket: "b", Region: "us-east-1", Endpoint: endpoint, PathStyle: true,
		Retry: s3store.Retry{MaxAttempts: 1}}
	_, err = s3store.New(context.Background(), cfg)
	checkStoreError(t, err, s3store.ErrUnreachable, endpoint)
}

// regionProxy stands in front of moto as S3 does for a bucket that lives
// in bucketRegion: requests signed for another region are answered with
// S3's error for that case, the others are passed on.
func regionProxy(t *testing.T, target, bucketRegion string, refuse func(w http.ResponseWriter, r *http.Request)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "/"+bucketRegion+"/s3/aws4_request") {
			refuse(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestErrorWrongRegion(t *testing.T) {
	const bucketRegion = "ap-southeast-1"
	refusals := map[string]func(w http.ResponseWriter, r *http.Request){
		// What S3 answers on an endpoint of another region.
		"301 PermanentRedirect": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-amz-bucket-region", bucketRegion)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMovedPermanently)
			if r.Method != http.MethodHead {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>s3.ap-southeast-1.amazonaws.com</Endpoint><Bucket>b</Bucket></Error>`)
			}
		},
		// What S3 answers when the signature's region is wrong.
		"400 AuthorizationHeaderMalformed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-southeast-1'</Message><Region>ap-southeast-1</Region></Error>`)
		},
	}
	for name, refuse := range refusals {
		t.Run(name, func(t *testing.T) {
			b := newBucket(t, false)
			b.put("k", []byte("v"))
			cfg := b.config("", 1000)
			cfg.Endpoint = regionProxy(t, b.srv.URL, bucketRegion, refuse)

			_, err := s3store.New(context.Background(), cfg)
			se := checkStoreError(t, err, s3store.ErrWrongRegion, "region "+bucketRegion, "set region: "+bucketRegion)
			if diff := cmp.Diff(bucketRegion, se.Region); diff != "" {
				t.Errorf("region named (-want +got):\n%s", diff)
			}

			// The store works once its region is right.
			cfg.Region = bucketRegion
			s, err := s3store.New(context.Background(), cfg)
			if err != nil {
				t.Fatalf("with region %s: %v", bucketRegion, err)
			}
			if diff := cmp.Diff([]string{"k"}, keysOf(list(t, s, inventory.KeyRange{}))); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorAccessDenied runs a moto_server of its own that checks
// credentials and IAM policies.
func TestErrorAccessDenied(t *testing.T) {
	srv := motoserver.Start(t, motoserver.Options{})
	ctx := context.Background()
	b := &bucket{t: t, srv: srv, name: "guarded", client: rawClient(srv)}
	b.create()
	b.put("k", []byte("v"))

	// A user allowed to open the store and list objects, but not uploads.
	iamClient := iam.New(iam.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, ""),
	})
	user := aws.String("lister")
	if _, err := iamClient.CreateUser(ctx, &iam.CreateUserInput{UserName: user}); err != nil {
		t.Fatal(err)
	}
	_, err := iamClient.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("list-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketVersioning","s3:ListBucket"],"Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	key, err := iamClient.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnableAuth(ctx, 0); err != nil {
		t.Fatal(err)
	}
	cfg := b.config("", 1000)

	t.Run("unknown access key", func(t *testing.T) {
		_, err := s3store.New(ctx, cfg, s3store.WithCredentials(credentials.NewStaticCredentialsProvider("AKIANOSUCHKEY0000000", "secret", "")))
		checkStoreError(t, err, s3store.ErrAccessDenied, "the credentials from the caller's credentials provider were refused")
	})
	t.Run("the store's identity is named", func(t *testing.T) {
		t.Setenv("LEGACY_KEY_ID", "AKIANOSUCHKEY0000000")
		t.Setenv("LEGACY_SECRET", "secret")
		c := cfg
		c.Identity = awsclient.Identity{AccessKeyIDEnv: "LEGACY_KEY_ID", SecretAccessKeyEnv: "LEGACY_SECRET"}
		_, err := s3store.New(ctx, c)
		checkStoreError(t, err, s3store.ErrAccessDenied, "the credentials from the key pair in $LEGACY_KEY_ID and $LEGACY_SECRET were refused (InvalidAccessKeyId)")
	})
	t.Run("a role that cannot be assumed", func(t *testing.T) {
		c := cfg
		c.Identity = awsclient.Identity{RoleARN: "arn:aws:iam::123456789012:role/nobody", STSEndpoint: srv.URL,
			Credentials: credentials.NewStaticCredentialsProvider("AKIANOSUCHKEY0000000", "secret", "")}
		_, err := s3store.New(ctx, c)
		se := checkStoreError(t, err, s3store.ErrAccessDenied,
			"no credentials could be had from role arn:aws:iam::123456789012:role/nobody assumed with the caller's credentials provider; check the store's identity",
			"InvalidClientTokenId")
		if !errors.Is(se, awsclient.ErrCredentials) {
			t.Errorf("%v does not wrap awsclient.ErrCredentials", se)
		}
	})
	t.Run("permission missing", func(t *testing.T) {
		creds := credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
		s, err := s3store.New(ctx, cfg, s3store.WithCredentials(creds))
		if err != nil {
			t.Fatalf("opening the store with s3:GetBucketVersioning allowed: %v", err)
		}
		l := s.List(ctx, inventory.KeyRange{})
		defer l.Close()
		_, err = l.NextPage()
		if err == io.EOF {
			t.Fatal("the listing ended without an error although listing uploads is not allowed")
		}
		checkStoreError(t, err, s3store.ErrAccessDenied, "lack s3:ListBucketMultipartUploads")
	})
}
