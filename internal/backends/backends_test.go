package backends

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/config"
)

// Every identity field of an S3 store reaches the client's identity; a
// role's sessions are named after the store unless the file names them.
func TestIdentity(t *testing.T) {
	long := strings.Repeat("x", 70)
	for _, tc := range []struct {
		name string
		s    config.Store
		want awsclient.Identity
	}{
		{"none", config.Store{Name: "a", Type: config.S3}, awsclient.Identity{}},
		{"profile", config.Store{Name: "a", Type: config.S3, Profile: "dc"}, awsclient.Identity{Profile: "dc"}},
		{"keys", config.Store{Name: "a", Type: config.S3, AccessKeyIDEnv: "K", SecretAccessKeyEnv: "S", SessionTokenEnv: "T"},
			awsclient.Identity{AccessKeyIDEnv: "K", SecretAccessKeyEnv: "S", SessionTokenEnv: "T"}},
		{"a secret the Lambda functions wrote", config.Store{Name: "a", Type: config.S3, CredentialsSecret: "pp/a", CredentialsFile: "/tmp/c", Profile: "parityproof-a"},
			awsclient.Identity{Secret: "pp/a", CredentialsFile: "/tmp/c", Profile: "parityproof-a"}},
		{"role", config.Store{Name: "legacy-sg", Type: config.S3, RoleARN: "arn:aws:iam::1:role/r", ExternalID: "e", STSEndpoint: "http://sts"},
			awsclient.Identity{RoleARN: "arn:aws:iam::1:role/r", ExternalID: "e", SessionName: "parityproof-legacy-sg", STSEndpoint: "http://sts"}},
		{"role with a long store name", config.Store{Name: long, Type: config.S3, RoleARN: "arn:aws:iam::1:role/r"},
			awsclient.Identity{RoleARN: "arn:aws:iam::1:role/r", SessionName: ("parityproof-" + long)[:64]}},
		{"role with a session name", config.Store{Name: "a", Type: config.S3, RoleARN: "arn:aws:iam::1:role/r", RoleSessionName: "audit"},
			awsclient.Identity{RoleARN: "arn:aws:iam::1:role/r", SessionName: "audit"}},
		{"CA bundle", config.Store{Name: "a", Type: config.S3, CABundle: "/etc/dc1.pem"}, awsclient.Identity{CABundle: "/etc/dc1.pem"}},
	} {
		got, err := Identity(tc.s)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: identity (-want +got):\n%s", tc.name, diff)
		}
	}
}

// Secrets only the Lambda functions read are an error elsewhere, naming the
// store and the secret, before any request.
func TestSecretsOutsideLambda(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		s    config.Store
		want string
	}{
		{config.Store{Name: "legacy-dc", Type: config.S3, Bucket: "b", CredentialsSecret: "pp/dc"},
			"store legacy-dc: its key pair is the secret pp/dc, which only the Lambda functions read (on the command line, name a profile or environment variables instead)"},
		{config.Store{Name: "oci-us", Type: config.OCI, Bucket: "b", Auth: config.AuthAPIKey, KeySecret: "pp/oci"},
			"store oci-us: its API key is the secret pp/oci, which only the Lambda functions read (on the command line, name an OCI configuration file and profile instead)"},
	} {
		_, err := Opener{}.Open(ctx, tc.s, 10)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.s.Name, err, tc.want)
		}
	}
}
