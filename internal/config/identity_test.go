package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeCA writes a PEM file holding a self-signed certificate authority
// into dir and returns its path.
func writeCA(t *testing.T, dir, name string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "on-prem CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// estate is a configuration of every kind of store identity: a profile,
// keys in environment variables, a role assumed with an external id, a
// Lambda secret, a CA bundle, an S3 Inventory baseline per legacy store,
// and an OCI store whose key is a Lambda secret.
const estate = `
stores:
  legacy-us:
    type: s3
    bucket: legacy-us-backups
    region: us-east-1
    profile: legacy-us
    baseline: s3://acme-inventory/legacy-us-backups/baseline/2024-01-02T03-04Z/manifest.json?region=us-east-1
  legacy-sg:
    type: s3
    bucket: legacy-sg-backups
    region: ap-southeast-1
    access_key_id_env: HUB_KEY_ID
    secret_access_key_env: HUB_SECRET
    session_token_env: HUB_TOKEN
    role_arn: arn:aws:iam::210987654321:role/parityproof-reader
    external_id: acme-parityproof-7
    role_session_name: parityproof-legacy-sg
    sts_endpoint: https://sts.ap-southeast-1.amazonaws.com
    baseline: file://./inventory/legacy-sg-backups/baseline/2024-01-02T03-04Z/manifest.json
  legacy-dc:
    type: s3
    bucket: backups
    region: us-east-1
    endpoint: https://minio.dc1.acme.internal:9000
    path_style: true
    credentials_secret: parityproof/legacy-dc
    ca_bundle: dc1-ca.pem
  oci-us:
    type: oci
    namespace: acmecorp
    bucket: us-users
    region: us-ashburn-1
    key_secret: arn:aws:secretsmanager:us-east-1:123456789012:secret:parityproof/oci-us-AbCdEf
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg, legacy-dc], target: oci-us}
`

func TestParseIdentities(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir, "dc1-ca.pem")
	cfg, err := Parse(filepath.Join(dir, "parityproof.yaml"), []byte(estate))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Store{
		"legacy-us": {Name: "legacy-us", Type: S3, Bucket: "legacy-us-backups", Region: "us-east-1", Profile: "legacy-us",
			Baseline: &Baseline{Raw: "s3://acme-inventory/legacy-us-backups/baseline/2024-01-02T03-04Z/manifest.json?region=us-east-1", Scheme: "s3",
				Bucket: "acme-inventory", Key: "legacy-us-backups/baseline/2024-01-02T03-04Z/manifest.json", Region: "us-east-1"}},
		"legacy-sg": {Name: "legacy-sg", Type: S3, Bucket: "legacy-sg-backups", Region: "ap-southeast-1",
			AccessKeyIDEnv: "HUB_KEY_ID", SecretAccessKeyEnv: "HUB_SECRET", SessionTokenEnv: "HUB_TOKEN",
			RoleARN: "arn:aws:iam::210987654321:role/parityproof-reader", ExternalID: "acme-parityproof-7", RoleSessionName: "parityproof-legacy-sg",
			STSEndpoint: "https://sts.ap-southeast-1.amazonaws.com",
			Baseline: &Baseline{Raw: "file://./inventory/legacy-sg-backups/baseline/2024-01-02T03-04Z/manifest.json", Scheme: "file",
				Path: filepath.Join(dir, "inventory/legacy-sg-backups/baseline/2024-01-02T03-04Z/manifest.json")}},
		"legacy-dc": {Name: "legacy-dc", Type: S3, Bucket: "backups", Region: "us-east-1", Endpoint: "https://minio.dc1.acme.internal:9000", PathStyle: true,
			CredentialsSecret: "parityproof/legacy-dc", CABundle: ca},
		"oci-us": {Name: "oci-us", Type: OCI, Namespace: "acmecorp", Bucket: "us-users", Region: "us-ashburn-1", Auth: AuthAPIKey,
			KeySecret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:parityproof/oci-us-AbCdEf"},
	}
	if diff := cmp.Diff(want, cfg.Stores); diff != "" {
		t.Errorf("stores (-want +got):\n%s", diff)
	}
}

// Every new field, and every combination that cannot work, is refused with
// the line, the field and what to write instead.
func TestParseRejectsBadIdentities(t *testing.T) {
	dir := t.TempDir()
	writeCA(t, dir, "dc1-ca.pem")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(estate, old) {
			t.Fatalf("the estate has no %q", old)
		}
		return strings.Replace(estate, old, new, 1)
	}
	for _, tc := range []struct {
		name string
		yaml string
		path string // the configuration's path; "" is dir/c.yaml
		want []string
	}{
		{"profile and keys", edit("    profile: legacy-us\n", "    profile: legacy-us\n    access_key_id_env: K\n    secret_access_key_env: S\n"), "",
			[]string{`c.yaml:8:24: stores.legacy-us.access_key_id_env: the store's credentials come from one of profile, access_key_id_env and credentials_secret; it already names profile`}},
		{"profile and a secret", edit("    profile: legacy-us\n", "    profile: legacy-us\n    credentials_secret: s\n"), "",
			[]string{`c.yaml:8:25: stores.legacy-us.credentials_secret: the store's credentials come from one of profile, access_key_id_env and credentials_secret; it already names profile`}},
		{"keys and a secret", edit("    session_token_env: HUB_TOKEN\n", "    session_token_env: HUB_TOKEN\n    credentials_secret: s\n"), "",
			[]string{`c.yaml:16:25: stores.legacy-sg.credentials_secret: the store's credentials come from one of profile, access_key_id_env and credentials_secret; it already names access_key_id_env`}},
		{"key id without secret", edit("    secret_access_key_env: HUB_SECRET\n    session_token_env: HUB_TOKEN\n", ""), "",
			[]string{`c.yaml:13:24: stores.legacy-sg.access_key_id_env: needs secret_access_key_env: the variable holding the secret access key`}},
		{"secret without key id", edit("    access_key_id_env: HUB_KEY_ID\n", ""), "",
			[]string{`c.yaml:13:28: stores.legacy-sg.secret_access_key_env: needs access_key_id_env: the variable holding the access key id`}},
		{"token alone", edit("    access_key_id_env: HUB_KEY_ID\n    secret_access_key_env: HUB_SECRET\n", ""), "",
			[]string{`c.yaml:13:24: stores.legacy-sg.session_token_env: goes with access_key_id_env and secret_access_key_env`}},
		{"a key instead of a variable's name", edit("HUB_KEY_ID", "AKIA/EXAMPLE+KEY"), "",
			[]string{`c.yaml:13:24: stores.legacy-sg.access_key_id_env: "AKIA/EXAMPLE+KEY" is not the name of an environment variable (letters, digits and '_', not starting with a digit); name the variable that holds the key, never the key`}},
		{"bad role ARN", edit("arn:aws:iam::210987654321:role/parityproof-reader", "arn:aws:s3:::bucket"), "",
			[]string{`c.yaml:16:15: stores.legacy-sg.role_arn: "arn:aws:s3:::bucket" is not a role's ARN (arn:aws:iam::ACCOUNT:role/NAME)`}},
		{"external id without a role", edit("    role_arn: arn:aws:iam::210987654321:role/parityproof-reader\n", ""), "",
			[]string{
				`c.yaml:16:18: stores.legacy-sg.external_id: applies with role_arn only: it qualifies the role assumed`,
				`c.yaml:17:24: stores.legacy-sg.role_session_name: applies with role_arn only: it qualifies the role assumed`,
				`c.yaml:18:19: stores.legacy-sg.sts_endpoint: applies with role_arn only: it qualifies the role assumed`,
			}},
		{"bad external id", edit("acme-parityproof-7", `"a b"`), "",
			[]string{`c.yaml:17:18: stores.legacy-sg.external_id: is not an external id (2 to 1224 letters, digits and +=,.@:/-_)`}},
		{"bad session name", edit("role_session_name: parityproof-legacy-sg", "role_session_name: "+strings.Repeat("s", 65)), "",
			[]string{`c.yaml:18:24: stores.legacy-sg.role_session_name: "` + strings.Repeat("s", 65) + `" is not a session name (2 to 64 letters, digits and +=,.@-_)`}},
		{"bad STS endpoint", edit("https://sts.ap-southeast-1.amazonaws.com", "sts.ap-southeast-1.amazonaws.com"), "",
			[]string{`c.yaml:19:19: stores.legacy-sg.sts_endpoint: "sts.ap-southeast-1.amazonaws.com" is not an endpoint URL (http:// or https:// and a host)`}},
		{"bad secret name", edit("parityproof/legacy-dc", `"parityproof legacy dc"`), "",
			[]string{`c.yaml:27:25: stores.legacy-dc.credentials_secret: "parityproof legacy dc" is not a Secrets Manager secret's name or ARN`}},
		{"missing CA bundle", edit("dc1-ca.pem", "dc2-ca.pem"), "",
			[]string{`c.yaml:28:16: stores.legacy-dc.ca_bundle: cannot be read: open ` + filepath.Join(dir, "dc2-ca.pem") + `: no such file or directory`}},
		{"CA bundle without a certificate", edit("dc1-ca.pem", notPEM), "",
			[]string{`c.yaml:28:16: stores.legacy-dc.ca_bundle: ` + notPEM + ` holds no PEM certificate`}},
		{"relative CA bundle in a configuration from S3", estate, "s3://pp-config/parityproof.yaml",
			[]string{`s3://pp-config/parityproof.yaml:28:16: stores.legacy-dc.ca_bundle: "dc1-ca.pem": a configuration read from s3://pp-config/parityproof.yaml names its CA bundle by an absolute path (a file of the function's package or a layer, /opt/…)`}},
		{"no switch turns TLS verification off", edit("    ca_bundle: dc1-ca.pem\n", "    ca_bundle: dc1-ca.pem\n    insecure_skip_verify: true\n"), "",
			[]string{`c.yaml:29:5: stores.legacy-dc.insecure_skip_verify: unknown field (known: access_key_id_env, auth, baseline, bucket, ca_bundle, config_file, credentials_secret, endpoint, external_id, key_secret, namespace, path_style, prefix, profile, region, role_arn, role_session_name, secret_access_key_env, session_token_env, sts_endpoint, type)`}},
		{"baseline not a manifest", edit("2024-01-02T03-04Z/manifest.json?region", "2024-01-02T03-04Z/?region"), "",
			[]string{`c.yaml:8:15: stores.legacy-us.baseline: "s3://acme-inventory/legacy-us-backups/baseline/2024-01-02T03-04Z/?region=us-east-1" does not name an S3 Inventory manifest (…/manifest.json)`}},
		{"baseline of another scheme", edit("file://./inventory", "oci://inventory"), "",
			[]string{`c.yaml:20:15: stores.legacy-sg.baseline: "oci://inventory/legacy-sg-backups/baseline/2024-01-02T03-04Z/manifest.json": scheme "oci" is not s3 or file`}},
		{"baseline with an unknown query", edit("?region=us-east-1", "?profile=x"), "",
			[]string{`c.yaml:8:15: stores.legacy-us.baseline: "s3://acme-inventory/legacy-us-backups/baseline/2024-01-02T03-04Z/manifest.json?profile=x": unknown query parameter "profile" (region, endpoint, path_style)`}},
		{"baseline not a URL", edit("file://./inventory", "./inventory"), "",
			[]string{`c.yaml:20:15: stores.legacy-sg.baseline: "./inventory/legacy-sg-backups/baseline/2024-01-02T03-04Z/manifest.json" is not an S3 Inventory manifest: write s3://BUCKET/…/manifest.json or file://PATH/manifest.json`}},
		{"baseline on a target", strings.NewReplacer("    type: oci\n", "    type: s3\n", "    namespace: acmecorp\n", "    baseline: s3://inv/x/manifest.json\n",
			"    key_secret: arn:aws:secretsmanager:us-east-1:123456789012:secret:parityproof/oci-us-AbCdEf\n", "").Replace(estate), "",
			[]string{`c.yaml:31:15: stores.oci-us.baseline: applies to legacy stores only; store "oci-us" is the target of pair us-users`}},
		{"S3 identity on an OCI store", edit("    key_secret:", "    role_arn: arn:aws:iam::1:role/x\n    ca_bundle: x.pem\n    baseline: s3://inv/x/manifest.json\n    key_secret:"), "",
			[]string{
				`c.yaml:34:15: stores.oci-us.role_arn: applies to s3 stores only; this store is of type oci`,
				`c.yaml:35:16: stores.oci-us.ca_bundle: applies to s3 stores only; this store is of type oci`,
				`c.yaml:36:15: stores.oci-us.baseline: applies to s3 stores only; this store is of type oci`,
			}},
		{"OCI key secret on an S3 store", edit("    profile: legacy-us\n", "    key_secret: k\n"), "",
			[]string{`c.yaml:7:17: stores.legacy-us.key_secret: applies to oci stores only; this store is of type s3`}},
		{"key secret with a profile", edit("    key_secret:", "    profile: DEFAULT\n    config_file: ~/.oci/config\n    key_secret:"), "",
			[]string{
				`c.yaml:35:18: stores.oci-us.config_file: cannot go with key_secret: the Lambda functions sign with the key in the secret`,
				`c.yaml:34:14: stores.oci-us.profile: cannot go with key_secret: the Lambda functions sign with the key in the secret`,
			}},
		{"key secret with a principal", edit("    key_secret:", "    auth: resource_principal\n    key_secret:"), "",
			[]string{`c.yaml:35:17: stores.oci-us.key_secret: applies to auth api_key only; this store uses resource_principal`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = filepath.Join(dir, "c.yaml")
			}
			_, err := Parse(path, []byte(tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			got := strings.ReplaceAll(err.Error(), filepath.Join(dir, "c.yaml"), "c.yaml")
			if diff := cmp.Diff(strings.Join(tc.want, "\n"), got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
