package lambdaenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ocikey"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
)

var moto motoserver.Shared

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

const sampleConfig = `stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, prefix: users/, region: us-east-1}
  oci-us: {type: oci, namespace: acmecorp, bucket: us-users, region: us-ashburn-1, config_file: /nowhere/config, profile: OTHER}
  oci-ip: {type: oci, namespace: acmecorp, bucket: us-users-2, region: us-ashburn-1, auth: instance_principal}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
  - {name: us-users-2, legacy: [legacy-us], target: oci-ip}
state: oci://state@acmecorp/pp/?region=us-ashburn-1
reports: s3://pp-reports/reports/
`

// world is moto seeded with a configuration object, an SSM parameter and
// an OCI key secret.
type world struct {
	key    *rsa.PrivateKey
	keyPEM string
}

func setup(t *testing.T) *world {
	t.Helper()
	srv := moto.Get(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	ctx := context.Background()
	if err := srv.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-config")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pp-config"), Key: aws.String("prod/parityproof.yaml"), Body: strings.NewReader(sampleConfig)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pp-config"), Key: aws.String("broken.yaml"), Body: strings.NewReader("stores: {}\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/parityproof/config"),
		Value: aws.String(sampleConfig), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{key: key, keyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	sm := secretsmanager.NewFromConfig(cfg)
	for name, value := range map[string]string{"parityproof/oci-key": w.keyPEM, "parityproof/not-a-key": "hunter2-not-a-pem"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigFromS3AndSSM(t *testing.T) {
	setup(t)
	for _, src := range []string{"s3://pp-config/prod/parityproof.yaml", "ssm:/parityproof/config"} {
		t.Run(src, func(t *testing.T) {
			env, err := Load(context.Background(), Options{Getenv: getenv(map[string]string{
				EnvConfig: src, EnvSNSTopic: "arn:aws:sns:us-east-1:123456789012:parityproof-reports",
			})})
			if err != nil {
				t.Fatal(err)
			}
			want, err := config.Parse(src, []byte(sampleConfig))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, env.Config); diff != "" {
				t.Errorf("configuration (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Env{Source: src, SNSTopic: "arn:aws:sns:us-east-1:123456789012:parityproof-reports"},
				Env{Source: env.Source, SNSTopic: env.SNSTopic, OCIConfigFile: env.OCIConfigFile}); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
		})
	}
}

// The key secret becomes a private key file and an OCI configuration file
// the SDK reads; the API-key stores and locations are pointed at it; the
// key appears in no log.
func TestLoadWritesTheOCIKeyFromSecretsManager(t *testing.T) {
	w := setup(t)
	dir := filepath.Join(t.TempDir(), "oci")
	var logs bytes.Buffer
	env, err := Load(context.Background(), Options{
		Getenv: getenv(map[string]string{
			EnvConfig: "s3://pp-config/prod/parityproof.yaml", EnvOCIKeySecret: "parityproof/oci-key",
			EnvOCITenancy: "ocid1.tenancy.oc1..acme", EnvOCIUser: "ocid1.user.oc1..verifier", EnvOCIRegion: "us-ashburn-1",
		}),
		Dir:    dir,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config")
	keyPath := filepath.Join(dir, "key.pem")
	modes := map[string]os.FileMode{}
	for _, p := range []string{dir, cfgPath, keyPath} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		modes[p] = fi.Mode().Perm()
	}
	if diff := cmp.Diff(map[string]os.FileMode{dir: 0o700, cfgPath: 0o600, keyPath: 0o600}, modes); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cfgPath, env.OCIConfigFile); diff != "" {
		t.Error(diff)
	}
	gotKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w.keyPEM, string(gotKey)); diff != "" {
		t.Errorf("key file (-want +got):\n%s", diff)
	}

	// The OCI SDK reads the file as the signer of tenancy/user/fingerprint.
	p, err := common.ConfigurationProviderFromFileWithProfile(cfgPath, "DEFAULT", "")
	if err != nil {
		t.Fatal(err)
	}
	keyID, err := p.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := ocikey.Fingerprint(&w.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := p.PrivateRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	region, err := p.Region()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ocid1.tenancy.oc1..acme/ocid1.user.oc1..verifier/" + fp, "us-ashburn-1", "true"},
		[]string{keyID, region, map[bool]string{true: "true", false: "false"}[priv.Equal(w.key)]}); diff != "" {
		t.Errorf("OCI configuration as the SDK reads it (-want +got):\n%s", diff)
	}

	// API-key stores and locations use it; others are left alone.
	got := map[string][2]string{}
	for name, s := range env.Config.Stores {
		got[name] = [2]string{s.ConfigFile, s.Profile}
	}
	got["state"] = [2]string{env.Config.State.ConfigFile, env.Config.State.Profile}
	got["reports"] = [2]string{env.Config.Reports.ConfigFile, env.Config.Reports.Profile}
	if diff := cmp.Diff(map[string][2]string{
		"legacy-us": {}, "oci-ip": {}, "reports": {},
		"oci-us": {cfgPath, "DEFAULT"}, "state": {cfgPath, "DEFAULT"},
	}, got); diff != "" {
		t.Errorf("config_file and profile (-want +got):\n%s", diff)
	}

	// Loading again (a warm invocation) rewrites the same files.
	if _, err := Load(context.Background(), Options{Getenv: getenv(map[string]string{
		EnvConfig: "ssm:/parityproof/config", EnvOCIKeySecret: "parityproof/oci-key",
		EnvOCITenancy: "ocid1.tenancy.oc1..acme", EnvOCIUser: "ocid1.user.oc1..verifier",
	}), Dir: dir, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}); err != nil {
		t.Fatal(err)
	}
	keyBody := strings.Split(strings.TrimSpace(w.keyPEM), "\n")[1]
	if strings.Contains(logs.String(), keyBody) || logs.Len() == 0 {
		t.Errorf("the logs hold the key, or nothing at all:\n%s", logs.String())
	}
}

func TestLoadRefusesBrokenEnvironments(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	oci := map[string]string{EnvOCITenancy: "ocid1.tenancy.oc1..acme", EnvOCIUser: "ocid1.user.oc1..verifier"}
	with := func(m map[string]string, extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	const good = "s3://pp-config/prod/parityproof.yaml"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // a part of the error
	}{
		{"nothing set", nil, "PARITYPROOF_CONFIG is not set"},
		{"another scheme", map[string]string{EnvConfig: "https://example.com/c.yaml"}, `PARITYPROOF_CONFIG "https://example.com/c.yaml": name the configuration as s3://BUCKET/KEY or ssm:/PARAMETER`},
		{"an S3 bucket without a key", map[string]string{EnvConfig: "s3://pp-config"}, "an S3 configuration is s3://BUCKET/KEY"},
		{"an S3 object that is not there", map[string]string{EnvConfig: "s3://pp-config/nope.yaml"}, "reading the configuration s3://pp-config/nope.yaml: "},
		{"an SSM parameter that is not there", map[string]string{EnvConfig: "ssm:/parityproof/nope"}, "reading the configuration ssm:/parityproof/nope: "},
		{"an empty SSM name", map[string]string{EnvConfig: "ssm:"}, "names no SSM parameter"},
		{"a broken configuration", map[string]string{EnvConfig: "s3://pp-config/broken.yaml"}, "s3://pp-config/broken.yaml:1:9: stores: names no store"},
		{"a secret without its tenancy", map[string]string{EnvConfig: good, EnvOCIKeySecret: "parityproof/oci-key", EnvOCIUser: "u"},
			"PARITYPROOF_OCI_KEY_SECRET is set but PARITYPROOF_OCI_TENANCY is not"},
		{"a secret that is not there", with(oci, map[string]string{EnvConfig: good, EnvOCIKeySecret: "parityproof/nope"}), "reading the OCI key secret parityproof/nope: "},
		{"a secret that is not a key", with(oci, map[string]string{EnvConfig: good, EnvOCIKeySecret: "parityproof/not-a-key"}),
			"the OCI key secret parityproof/not-a-key: no PEM-encoded RSA private key"},
		{"a tenancy that would break the file", with(oci, map[string]string{EnvConfig: good, EnvOCIKeySecret: "parityproof/oci-key", EnvOCITenancy: "x\nkey_file=/etc/passwd"}),
			"cannot go into an OCI configuration file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := Load(context.Background(), Options{Getenv: getenv(tc.env), Dir: filepath.Join(dir, tc.name)})
			if err == nil {
				t.Fatalf("Load accepted it: %+v", env)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the secret: %v", err)
			}
			if tc.env == nil && !errors.Is(err, ErrNoConfig) {
				t.Errorf("error %v is not ErrNoConfig", err)
			}
			if _, err := os.Stat(filepath.Join(dir, tc.name, "key.pem")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a key file was written: %v", err)
			}
		})
	}
}

// storesConfig has an S3 store and an OCI store whose credentials are
// secrets of their own, beside the function-wide OCI key.
const storesConfig = `stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, region: us-east-1}
  legacy-dc: {type: s3, bucket: backups, region: us-east-1, endpoint: "https://minio.dc1.test:9000", credentials_secret: parityproof/legacy-dc, role_arn: "arn:aws:iam::210987654321:role/r"}
  oci-us: {type: oci, namespace: acmecorp, bucket: us-users, region: us-ashburn-1}
  oci-eu: {type: oci, namespace: acmecorp, bucket: eu-users, region: eu-frankfurt-1, key_secret: parityproof/oci-eu}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-dc], target: oci-us}
  - {name: eu-users, legacy: [legacy-dc], target: oci-eu}
`

// A store's own secrets become files its client reads — an AWS credentials
// profile, an OCI configuration profile and key — that no other store is
// pointed at; the function-wide key stays the others'.
func TestLoadWritesEachStoresSecrets(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	euKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(euKey)
	if err != nil {
		t.Fatal(err)
	}
	euPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	ociSecret, _ := json.Marshal(map[string]string{"tenancy": "ocid1.tenancy.oc1..eu", "user": "ocid1.user.oc1..eu-verifier", "private_key": euPEM, "region": "eu-frankfurt-1"})
	sm := secretsmanager.NewFromConfig(cfg)
	for name, value := range map[string]string{
		"parityproof/legacy-dc": `{"access_key_id": "AKIADC1", "secret_access_key": "dc1-secret-hunter2"}`,
		"parityproof/oci-eu":    string(ociSecret),
	} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pp-config"), Key: aws.String("stores.yaml"), Body: strings.NewReader(storesConfig)}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "secrets")
	var logs bytes.Buffer
	env, err := Load(ctx, Options{Getenv: getenv(map[string]string{
		EnvConfig: "s3://pp-config/stores.yaml", EnvOCIKeySecret: "parityproof/oci-key",
		EnvOCITenancy: "ocid1.tenancy.oc1..acme", EnvOCIUser: "ocid1.user.oc1..verifier",
	}), Dir: dir, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	credsPath, ociPath := filepath.Join(dir, "aws-credentials"), filepath.Join(dir, "config")
	type pointed struct{ ConfigFile, Profile, CredentialsFile string }
	got := map[string]pointed{}
	for name, s := range env.Config.Stores {
		got[name] = pointed{s.ConfigFile, s.Profile, s.CredentialsFile}
	}
	if diff := cmp.Diff(map[string]pointed{
		"legacy-us": {},
		"legacy-dc": {Profile: "parityproof-legacy-dc", CredentialsFile: credsPath},
		"oci-us":    {ConfigFile: ociPath, Profile: "DEFAULT"},
		"oci-eu":    {ConfigFile: ociPath, Profile: "STORE-oci-eu"},
	}, got); diff != "" {
		t.Errorf("stores pointed at (-want +got):\n%s", diff)
	}
	for _, p := range []string{credsPath, ociPath, filepath.Join(dir, "key-oci-eu.pem")} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", p, err, fi)
		}
	}

	// The AWS SDK reads the store's profile as the secret's key pair.
	dcCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithSharedConfigProfile("parityproof-legacy-dc"), awsconfig.WithSharedCredentialsFiles([]string{credsPath}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := dcCfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The OCI SDK reads the store's profile as its own key and identity.
	p, err := common.ConfigurationProviderFromFileWithProfile(ociPath, "STORE-oci-eu", "")
	if err != nil {
		t.Fatal(err)
	}
	keyID, err := p.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	region, err := p.Region()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := ocikey.Fingerprint(&euKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"AKIADC1", "dc1-secret-hunter2", "ocid1.tenancy.oc1..eu/ocid1.user.oc1..eu-verifier/" + fp, "eu-frankfurt-1"},
		[]string{creds.AccessKeyID, creds.SecretAccessKey, keyID, region}); diff != "" {
		t.Errorf("what the SDKs read (-want +got):\n%s", diff)
	}
	if dp, err := common.ConfigurationProviderFromFileWithProfile(ociPath, "DEFAULT", ""); err != nil {
		t.Error(err)
	} else if k, err := dp.PrivateRSAKey(); err != nil || !k.Equal(w.key) {
		t.Errorf("the DEFAULT profile's key is not the function-wide one: %v", err)
	}
	for _, secret := range []string{"hunter2", strings.Split(strings.TrimSpace(euPEM), "\n")[1]} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the logs hold a secret:\n%s", logs.String())
		}
	}

	// A function that opens no store reads none of their secrets.
	other := filepath.Join(t.TempDir(), "report")
	renv, err := Load(ctx, Options{Getenv: getenv(map[string]string{
		EnvConfig: "s3://pp-config/stores.yaml", EnvOCIKeySecret: "parityproof/oci-key",
		EnvOCITenancy: "ocid1.tenancy.oc1..acme", EnvOCIUser: "ocid1.user.oc1..verifier",
	}), Dir: other, SkipStoreSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	dc, eu := renv.Config.Stores["legacy-dc"], renv.Config.Stores["oci-eu"]
	if dc.CredentialsFile != "" || eu.ConfigFile != "" || eu.Profile != "" {
		t.Errorf("with SkipStoreSecrets, stores were pointed at secrets: %+v %+v", dc, eu)
	}
	if _, err := os.Stat(filepath.Join(other, "aws-credentials")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with SkipStoreSecrets, an AWS credentials file was written: %v", err)
	}
}

// A store's secret that is not what it should be is an error naming the
// store and the secret, not quoting it, and nothing is written.
func TestLoadRefusesBrokenStoreSecrets(t *testing.T) {
	setup(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	for name, value := range map[string]string{
		"pp/not-json":      "hunter2",
		"pp/no-secret-key": `{"access_key_id": "AKIA"}`,
		"pp/oci-no-user":   `{"tenancy": "t", "private_key": "hunter2"}`,
		"pp/oci-bad-key":   `{"tenancy": "t", "user": "u", "private_key": "hunter2"}`,
	} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	dir := t.TempDir()
	for _, tc := range []struct {
		name, store, want string
	}{
		{"not JSON", "{type: s3, bucket: bbb, region: us-east-1, credentials_secret: pp/not-json}",
			"store a: the secret pp/not-json is not a key pair: it must hold JSON with access_key_id and secret_access_key (and session_token for temporary keys)"},
		{"half a key pair", "{type: s3, bucket: bbb, region: us-east-1, credentials_secret: pp/no-secret-key}",
			"store a: the secret pp/no-secret-key is not a key pair"},
		{"a secret that is not there", "{type: s3, bucket: bbb, region: us-east-1, credentials_secret: pp/nothing}",
			"reading the key pair secret of store a, pp/nothing: "},
		{"an OCI secret without a user", "{type: oci, namespace: n, bucket: b, region: us-ashburn-1, key_secret: pp/oci-no-user}",
			"store a: the secret pp/oci-no-user is not an OCI API key: it must hold JSON with tenancy, user and private_key (and region)"},
		{"an OCI secret whose key is no key", "{type: oci, namespace: n, bucket: b, region: us-ashburn-1, key_secret: pp/oci-bad-key}",
			"store a: the OCI key secret pp/oci-bad-key: no PEM-encoded RSA private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "broken/" + strings.ReplaceAll(tc.name, " ", "-") + ".yaml"
			body := "stores:\n  a: " + tc.store + "\n  z: {type: s3, bucket: zzz, region: us-east-1}\npairs: [{name: p, legacy: [z], target: a}]\n"
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pp-config"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			_, err := Load(ctx, Options{Getenv: getenv(map[string]string{EnvConfig: "s3://pp-config/" + key}), Dir: out})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %v: want it to say %q and not quote the secret", err, tc.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("files were written: %v", entries)
			}
		})
	}
}
