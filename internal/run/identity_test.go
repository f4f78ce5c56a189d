package run

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// STS names the caller whose credentials the default chain finds.
func TestIdentifyAsksSTS(t *testing.T) {
	srv := motoEnv(t)
	id := Identify(context.Background(), IdentifyOptions{AWS: true, STSEndpoint: srv.URL}, nil)
	// moto's fixed answer for any credentials.
	want := &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:user/moto", UserID: "AKIAIOSFODNN7EXAMPLE"}}
	if diff := cmp.Diff(want, id); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
}

// The OCI user and tenancy come from the API key's profile; other
// principals are named by their kind; a profile that cannot be read
// leaves the user unknown rather than failing the report.
func TestIdentifyReadsTheOCIConfig(t *testing.T) {
	file, err := ocilocal.WriteConfig(t.TempDir(), ocilocaltest.Key(), ocilocal.Profile{Name: "LOCAL", User: "ocid1.user.oc1..compliance", Tenancy: "ocid1.tenancy.oc1..acme"})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	id := Identify(context.Background(), IdentifyOptions{OCI: []state.OCIIdentity{
		{Auth: config.AuthAPIKey, ConfigFile: file, Profile: "LOCAL"},
		{Auth: config.AuthInstancePrincipal},
		{Auth: config.AuthAPIKey, ConfigFile: missing, Profile: "DEFAULT"},
	}}, nil)
	want := &state.Identity{OCI: []state.OCIIdentity{
		{Auth: config.AuthAPIKey, User: "ocid1.user.oc1..compliance", Tenancy: "ocid1.tenancy.oc1..acme", Profile: "LOCAL", ConfigFile: file},
		{Auth: config.AuthInstancePrincipal},
		{Auth: config.AuthAPIKey, Profile: "DEFAULT", ConfigFile: missing},
	}}
	if diff := cmp.Diff(want, id); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	if got, want := id.String(), "OCI ocid1.user.oc1..compliance and OCI instance principal and OCI profile DEFAULT (user unknown)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if id := Identify(context.Background(), IdentifyOptions{}, nil); id != nil {
		t.Errorf("nothing to look up gave %+v, want nil", id)
	}
}

// STS is asked only for stores in AWS itself, and only where credentials
// are configured; every OCI principal is named once.
func TestIdentifyOptionsFor(t *testing.T) {
	const yaml = `
stores:
  onprem: {type: s3, bucket: onprem-a, region: us-east-1, endpoint: "http://127.0.0.1:9000"}
  aws-sg: {type: s3, bucket: aws-sg-b, region: ap-southeast-1}
  oci-1: {type: oci, namespace: n, bucket: c, region: us-ashburn-1}
  oci-2: {type: oci, namespace: n, bucket: d, region: us-ashburn-1}
  oci-3: {type: oci, namespace: n, bucket: e, region: us-ashburn-1, auth: instance_principal}
pairs:
  - {name: p, legacy: [onprem, aws-sg], target: oci-1}
  - {name: q, legacy: [oci-2], target: oci-3}
`
	cfg, err := config.Parse("/etc/parityproof.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	want := IdentifyOptions{AWS: true, AWSRegion: "ap-southeast-1", OCI: []state.OCIIdentity{
		{Auth: config.AuthAPIKey, ConfigFile: "~/.oci/config", Profile: "DEFAULT"},
		{Auth: config.AuthInstancePrincipal},
	}}
	if diff := cmp.Diff(want, IdentifyOptionsFor(cfg)); diff != "" {
		t.Errorf("with credentials (-want +got):\n%s", diff)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	want.AWS = false
	if diff := cmp.Diff(want, IdentifyOptionsFor(cfg)); diff != "" {
		t.Errorf("without credentials (-want +got):\n%s", diff)
	}
}
