package config

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const good = `
stores:
  legacy-us:
    type: s3
    bucket: legacy-us-backups
    prefix: users/
    region: us-east-1
    endpoint: http://127.0.0.1:5000
    path_style: true
  legacy-sg:
    type: s3
    bucket: legacy-sg-backups
    prefix: users/
    region: ap-southeast-1
  oci-us:
    type: oci
    namespace: acmecorp
    bucket: us-users
    prefix: migrated/users/
    region: us-ashburn-1
    endpoint: http://127.0.0.1:8787
    auth: api_key
    config_file: ~/.oci/config
    profile: DEFAULT
pairs:
  - name: us-users
    legacy: [legacy-us, legacy-sg]
    target: oci-us
state: file://./parityproof-state
reports: s3://acme-reports/parityproof/?region=us-east-1
policy:
  deep_verify_budget: 1GiB
  allowed_target_regions: [us-ashburn-1, us-phoenix-1]
  accept_asserted_checksums: false
run:
  workers: 8
`

func TestParseGood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "parityproof.yaml")
	cfg, err := Parse(path, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: path,
		Stores: map[string]Store{
			"legacy-us": {Name: "legacy-us", Type: S3, Bucket: "legacy-us-backups", Prefix: "users/", Region: "us-east-1", Endpoint: "http://127.0.0.1:5000", PathStyle: true},
			"legacy-sg": {Name: "legacy-sg", Type: S3, Bucket: "legacy-sg-backups", Prefix: "users/", Region: "ap-southeast-1"},
			"oci-us": {Name: "oci-us", Type: OCI, Namespace: "acmecorp", Bucket: "us-users", Prefix: "migrated/users/", Region: "us-ashburn-1",
				Endpoint: "http://127.0.0.1:8787", Auth: AuthAPIKey, ConfigFile: "~/.oci/config", Profile: "DEFAULT"},
		},
		StoreNames: []string{"legacy-us", "legacy-sg", "oci-us"},
		Pairs:      []Pair{{Name: "us-users", Legacy: []string{"legacy-us", "legacy-sg"}, Target: "oci-us"}},
		State:      Location{Raw: "file://./parityproof-state", Scheme: "file", Dir: filepath.Join(dir, "parityproof-state")},
		Reports:    Location{Raw: "s3://acme-reports/parityproof/?region=us-east-1", Scheme: "s3", Bucket: "acme-reports", Prefix: "parityproof/", Region: "us-east-1"},
		Policy:     Policy{DeepVerifyBudget: 1 << 30, AllowedTargetRegions: []string{"us-ashburn-1", "us-phoenix-1"}},
		Run: RunOptions{Workers: 8, ShardSize: DefaultShardSize, CheckpointEvery: DefaultCheckpointEvery, PageSize: DefaultPageSize,
			HeadConcurrency: DefaultHeadConcurrency, ReadBytesInFlight: DefaultReadBytesInFlight, LeaseTTL: DefaultLeaseTTL},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreFields(Config{}, "Digest")); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if len(cfg.Digest) != 64 {
		t.Errorf("digest %q is not a SHA-256", cfg.Digest)
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse("/etc/pp/c.yaml", []byte(`
stores:
  a: {type: s3, bucket: aaa, region: us-east-1}
  b: {type: oci, namespace: n, bucket: b, region: us-phoenix-1}
pairs: [{name: p, legacy: [a], target: b}]
`))
	if err != nil {
		t.Fatal(err)
	}
	type defaults struct {
		State, Reports       string
		Auth, Config, Prof   string
		Budget               int64
		Workers, Checkpoints int
		Heads                int
		ReadBytes            int64
	}
	got := defaults{cfg.State.Dir, cfg.Reports.Dir, cfg.Stores["b"].Auth, cfg.Stores["b"].ConfigFile, cfg.Stores["b"].Profile, cfg.Policy.DeepVerifyBudget,
		cfg.Run.Workers, cfg.Run.CheckpointEvery, cfg.Run.HeadConcurrency, cfg.Run.ReadBytesInFlight}
	want := defaults{"/etc/pp/parityproof-state", "/etc/pp/parityproof-reports", AuthAPIKey, "~/.oci/config", "DEFAULT", 0,
		DefaultWorkers(), DefaultCheckpointEvery, 32, 256 << 20}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestParseRunTuning(t *testing.T) {
	for _, tc := range []struct {
		yaml  string
		heads int
		bytes int64
	}{
		{"  head_concurrency: 64\n  read_bytes_in_flight: 64MiB\n", 64, 64 << 20},
		{"  head_concurrency: 1\n  read_bytes_in_flight: 1\n", 1, 1},
		{"  head_concurrency: 1024\n  read_bytes_in_flight: 1.5GB\n", 1024, 1_500_000_000},
		{"  read_bytes_in_flight: 8388608\n", DefaultHeadConcurrency, 8 << 20},
	} {
		cfg, err := Parse("c.yaml", []byte(good+tc.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if got := [2]int64{int64(cfg.Run.HeadConcurrency), cfg.Run.ReadBytesInFlight}; got != [2]int64{int64(tc.heads), tc.bytes} {
			t.Errorf("%q: head_concurrency, read_bytes_in_flight = %v, want %v", tc.yaml, got, [2]int64{int64(tc.heads), tc.bytes})
		}
	}
}

// The default number of workers follows the CPUs the process may use.
func TestDefaultWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ procs, want int }{{1, 4}, {2, 4}, {3, 6}, {8, 16}, {16, 32}, {64, 32}} {
		runtime.GOMAXPROCS(tc.procs)
		if got := DefaultWorkers(); got != tc.want {
			t.Errorf("%d CPUs: %d workers, want %d", tc.procs, got, tc.want)
		}
	}
}

// Every broken configuration gives the file, the line, the field and what
// is wrong.
func TestParseRejectsBrokenConfigurations(t *testing.T) {
	base := func(edit func(string) string) string { return edit(good) }
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"not YAML", "stores: [", []string{`c.yaml:2:1: not valid YAML: did not find expected node content`}},
		// The parser's own line and column: where the bad line is, not
		// where the mapping it breaks began.
		{"line indented too little", "stores:\n  a:\n    type: s3\n   bucket: aaa\n", []string{
			`c.yaml:4:4: not valid YAML: did not find expected key (while parsing a block mapping that begins at line 2, column 3; check this line's indentation)`}},
		{"line indented too much", "stores:\n  a:\n    type: s3\n      bucket: aaa\n", []string{
			`c.yaml:4:13: not valid YAML: mapping values are not allowed in this context`}},
		{"empty file", "", []string{`c.yaml: the file is empty; it needs at least stores and pairs`}},
		{"unknown top-level field", base(func(s string) string { return s + "retention: 30d\n" }),
			[]string{`c.yaml:37:1: retention: unknown field (known: notify, pairs, policy, reports, run, signing, state, stores)`}},
		{"unknown store field", base(func(s string) string {
			return strings.Replace(s, "    path_style: true\n", "    path_style: true\n    storage_class: GLACIER\n", 1)
		}),
			[]string{`c.yaml:10:5: stores.legacy-us.storage_class: unknown field (known: access_key_id_env, auth, baseline, bucket, ca_bundle, config_file, credentials_secret, endpoint, external_id, key_secret, namespace, path_style, prefix, profile, region, role_arn, role_session_name, secret_access_key_env, session_token_env, sts_endpoint, type)`}},
		{"pair names a missing store", base(func(s string) string {
			return strings.Replace(s, "[legacy-us, legacy-sg]", "[legacy-us, legacy-eu]", 1)
		}),
			[]string{`c.yaml:27:25: pairs[0].legacy[1]: no store is named "legacy-eu" (stores: legacy-us, legacy-sg, oci-us)`}},
		{"missing target store", base(func(s string) string { return strings.Replace(s, "target: oci-us", "target: oci-eu", 1) }),
			[]string{`c.yaml:28:13: pairs[0].target: no store is named "oci-eu" (stores: legacy-us, legacy-sg, oci-us)`}},
		{"bad size", base(func(s string) string { return strings.Replace(s, "1GiB", "1 gigabyte", 1) }),
			[]string{`c.yaml:32:23: policy.deep_verify_budget: "1 gigabyte" is not a size (a number of bytes, or with a unit such as 500MB or 1GiB)`}},
		{"bad state URL", base(func(s string) string {
			return strings.Replace(s, "file://./parityproof-state", "./parityproof-state", 1)
		}),
			[]string{`c.yaml:29:8: state: "./parityproof-state" is not a location: write file://PATH, s3://BUCKET/PREFIX or oci://BUCKET@NAMESPACE/PREFIX`}},
		{"unknown location scheme", base(func(s string) string {
			return strings.Replace(s, "s3://acme-reports/parityproof/?region=us-east-1", "gs://acme-reports/", 1)
		}), []string{`c.yaml:30:10: reports: "gs://acme-reports/": scheme "gs" is not file, s3 or oci`}},
		{"unknown store type", base(func(s string) string { return strings.Replace(s, "type: oci", "type: gcs", 1) }),
			[]string{`c.yaml:16:11: stores.oci-us.type: "gcs" is not a store type (s3 or oci)`}},
		{"OCI field on an S3 store", base(func(s string) string {
			return strings.Replace(s, "    region: ap-southeast-1\n", "    region: ap-southeast-1\n    namespace: acme\n", 1)
		}),
			[]string{`c.yaml:15:16: stores.legacy-sg.namespace: applies to oci stores only; this store is of type s3`}},
		{"bad bucket name", base(func(s string) string { return strings.Replace(s, "legacy-sg-backups", "Legacy_SG", 1) }),
			[]string{`c.yaml:12:13: stores.legacy-sg.bucket: "Legacy_SG" is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')`}},
		{"bad endpoint", base(func(s string) string { return strings.Replace(s, "http://127.0.0.1:8787", "127.0.0.1:8787", 1) }),
			[]string{`c.yaml:21:15: stores.oci-us.endpoint: "127.0.0.1:8787" is not an endpoint URL (http:// or https:// and a host)`}},
		{"bad auth", base(func(s string) string { return strings.Replace(s, "auth: api_key", "auth: password", 1) }),
			[]string{`c.yaml:22:11: stores.oci-us.auth: "password" is not an authentication method (api_key, instance_principal or resource_principal)`}},
		{"profile with instance principal", base(func(s string) string { return strings.Replace(s, "auth: api_key", "auth: instance_principal", 1) }),
			[]string{
				`c.yaml:23:18: stores.oci-us.config_file: applies to auth api_key only; this store uses instance_principal`,
				`c.yaml:24:14: stores.oci-us.profile: applies to auth api_key only; this store uses instance_principal`,
			}},
		{"a store both legacy and target", base(func(s string) string { return strings.Replace(s, "[legacy-us, legacy-sg]", "[legacy-us, oci-us]", 1) }),
			[]string{`c.yaml:27:25: pairs[0].legacy[1]: store "oci-us" cannot be both a legacy store and the target`}},
		{"boolean as a string", base(func(s string) string { return strings.Replace(s, "path_style: true", `path_style: "yes"`, 1) }),
			[]string{`c.yaml:9:17: stores.legacy-us.path_style: must be true or false, not the value "yes"`}},
		{"missing required fields", `
stores:
  a: {type: s3}
pairs: [{name: p, target: a}]
`, []string{
			`c.yaml:3:6: stores.a.bucket: is required`,
			`c.yaml:3:6: stores.a.region: is required`,
			`c.yaml:4:9: pairs[0].legacy: is required`,
		}},
		{"duplicate pair names", base(func(s string) string {
			return strings.Replace(s, "    target: oci-us\n", "    target: oci-us\n  - name: us-users\n    legacy: [legacy-sg]\n    target: oci-us\n", 1)
		}), []string{`c.yaml:29:11: pairs[1].name: another pair is already named "us-users"`}},
		{"policy region", base(func(s string) string { return strings.Replace(s, "us-phoenix-1]", "Phoenix]", 1) }),
			[]string{`c.yaml:33:42: policy.allowed_target_regions[1]: "Phoenix" is not a region name (like us-ashburn-1)`}},
		{"target outside the allowed regions", base(func(s string) string {
			return strings.Replace(s, "    region: us-ashburn-1\n", "    region: us-sanjose-1\n", 1)
		}),
			[]string{`c.yaml:28:13: pairs[0].target: store "oci-us" is in region us-sanjose-1, outside policy.allowed_target_regions (us-ashburn-1, us-phoenix-1)`}},
		{"bad SNS topic", base(func(s string) string { return s + "notify: {sns_topic: parityproof-reports}\n" }),
			[]string{`c.yaml:37:21: notify.sns_topic: "parityproof-reports" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`}},
		{"workers zero", base(func(s string) string { return strings.Replace(s, "workers: 8", "workers: 0", 1) }),
			[]string{`c.yaml:36:12: run.workers: must be a whole number of at least 1, not the value "0"`}},
		{"head concurrency zero", base(func(s string) string { return strings.Replace(s, "workers: 8", "workers: 8\n  head_concurrency: 0", 1) }),
			[]string{`c.yaml:37:21: run.head_concurrency: must be a whole number of at least 1, not the value "0"`}},
		{"head concurrency too high", base(func(s string) string {
			return strings.Replace(s, "workers: 8", "workers: 8\n  head_concurrency: 5000", 1)
		}),
			[]string{`c.yaml:37:21: run.head_concurrency: is 5000; at most 1024 requests per shard may be in flight`}},
		{"head concurrency not a number", base(func(s string) string {
			return strings.Replace(s, "workers: 8", "workers: 8\n  head_concurrency: many", 1)
		}),
			[]string{`c.yaml:37:21: run.head_concurrency: must be a whole number of at least 1, not the value "many"`}},
		{"read bytes in flight zero", base(func(s string) string {
			return strings.Replace(s, "workers: 8", "workers: 8\n  read_bytes_in_flight: 0", 1)
		}),
			[]string{`c.yaml:37:25: run.read_bytes_in_flight: is 0; content reads need at least 1 byte in flight`}},
		{"read bytes in flight not a size", base(func(s string) string {
			return strings.Replace(s, "workers: 8", "workers: 8\n  read_bytes_in_flight: lots", 1)
		}),
			[]string{`c.yaml:37:25: run.read_bytes_in_flight: "lots" is not a size (a number of bytes, or with a unit such as 500MB or 1GiB)`}},
		{"read bytes in flight a list", base(func(s string) string {
			return strings.Replace(s, "workers: 8", "workers: 8\n  read_bytes_in_flight: [1]", 1)
		}),
			[]string{`c.yaml:37:25: run.read_bytes_in_flight: must be a string, not a list`}},
		{"pairs is a mapping", `
stores:
  a: {type: s3, bucket: aaa, region: us-east-1}
pairs:
  p: {legacy: [a], target: a}
`, []string{`c.yaml:5:3: pairs: must be a list of pairs, not a mapping`}},
		{"field repeated", `
stores:
  a: {type: s3, bucket: aaa, region: us-east-1, region: us-west-2}
pairs: []
`, []string{`c.yaml:3:49: stores.a.region: appears twice`, `c.yaml:4:8: pairs: names no pair`}},
		// A store defined twice: the second definition is checked too.
		{"store defined twice", `
stores:
  a: {type: s3, bucket: aaa, region: us-east-1}
  a: {type: s3, bucket: B, region: us-east-1, colour: red}
pairs:
  - {name: p, legacy: [a], target: a}
`, []string{
			`c.yaml:4:3: stores.a: a store of this name is already defined at line 3; this second definition is checked, then ignored`,
			`c.yaml:4:47: stores.a.colour: unknown field (known: access_key_id_env, auth, baseline, bucket, ca_bundle, config_file, credentials_secret, endpoint, external_id, key_secret, namespace, path_style, prefix, profile, region, role_arn, role_session_name, secret_access_key_env, session_token_env, sts_endpoint, type)`,
			`c.yaml:4:25: stores.a.bucket: "B" is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')`,
			`c.yaml:6:24: pairs[0].legacy[0]: store "a" cannot be both a legacy store and the target`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if diff := cmp.Diff(strings.Join(tc.want, "\n"), err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false}, {"1024", 1024, false}, {"1KB", 1000, false}, {"1KiB", 1024, false},
		{"500MB", 500_000_000, false}, {"1GiB", 1 << 30, false}, {"1.5GiB", 3 << 29, false}, {"2TB", 2_000_000_000_000, false},
		{"1 GiB", 1 << 30, false}, {"1.5B", 0, true}, {"-1", 0, true}, {"1gb", 0, true}, {"", 0, true}, {"GiB", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Location
		err  string
	}{
		{in: "file:///var/lib/pp", want: Location{Raw: "file:///var/lib/pp", Scheme: "file", Dir: "/var/lib/pp"}},
		{in: "file://state", want: Location{Raw: "file://state", Scheme: "file", Dir: "/base/state"}},
		{in: "s3://bkt/a/b?region=us-east-1&endpoint=http://127.0.0.1:5000&path_style=true",
			want: Location{Raw: "s3://bkt/a/b?region=us-east-1&endpoint=http://127.0.0.1:5000&path_style=true", Scheme: "s3", Bucket: "bkt", Prefix: "a/b/", Region: "us-east-1", Endpoint: "http://127.0.0.1:5000", PathStyle: true}},
		{in: "s3://bkt", want: Location{Raw: "s3://bkt", Scheme: "s3", Bucket: "bkt"}},
		{in: "oci://reports@acme/pp/?region=us-ashburn-1&profile=AUDIT",
			want: Location{Raw: "oci://reports@acme/pp/?region=us-ashburn-1&profile=AUDIT", Scheme: "oci", Bucket: "reports", Namespace: "acme", Prefix: "pp/", Region: "us-ashburn-1", Auth: AuthAPIKey, Profile: "AUDIT"}},
		{in: "oci://reports/pp?region=us-ashburn-1", err: `"oci://reports/pp?region=us-ashburn-1": an oci location is oci://BUCKET@NAMESPACE/PREFIX`},
		{in: "oci://reports@acme/pp", err: `"oci://reports@acme/pp": an oci location needs ?region=`},
		{in: "s3://bkt/?colour=blue", err: `"s3://bkt/?colour=blue": unknown query parameter "colour"`},
		{in: "s3://bkt/?profile=x", err: `"s3://bkt/?profile=x": unknown query parameter "profile"`},
		{in: "s3://b/", err: `"s3://b/": "b" is not an S3 bucket name`},
		{in: "file://", err: `"file://" names no folder`},
	} {
		got, err := ParseLocation(tc.in, "/base")
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if diff := cmp.Diff(tc.err, gotErr); diff != "" {
			t.Errorf("ParseLocation(%q) error (-want +got):\n%s", tc.in, diff)
			continue
		}
		if tc.err == "" {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseLocation(%q) (-want +got):\n%s", tc.in, diff)
			}
		}
	}
}
