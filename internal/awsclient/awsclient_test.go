package awsclient_test

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/awsclient/secrets"
)

// isolate clears every AWS_ variable and points the chain at fixed keys,
// away from the user's files and the instance metadata service.
func isolate(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDCHAIN", "AWS_SECRET_ACCESS_KEY": "chain-secret",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// service builds one kind of client and makes one cheap call with it.
type service struct {
	name   string
	region func(context.Context, awsclient.Options) (string, error)
	call   func(context.Context, awsclient.Options) error
}

var services = []service{
	{"S3",
		func(ctx context.Context, o awsclient.Options) (string, error) {
			c, err := awsclient.S3(ctx, o)
			if err != nil {
				return "", err
			}
			return c.Options().Region, nil
		},
		func(ctx context.Context, o awsclient.Options) error {
			c, err := awsclient.S3(ctx, o)
			if err != nil {
				return err
			}
			_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
			return err
		}},
	{"STS",
		func(ctx context.Context, o awsclient.Options) (string, error) {
			c, err := awsclient.STS(ctx, o)
			if err != nil {
				return "", err
			}
			return c.Options().Region, nil
		},
		func(ctx context.Context, o awsclient.Options) error {
			c, err := awsclient.STS(ctx, o)
			if err != nil {
				return err
			}
			_, err = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	{"SNS",
		func(ctx context.Context, o awsclient.Options) (string, error) {
			c, err := awsclient.SNS(ctx, o)
			if err != nil {
				return "", err
			}
			return c.Options().Region, nil
		},
		func(ctx context.Context, o awsclient.Options) error {
			c, err := awsclient.SNS(ctx, o)
			if err != nil {
				return err
			}
			_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:eu-west-1:123456789012:t"), Message: aws.String("m")})
			return err
		}},
	{"SSM",
		func(ctx context.Context, o awsclient.Options) (string, error) {
			c, err := secrets.SSM(ctx, o)
			if err != nil {
				return "", err
			}
			return c.Options().Region, nil
		},
		func(ctx context.Context, o awsclient.Options) error {
			c, err := secrets.SSM(ctx, o)
			if err != nil {
				return err
			}
			_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
			return err
		}},
	{"Secrets Manager",
		func(ctx context.Context, o awsclient.Options) (string, error) {
			c, err := secrets.SecretsManager(ctx, o)
			if err != nil {
				return "", err
			}
			return c.Options().Region, nil
		},
		func(ctx context.Context, o awsclient.Options) error {
			c, err := secrets.SecretsManager(ctx, o)
			if err != nil {
				return err
			}
			_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
			return err
		}},
}

func TestRegionRule(t *testing.T) {
	const none = "ErrNoRegion"
	all := func(region string) map[string]string {
		m := map[string]string{}
		for _, s := range services {
			m[s.name] = region
		}
		return m
	}
	realServicesNeedOne := all(none)
	realServicesNeedOne["STS"] = awsclient.FallbackRegion
	tests := []struct {
		name string
		env  map[string]string
		o    awsclient.Options
		want map[string]string // service: region or none
	}{
		{"the options' region wins", map[string]string{"AWS_REGION": "ap-south-1"}, awsclient.Options{Region: "eu-west-1"}, all("eu-west-1")},
		{"else AWS_REGION", map[string]string{"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "sa-east-1"}, awsclient.Options{}, all("ap-south-1")},
		{"else AWS_DEFAULT_REGION", map[string]string{"AWS_DEFAULT_REGION": "sa-east-1"}, awsclient.Options{}, all("sa-east-1")},
		{"else the fallback for a custom endpoint", nil, awsclient.Options{Endpoint: "http://127.0.0.1:9"}, all(awsclient.FallbackRegion)},
		{"AWS_ENDPOINT_URL is a custom endpoint", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, awsclient.Options{}, all(awsclient.FallbackRegion)},
		{"AWS_ENDPOINT_URL_S3 is one for S3 alone", map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}, awsclient.Options{},
			map[string]string{"S3": awsclient.FallbackRegion, "STS": awsclient.FallbackRegion, "SNS": none, "SSM": none, "Secrets Manager": none}},
		{"AWS_ENDPOINT_URL_SECRETS_MANAGER is one for Secrets Manager", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9"}, awsclient.Options{},
			map[string]string{"S3": none, "STS": awsclient.FallbackRegion, "SNS": none, "SSM": none, "Secrets Manager": awsclient.FallbackRegion}},
		{"else none, but STS's global endpoint", nil, awsclient.Options{}, realServicesNeedOne},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got := map[string]string{}
			for _, s := range services {
				region, err := s.region(context.Background(), tt.o)
				switch {
				case errors.Is(err, awsclient.ErrNoRegion):
					region = none
					if !strings.Contains(err.Error(), s.name) {
						t.Errorf("%s: error %q does not name the service", s.name, err)
					}
				case err != nil:
					t.Fatalf("%s: %v", s.name, err)
				}
				got[s.name] = region
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
		})
	}
}

// recorder answers every request with a 403 and records where it went.
type recorder struct {
	mu   sync.Mutex
	sent []string // "host path key-id"
}

var keyID = regexp.MustCompile(`Credential=([^/]+)/`)

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	id := "unsigned"
	if m := keyID.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		id = m[1]
	}
	r.mu.Lock()
	r.sent = append(r.sent, req.URL.Host+" "+req.URL.Path+" "+id)
	r.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusForbidden, Status: "403 Forbidden", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("<Error><Code>AccessDenied</Code></Error>")), Request: req,
	}, nil
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := r.sent
	r.sent = nil
	return sent
}

// The endpoint, path style and credentials of the options are the ones
// requests use, over what the environment says.
func TestOptionsReachTheRequests(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://environment.test")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://environment-s3.test")
	ctx := context.Background()
	rec := &recorder{}
	override := credentials.NewStaticCredentialsProvider("AKIDOVERRIDE", "secret", "")
	tests := []struct {
		name string
		o    awsclient.Options
		want string
	}{
		{"path style", awsclient.Options{Endpoint: "http://s3.example.test", PathStyle: true}, "s3.example.test /bkt AKIDCHAIN"},
		{"virtual hosts", awsclient.Options{Endpoint: "http://s3.example.test"}, "bkt.s3.example.test / AKIDCHAIN"},
		{"the environment's endpoint", awsclient.Options{PathStyle: true}, "environment-s3.test /bkt AKIDCHAIN"},
		{"other credentials", awsclient.Options{Endpoint: "http://s3.example.test", PathStyle: true, Identity: awsclient.Identity{Credentials: override}}, "s3.example.test /bkt AKIDOVERRIDE"},
	}
	for _, tt := range tests {
		tt.o.HTTPClient = rec
		tt.o.Retry = awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}
		if err := services[0].call(ctx, tt.o); err == nil {
			t.Fatalf("%s: the recorder's 403 was taken for a success", tt.name)
		}
		if diff := cmp.Diff([]string{tt.want}, rec.take()); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, s := range services {
		o := awsclient.Options{Endpoint: "http://" + strings.ReplaceAll(strings.ToLower(s.name), " ", "") + ".example.test", HTTPClient: rec, Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1},
			Identity: awsclient.Identity{Credentials: override}, PathStyle: true}
		if err := s.call(ctx, o); err == nil {
			t.Fatalf("%s: the recorder's 403 was taken for a success", s.name)
		}
		got := rec.take()
		want := strings.TrimPrefix(o.Endpoint, "http://") + " / AKIDOVERRIDE"
		if s.name == "S3" {
			want = strings.Replace(want, "/", "/bkt", 1)
		}
		if diff := cmp.Diff([]string{want}, got); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", s.name, diff)
		}
	}
}

// Clients trust the CA bundle AWS_CA_BUNDLE names: a TLS server whose
// certificate only that bundle vouches for is reached by every client, and
// by none without the bundle.
func TestCABundleIsTrusted(t *testing.T) {
	isolate(t)
	var mu sync.Mutex
	reached := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached++
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<Error><Code>AccessDenied</Code></Error>")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused without the bundle
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := awsclient.Options{Endpoint: srv.URL, PathStyle: true, Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}}
	for _, withBundle := range []bool{false, true} {
		if withBundle {
			t.Setenv("AWS_CA_BUNDLE", bundle)
		}
		for _, s := range services {
			mu.Lock()
			reached = 0
			mu.Unlock()
			err := s.call(ctx, o)
			mu.Lock()
			got := reached
			mu.Unlock()
			var re interface{ HTTPStatusCode() int }
			switch {
			case withBundle && (got != 1 || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden):
				t.Errorf("%s with AWS_CA_BUNDLE: %d requests reached the server, error %v; want 1 and the server's 403", s.name, got, err)
			case !withBundle && (got != 0 || err == nil || !strings.Contains(err.Error(), "certificate")):
				t.Errorf("%s without AWS_CA_BUNDLE: %d requests reached the server, error %v; want none and a certificate error", s.name, got, err)
			}
		}
	}
}

func TestRetry(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	for _, tt := range []struct {
		retry    awsclient.Retry
		adaptive bool
		attempts int
	}{
		{awsclient.Retry{}, false, 3},
		{awsclient.Retry{Mode: awsclient.RetryStandard}, false, 3},
		{awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 8, MaxBackoff: time.Second}, false, 8},
		{awsclient.Retry{Mode: awsclient.RetryAdaptive, MaxAttempts: 5}, true, 5},
	} {
		c, err := awsclient.S3(ctx, awsclient.Options{Region: "eu-west-1", Retry: tt.retry})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Options().Retryer
		_, adaptive := r.(*retry.AdaptiveMode)
		if diff := cmp.Diff([2]any{tt.adaptive, tt.attempts}, [2]any{adaptive, r.MaxAttempts()}); diff != "" {
			t.Errorf("%+v: (-want +got) adaptive, attempts:\n%s", tt.retry, diff)
		}
	}
	if _, err := awsclient.S3(ctx, awsclient.Options{Region: "eu-west-1", Retry: awsclient.Retry{Mode: "eager"}}); err == nil || !strings.Contains(err.Error(), `"eager"`) {
		t.Errorf("an unknown retry mode: got %v", err)
	}
}

func TestTopicRegion(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sns:eu-west-1:123456789012:parityproof": "eu-west-1",
		"arn:aws-cn:sns:cn-north-1:123456789012:t":       "cn-north-1",
		"arn:aws:sqs:eu-west-1:123456789012:q":           "",
		"arn:aws:sns::123456789012:t":                    "",
		"parityproof":                                    "",
		"arn:aws:sns:eu-west-1:123456789012:t:sub-id":    "",
	} {
		got, err := awsclient.TopicRegion(arn)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("awsclient.TopicRegion(%q) = %q, %v; want %q", arn, got, err, want)
		}
	}
}
