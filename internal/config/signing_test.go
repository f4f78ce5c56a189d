package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const minimal = `stores:
  a: {type: s3, bucket: legacy, region: us-east-1}
  b: {type: oci, namespace: ns, bucket: target, region: us-ashburn-1}
pairs: [{name: p, legacy: [a], target: b}]
`

func TestSigningAndLease(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		yaml    string
		signing Signing
		ttl     time.Duration
	}{
		{"none", "", Signing{}, DefaultLeaseTTL},
		{"kms", "signing: {kms_key: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', endpoint: 'http://127.0.0.1:5000'}\nrun: {lease_ttl: 90s}\n",
			Signing{KMSKey: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", Region: "eu-west-1", Endpoint: "http://127.0.0.1:5000"}, 90 * time.Second},
		{"kms alias with region", "signing: {kms_key: 'arn:aws:kms:us-east-1:123456789012:alias/parityproof', region: us-west-2}\n",
			Signing{KMSKey: "arn:aws:kms:us-east-1:123456789012:alias/parityproof", Region: "us-west-2"}, DefaultLeaseTTL},
		{"key file", "signing: {key_file: keys/signing.pem}\n", Signing{KeyFile: filepath.Join(dir, "keys", "signing.pem")}, DefaultLeaseTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(filepath.Join(dir, "c.yaml"), []byte(minimal+tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.signing, cfg.Signing); diff != "" {
				t.Errorf("signing (-want +got):\n%s", diff)
			}
			if cfg.Run.LeaseTTL != tc.ttl {
				t.Errorf("lease TTL %s, want %s", cfg.Run.LeaseTTL, tc.ttl)
			}
			if cfg.Signing.Enabled() != (tc.signing != Signing{}) {
				t.Errorf("Enabled() = %v", cfg.Signing.Enabled())
			}
		})
	}
}

func TestSigningAndLeaseProblems(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"signing: {}\n", "signing: names no key"},
		{"signing: {kms_key: 'arn:aws:kms:us-east-1:123456789012:key/x', key_file: k.pem}\n", "signing.key_file: name either kms_key or key_file, not both"},
		{"signing: {kms_key: 'alias/parityproof'}\n", `signing.kms_key: "alias/parityproof" is not a KMS key ARN`},
		{"signing: {key_file: k.pem, region: us-east-1}\n", "signing.region: applies to kms_key only"},
		{"signing: {kms_key: 'arn:aws:kms:us-east-1:123456789012:key/x', endpoint: 'ftp://x'}\n", "signing.endpoint:"},
		{"signing: {key: x}\n", "signing.key: unknown field"},
		{"run: {lease_ttl: 5s}\n", `run.lease_ttl: "5s" is not a duration of at least 10s`},
		{"run: {lease_ttl: soon}\n", `run.lease_ttl: "soon" is not a duration`},
	} {
		_, err := Parse("c.yaml", []byte(minimal+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}
