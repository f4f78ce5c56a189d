package main

// An estate of stores that each have an identity of their own: one run
// against three S3 servers that check signatures, each reached with a
// different key pair — a profile of a shared credentials file, a role
// assumed through STS with keys named by environment variables, keys named
// by environment variables over HTTPS with a private certificate authority
// — and an OCI target.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
	"github.com/parityproof/parityproof/internal/testenv/versitygw"
)

// authedMoto is a moto_server that checks credentials and IAM policies,
// with one IAM user whose inline policy is policy.
type authedMoto struct {
	srv       *motoserver.Server
	keyID     string
	secretKey string
	root      *s3.Client // moto's own credentials: only before auth is on
}

func startAuthedMoto(t *testing.T, user, policy string) *authedMoto {
	t.Helper()
	srv := motoserver.Start(t, motoserver.Options{})
	ctx := context.Background()
	rootCreds := credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, "")
	ic := iam.New(iam.Options{Region: motoserver.Region, BaseEndpoint: aws.String(srv.URL), Credentials: rootCreds, HTTPClient: &http.Client{}})
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("parityproof"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return &authedMoto{srv: srv, keyID: aws.ToString(key.AccessKey.AccessKeyId), secretKey: aws.ToString(key.AccessKey.SecretAccessKey),
		root: s3.New(s3.Options{Region: motoserver.Region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: rootCreds, HTTPClient: &http.Client{}})}
}

// seedS3 creates bucket with the objects, under prefix.
func seedS3(t *testing.T, c *s3.Client, bucket, prefix string, objects map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("creating %s: %v", bucket, err)
	}
	for k, v := range objects {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + k), Body: strings.NewReader(v)}); err != nil {
			t.Fatalf("putting %s/%s: %v", bucket, k, err)
		}
	}
}

const s3ReadPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}]}`

// TestEstateOfIdentities runs parityproof once over three S3 servers that
// each accept only their own key pair, and an OCI target: every store is
// opened with its own identity and every key verified against all three
// legacy copies. Then one store's secret key is wrong: the run fails,
// naming that store and the identity tried, and nothing is reported.
func TestEstateOfIdentities(t *testing.T) {
	// moto's signature check refuses any request whose query holds a "/"
	// (it checks the query it decoded): keys without one, no prefixes in
	// the moto buckets, and a first run before moto checks anything, whose
	// ledger the next run plans from (planning lists prefixes by "/").
	objects := map[string]string{}
	for i := range 6 {
		objects[fmt.Sprintf("user-%02d.bin", i)] = fmt.Sprintf("backup %d of a user's files\n", i) + strings.Repeat("x", i*100)
	}

	// legacy-us: moto, reached with a profile of a shared credentials file.
	us := startAuthedMoto(t, "us-reader", s3ReadPolicy)
	seedS3(t, us.root, "legacy-us-backups", "", objects)

	// legacy-sg: another moto, reached through a role assumed with its STS
	// by a user that may do nothing else.
	sg := startAuthedMoto(t, "sg-hub", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	seedS3(t, sg.root, "legacy-sg-backups", "", objects)
	ic := iam.New(iam.Options{Region: motoserver.Region, BaseEndpoint: aws.String(sg.srv.URL), HTTPClient: &http.Client{},
		Credentials: credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, "")})
	ctx := context.Background()
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("parityproof-reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/sg-hub"},` +
			`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"acme-estate-7"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String("read"), PolicyDocument: aws.String(s3ReadPolicy)}); err != nil {
		t.Fatal(err)
	}

	// legacy-dc: versitygw over HTTPS, its certificate issued by a private
	// authority, reached with keys named by environment variables.
	dc := versitygw.Start(t, versitygw.Options{TLS: true, AccessKey: "dc1-verifier", SecretKey: "dc1-verifier-secret"})
	dcClient := s3.New(s3.Options{Region: dc.Region, BaseEndpoint: aws.String(dc.URL), UsePathStyle: true, HTTPClient: dc.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider(dc.AccessKey, dc.SecretKey, "")})
	seedS3(t, dcClient, "backups", "users/", objects)

	// The target.
	oci := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: e2eNS}, Profile: "ESTATE", Region: "us-ashburn-1"})
	oci.CreateBucket(t, e2eTarget, false)
	for k, v := range objects {
		oci.Put(t, e2eTarget, "migrated/"+k, []byte(v))
	}

	dir := t.TempDir()
	creds := filepath.Join(dir, "aws-credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[legacy-us]\naws_access_key_id = %s\naws_secret_access_key = %s\n", us.keyID, us.secretKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "estate.yaml")
	writeConfig := func(externalID string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`stores:
  legacy-us:
    type: s3
    bucket: legacy-us-backups
    region: us-east-1
    endpoint: %s
    path_style: true
    profile: legacy-us
  legacy-sg:
    type: s3
    bucket: legacy-sg-backups
    region: ap-southeast-1
    endpoint: %s
    path_style: true
    access_key_id_env: SG_HUB_KEY_ID
    secret_access_key_env: SG_HUB_SECRET
    role_arn: %s
    external_id: %s
    sts_endpoint: %s
  legacy-dc:
    type: s3
    bucket: backups
    prefix: users/
    region: %s
    endpoint: %s
    path_style: true
    access_key_id_env: DC_KEY_ID
    secret_access_key_env: DC_SECRET
    ca_bundle: %s
  oci-us:
    type: oci
    namespace: %s
    bucket: %s
    prefix: migrated/
    region: us-ashburn-1
    endpoint: %s
    config_file: %s
    profile: ESTATE
pairs:
  - {name: users, legacy: [legacy-us, legacy-sg, legacy-dc], target: oci-us}
state: file://./state
reports: file://./reports
`, us.srv.URL, sg.srv.URL, aws.ToString(role.Role.Arn), externalID, sg.srv.URL, dc.Region, dc.URL, dc.CAFile,
			e2eNS, e2eTarget, oci.Endpoint, oci.ConfigFile)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("acme-estate-7")

	run := func(dcSecret, now string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(parityproofBinary(t), append([]string{"run", "--config", cfg}, args...)...)
		// The default chain holds moto's fake keys, which no server accepts
		// now: each store must use its own identity.
		cmd.Env = append(os.Environ(),
			"AWS_ACCESS_KEY_ID="+motoserver.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+motoserver.SecretAccessKey,
			"AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CONFIG_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
			"SG_HUB_KEY_ID="+sg.keyID, "SG_HUB_SECRET="+sg.secretKey,
			"DC_KEY_ID="+dc.AccessKey, "DC_SECRET="+dcSecret,
			"PARITYPROOF_NOW="+now)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return processExit(t, cmd.Run()), stdout.String(), stderr.String()
	}

	verifiedAll := func(t *testing.T, code int, stdout, stderr string) {
		t.Helper()
		if code != exitOK {
			t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		r, _ := readReport(t, dir)
		if diff := cmp.Diff(allVerdicts(map[ledger.Verdict]int64{ledger.Verified: int64(len(objects))}), r.Totals.Verdicts); diff != "" {
			t.Errorf("verdicts (-want +got):\n%s", diff)
		}
		// Every key's ledger entry proves all three legacy copies equal.
		equal := map[string]int{}
		readLedger(t, filepath.Join(dir, "state"), r.RunID, func(e *ledger.Entry) {
			for _, c := range e.Comparisons {
				if c.Result == ledger.ResultEqual && c.Evidence == ledger.EvidenceMD5 {
					equal[c.Store]++
				}
			}
		})
		n := len(objects)
		if diff := cmp.Diff(map[string]int{"legacy-us": n, "legacy-sg": n, "legacy-dc": n}, equal); diff != "" {
			t.Errorf("equal MD5 comparisons per legacy store (-want +got):\n%s", diff)
		}
	}
	// The first run, before moto checks anything, plans the shards.
	code, stdout, stderr := run(dc.SecretKey, "2026-11-27T22:00:00Z")
	verifiedAll(t, code, stdout, stderr)

	// From here on, moto checks every signature, key and policy, and the
	// default chain's keys (moto's "testing") are refused everywhere.
	for _, m := range []*authedMoto{us, sg} {
		if err := m.srv.EnableAuth(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	// The checks bite: the default chain's keys, and the role's user
	// without the role, are refused.
	hub := s3.New(s3.Options{Region: motoserver.Region, BaseEndpoint: aws.String(sg.srv.URL), UsePathStyle: true, HTTPClient: &http.Client{},
		Credentials: credentials.NewStaticCredentialsProvider(sg.keyID, sg.secretKey, "")})
	for _, c := range []struct {
		name, bucket string
		client       *s3.Client
	}{{"moto's keys", "legacy-us-backups", us.root}, {"moto's keys", "legacy-sg-backups", sg.root}, {"the hub user without the role", "legacy-sg-backups", hub}} {
		_, err := c.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket)})
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("%s listing %s with auth on: %v, want a 403", c.name, c.bucket, err)
		}
	}
	for _, tc := range []struct {
		name, dcSecret, externalID string
		want, store                string
	}{
		{"a wrong secret key", "not-the-secret", "acme-estate-7",
			`store legacy-dc (bucket "backups"): access denied: the credentials from the key pair in $DC_KEY_ID and $DC_SECRET were refused (SignatureDoesNotMatch)`, "legacy-dc"},
		{"a wrong external id", dc.SecretKey, "acme-estate-8",
			`store legacy-sg (bucket "legacy-sg-backups"): access denied: no credentials could be had from role ` + aws.ToString(role.Role.Arn) +
				` (with an external id) assumed with the key pair in $SG_HUB_KEY_ID and $SG_HUB_SECRET; check the store's identity ` +
				`(GetBucketVersioning: AccessDenied: User: arn:aws:iam::123456789012:user/sg-hub is not authorized to perform: sts:AssumeRole`, "legacy-sg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeConfig(tc.externalID)
			// Each attempt would begin a run afresh (the configuration changes).
			code, stdout, stderr := run(tc.dcSecret, "2026-11-28T22:00:00Z", "--restart")
			// A refused identity is permanent: exit 2, found by the
			// preflight before anything is begun.
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, stderr)
			}
			for _, other := range []string{"legacy-us", "legacy-sg", "legacy-dc", "oci-us"} {
				if other != tc.store && strings.Contains(stderr, "store "+other) {
					t.Errorf("stderr blames store %s, whose identity is right:\n%s", other, stderr)
				}
			}
		})
	}

	t.Run("every store with its own identity", func(t *testing.T) {
		writeConfig("acme-estate-7")
		code, stdout, stderr := run(dc.SecretKey, "2026-11-28T22:00:00Z", "--restart")
		verifiedAll(t, code, stdout, stderr)
	})
}

// processExit returns a finished command's exit status.
func processExit(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running parityproof: %v", err)
	return 0
}

// readLedger calls fn with every entry of the run's ledger parts under the
// state folder, part by part.
func readLedger(t *testing.T, stateDir, runID string, fn func(*ledger.Entry)) {
	t.Helper()
	parts, err := filepath.Glob(filepath.Join(stateDir, "runs", runID, "ledger", "*", "*", "part-*.jsonl.gz"))
	if err != nil || len(parts) == 0 {
		t.Fatalf("no ledger parts of run %s: %v", runID, err)
	}
	for _, p := range parts {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ledger.NewReader(f, p)
		if err != nil {
			t.Fatal(err)
		}
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			fn(e)
		}
		r.Close()
		f.Close()
	}
}
