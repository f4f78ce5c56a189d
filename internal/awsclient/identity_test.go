package awsclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// writeCredentials writes a shared credentials file with one profile per
// key id ("[name]" with that key id and a secret).
func writeCredentials(t *testing.T, profiles map[string]string) string {
	t.Helper()
	var b strings.Builder
	for name, key := range profiles {
		b.WriteString("[" + name + "]\naws_access_key_id = " + key + "\naws_secret_access_key = secret-of-" + key + "\n")
	}
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each kind of base credentials signs the store's requests, over the
// chain's keys in the environment.
func TestIdentitySignsTheRequests(t *testing.T) {
	isolate(t)
	shared := writeCredentials(t, map[string]string{"shared-profile": "AKIDSHARED"})
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", shared)
	own := writeCredentials(t, map[string]string{"legacy-dc": "AKIDOWNFILE"})
	t.Setenv("DC_KEY_ID", "AKIDENV")
	t.Setenv("DC_SECRET", "env-secret")
	t.Setenv("DC_TOKEN", "env-token")
	ctx := context.Background()
	rec := &recorder{}
	tests := []struct {
		name string
		id   awsclient.Identity
		want string
	}{
		{"the default chain", awsclient.Identity{}, "AKIDCHAIN"},
		{"a profile of the shared files", awsclient.Identity{Profile: "shared-profile"}, "AKIDSHARED"},
		{"a profile of a credentials file of its own", awsclient.Identity{Profile: "legacy-dc", CredentialsFile: own}, "AKIDOWNFILE"},
		{"a key pair in environment variables", awsclient.Identity{AccessKeyIDEnv: "DC_KEY_ID", SecretAccessKeyEnv: "DC_SECRET"}, "AKIDENV"},
		{"with a session token", awsclient.Identity{AccessKeyIDEnv: "DC_KEY_ID", SecretAccessKeyEnv: "DC_SECRET", SessionTokenEnv: "DC_TOKEN"}, "AKIDENV"},
		{"credentials given", awsclient.Identity{Credentials: credentials.NewStaticCredentialsProvider("AKIDGIVEN", "s", "")}, "AKIDGIVEN"},
	}
	for _, tt := range tests {
		o := awsclient.Options{Endpoint: "http://s3.example.test", PathStyle: true, Identity: tt.id, HTTPClient: rec,
			Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}}
		if err := services[0].call(ctx, o); err == nil {
			t.Fatalf("%s: the recorder's 403 was taken for a success", tt.name)
		}
		if diff := cmp.Diff([]string{"s3.example.test /bkt " + tt.want}, rec.take()); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", tt.name, diff)
		}
	}
}

// An identity that cannot be used is an error naming it, before any
// request or at the first one, never a silent fall back to the chain.
func TestIdentityErrorsNameTheIdentity(t *testing.T) {
	isolate(t)
	t.Setenv("DC_KEY_ID", "AKIDENV")
	ctx := context.Background()
	own := writeCredentials(t, map[string]string{"legacy-dc": "AKIDOWNFILE"})
	tests := []struct {
		name string
		id   awsclient.Identity
		want []string
	}{
		{"an unset variable", awsclient.Identity{AccessKeyIDEnv: "DC_KEY_ID", SecretAccessKeyEnv: "DC_SECRET"},
			[]string{"the key pair in $DC_KEY_ID and $DC_SECRET", "$DC_SECRET not set"}},
		{"half a key pair", awsclient.Identity{AccessKeyIDEnv: "DC_KEY_ID"}, []string{"needs both"}},
		{"a profile and keys", awsclient.Identity{Profile: "p", AccessKeyIDEnv: "DC_KEY_ID", SecretAccessKeyEnv: "DC_KEY_ID"}, []string{"not several"}},
		{"a profile that is not there", awsclient.Identity{Profile: "nobody", CredentialsFile: own}, []string{`profile "nobody" of ` + own, "nobody"}},
		{"a CA bundle that is not there", awsclient.Identity{CABundle: filepath.Join(t.TempDir(), "none.pem")}, []string{"reading the CA bundle", "none.pem"}},
		{"a CA bundle without a certificate", awsclient.Identity{CABundle: own}, []string{"holds no PEM certificate", own}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := awsclient.Options{Endpoint: "http://s3.example.test", PathStyle: true, Identity: tt.id, HTTPClient: &recorder{},
				Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}}
			err := services[0].call(ctx, o)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestIdentityString(t *testing.T) {
	for _, tt := range []struct {
		id   awsclient.Identity
		want string
	}{
		{awsclient.Identity{}, "the default AWS credential chain"},
		{awsclient.Identity{Profile: "dc"}, `profile "dc"`},
		{awsclient.Identity{Profile: "p", CredentialsFile: "/tmp/c"}, `profile "p" of /tmp/c`},
		{awsclient.Identity{Profile: "p", CredentialsFile: "/tmp/c", Secret: "parityproof/dc"}, "the key pair in secret parityproof/dc"},
		{awsclient.Identity{AccessKeyIDEnv: "K", SecretAccessKeyEnv: "S"}, "the key pair in $K and $S"},
		{awsclient.Identity{RoleARN: "arn:aws:iam::123456789012:role/r"}, "role arn:aws:iam::123456789012:role/r assumed with the default AWS credential chain"},
		{awsclient.Identity{RoleARN: "arn:aws:iam::123456789012:role/r", ExternalID: "secret-ish", Profile: "hub"},
			`role arn:aws:iam::123456789012:role/r (with an external id) assumed with profile "hub"`},
	} {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.id, got, tt.want)
		}
	}
}

// fakeSTS answers AssumeRole with temporary credentials valid for an hour,
// recording each call's form, and signs nothing else.
type fakeSTS struct {
	mu    sync.Mutex
	calls []url.Values
	auth  []string
	key   string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	id := "unsigned"
	if m := keyID.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		id = m[1]
	}
	f.auth = append(f.auth, id)
	key := f.key
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>`+key+`</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken>
<Expiration>`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
}

// A role is assumed once with the base credentials, with the external id
// and session name, at the STS endpoint given; its credentials sign the
// store's requests and are kept until they near their expiry.
func TestIdentityAssumesTheRole(t *testing.T) {
	isolate(t)
	t.Setenv("HUB_KEY", "AKIDHUB")
	t.Setenv("HUB_SECRET", "hub-secret")
	fake := &fakeSTS{key: "ASIAASSUMED"}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	ctx := context.Background()
	id := awsclient.Identity{AccessKeyIDEnv: "HUB_KEY", SecretAccessKeyEnv: "HUB_SECRET",
		RoleARN: "arn:aws:iam::210987654321:role/parityproof-reader", ExternalID: "ext-42", SessionName: "parityproof-legacy-sg", STSEndpoint: srv.URL}
	// The store's requests go to the recorder; STS's to the fake.
	client, err := awsclient.S3(ctx, awsclient.Options{Region: "ap-southeast-1", Endpoint: "http://s3.example.test", PathStyle: true, Identity: id,
		HTTPClient: routeTo(srv.URL, rec), Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")}); err == nil {
			t.Fatal("the recorder's 403 was taken for a success")
		}
	}
	if diff := cmp.Diff([]string{"s3.example.test /bkt ASIAASSUMED", "s3.example.test /bkt ASIAASSUMED"}, rec.take()); diff != "" {
		t.Errorf("S3 requests (-want +got):\n%s", diff)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.calls) != 1 {
		t.Fatalf("%d AssumeRole calls, want 1 (the credentials are cached)", len(fake.calls))
	}
	got := map[string]string{}
	for _, k := range []string{"Action", "RoleArn", "ExternalId", "RoleSessionName"} {
		got[k] = fake.calls[0].Get(k)
	}
	got["signed by"] = fake.auth[0]
	if diff := cmp.Diff(map[string]string{"Action": "AssumeRole", "RoleArn": "arn:aws:iam::210987654321:role/parityproof-reader",
		"ExternalId": "ext-42", "RoleSessionName": "parityproof-legacy-sg", "signed by": "AKIDHUB"}, got); diff != "" {
		t.Errorf("AssumeRole (-want +got):\n%s", diff)
	}
}

// A role that cannot be assumed fails the request with a CredentialsError
// naming the role and the base credentials.
func TestIdentityRoleRefused(t *testing.T) {
	isolate(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not trusted</Message></Error></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	id := awsclient.Identity{Profile: "hub", CredentialsFile: writeCredentials(t, map[string]string{"hub": "AKIDHUB"}),
		RoleARN: "arn:aws:iam::210987654321:role/r", STSEndpoint: srv.URL}
	err := services[0].call(context.Background(), awsclient.Options{Endpoint: "http://s3.example.test", PathStyle: true, Identity: id,
		HTTPClient: routeTo(srv.URL, rec), Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}})
	var ce *awsclient.CredentialsError
	if !errors.As(err, &ce) || !errors.Is(err, awsclient.ErrCredentials) {
		t.Fatalf("error %v: want a CredentialsError", err)
	}
	want := `role arn:aws:iam::210987654321:role/r assumed with profile "hub" of `
	if !strings.HasPrefix(ce.Identity, want) || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("error %q: want it to name %q and STS's message", err, want)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("requests reached S3 without credentials: %v", got)
	}
}

// routeTo sends requests for the host of sts to it, and the others to rec.
func routeTo(sts string, rec *recorder) *http.Client {
	u, _ := url.Parse(sts)
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == u.Host {
			return http.DefaultTransport.RoundTrip(r)
		}
		return rec.Do(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A store's CA bundle is what its client trusts: a server whose
// certificate only that bundle vouches for is reached with it, even when
// AWS_CA_BUNDLE names another authority, and refused without it.
func TestIdentityCABundle(t *testing.T) {
	isolate(t)
	reached := 0
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached++
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<Error><Code>AccessDenied</Code></Error>")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	write := func(name string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	storeCA, otherCA := write("store.pem", srv.Certificate().Raw), write("other.pem", selfSigned(t))
	t.Setenv("AWS_CA_BUNDLE", otherCA)
	ctx := context.Background()
	for _, tt := range []struct {
		bundle  string
		reached int
	}{{"", 0}, {storeCA, 1}, {otherCA, 0}} {
		mu.Lock()
		reached = 0
		mu.Unlock()
		err := services[0].call(ctx, awsclient.Options{Endpoint: srv.URL, PathStyle: true, Identity: awsclient.Identity{CABundle: tt.bundle},
			Retry: awsclient.Retry{Mode: awsclient.RetryStandard, MaxAttempts: 1}})
		mu.Lock()
		got := reached
		mu.Unlock()
		if got != tt.reached {
			t.Errorf("ca_bundle %q: %d requests reached the server (error %v), want %d", tt.bundle, got, err, tt.reached)
		}
		if tt.reached == 0 && (err == nil || !strings.Contains(err.Error(), "certificate")) {
			t.Errorf("ca_bundle %q: error %v, want a certificate error", tt.bundle, err)
		}
	}
}

// selfSigned returns a certificate authority of its own, which vouches for
// no server of the test.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
