package main

// The failure modes of a run, each with the exit status and the message it
// gets, against moto_server and ocilocal over real HTTP: every permanent
// problem exits 2 before anything is begun (no run folder is left), and
// only what a rerun can finish exits 3.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/storage/storagetest"
	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// failureMode is one way a run can fail.
type failureMode struct {
	name string
	// setup returns the command line's arguments (after the binary) for a
	// case folder dir, and the environment to add.
	setup func(t *testing.T, dir string) ([]string, []string)
	code  int
	// says are what the message (stderr) must contain.
	says []string
	// runsBefore is how many run folders the case's state holds before
	// the command (a case that needs a complete run first).
	runsBefore int
}

// runFolders counts the run folders under dir's state location.
func runFolders(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "state", "runs"))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// closedEndpoint is an address nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func TestFailureModes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal and runs the binary ~25 times")
	}
	t.Parallel() // its own servers and folders; most of its time is spent waiting
	e := newE2E(t)
	for _, k := range []string{"a/1.bin", "a/2.bin", "b/1.bin"} {
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		e.putLegacy(e2eLegacySG, k, "content of "+k, "")
		e.putTarget(k, "content of "+k, false)
	}
	ctx := context.Background()
	// A second moto that checks credentials: the fake ones are refused.
	strict := motoserver.Start(t, motoserver.Options{})
	if err := strict.EnableAuth(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"pp-state"} {
		if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// An OCI configuration whose key ocilocal does not know, and one whose
	// key file is missing.
	wrongKeyConfig, err := ocilocal.WriteConfig(t.TempDir(), ocilocaltest.OtherKey(), ocilocal.Profile{Name: "E2E", Region: "us-ashburn-1"})
	if err != nil {
		t.Fatal(err)
	}
	noKeyConfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(noKeyConfig, []byte("[E2E]\nuser=ocid1.user.oc1..x\ntenancy=ocid1.tenancy.oc1..x\nfingerprint=aa:bb\nregion=us-ashburn-1\nkey_file=/nonexistent/oci_api_key.pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := closedEndpoint(t)

	// cfg writes the case's configuration: e.config's, changed by the
	// replacements old → new, and extra appended.
	cfg := func(t *testing.T, dir, extra string, replace ...string) string {
		t.Helper()
		path := e.config(dir, extra)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(replace); i += 2 {
			if !bytes.Contains(b, []byte(replace[i])) {
				t.Fatalf("the configuration has no %q", replace[i])
			}
			b = bytes.Replace(b, []byte(replace[i]), []byte(replace[i+1]), 1)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := func(path string) []string { return []string{"run", "--quiet", "--config", path} }
	legacyEndpoint := "legacy-us, prefix: users/, region: us-east-1, endpoint: " + e.moto.URL
	ociEndpoint := "endpoint: " + e.oci.Endpoint

	modes := []failureMode{
		{name: "no command", code: 2, says: []string{"Usage:"},
			setup: func(t *testing.T, dir string) ([]string, []string) { return nil, nil }},
		{name: "unknown flag", code: 2, says: []string{"flag provided but not defined: -colour"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return []string{"run", "--config", cfg(t, dir, ""), "--colour"}, nil
			}},
		{name: "configuration file missing", code: 2, says: []string{"reading configuration", "no such file"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(filepath.Join(dir, "nonexistent.yaml")), nil
			}},
		{name: "configuration field unknown", code: 2, says: []string{"retention: unknown field"},
			setup: func(t *testing.T, dir string) ([]string, []string) { return run(cfg(t, dir, "retention: 7y\n")), nil }},
		{name: "S3 bucket missing", code: 2, says: []string{"nothing was begun", "store legacy-sg", "bucket not found", `no bucket "no-such-legacy"`},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "bucket: legacy-sg", "bucket: no-such-legacy")), nil
			}},
		{name: "S3 credentials refused", code: 2, says: []string{"nothing was begun", "store legacy-us", "access denied", "InvalidAccessKeyId"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", legacyEndpoint, "legacy-us, prefix: users/, region: us-east-1, endpoint: "+strict.URL)), nil
			}},
		{name: "no AWS credentials at all", code: 2, says: []string{"nothing was begun", "store legacy-us", "credentials"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "")), []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE=", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_CONFIG_FILE=/nonexistent"}
			}},
		{name: "S3 endpoint unreachable", code: 2, says: []string{"nothing was begun", "endpoint unreachable", "connection refused"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", legacyEndpoint, "legacy-us, prefix: users/, region: us-east-1, endpoint: "+closed)), nil
			}},
		{name: "S3 endpoint not an S3 store", code: 2, says: []string{"nothing was begun", "store legacy-us", "GetBucketVersioning"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", legacyEndpoint, "legacy-us, prefix: users/, region: us-east-1, endpoint: "+e.oci.Endpoint)), nil
			}},
		{name: "OCI bucket missing", code: 2, says: []string{"nothing was begun", `bucket "no-such-target"`, "bucket not found"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "bucket: us-users", "bucket: no-such-target")), nil
			}},
		{name: "OCI namespace wrong", code: 2, says: []string{"nothing was begun", `namespace "elsewhere"`, "namespace not found"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "namespace: acmecorp", "namespace: elsewhere")), nil
			}},
		{name: "OCI key file missing", code: 2, says: []string{"nothing was begun", "oci-us", "/nonexistent/oci_api_key.pem"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "config_file: "+e.ociConfig, "config_file: "+noKeyConfig)), nil
			}},
		{name: "OCI key not the user's", code: 2, says: []string{"nothing was begun", "oci-us", "not authorized", "signature"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "config_file: "+e.ociConfig, "config_file: "+wrongKeyConfig)), nil
			}},
		{name: "OCI endpoint unreachable", code: 2, says: []string{"nothing was begun", "oci-us", "connection refused"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", ociEndpoint, "endpoint: "+closed)), nil
			}},
		{name: "state folder read-only", code: 2, says: []string{"nothing was begun", "the state location", "permission denied", "read-only"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				path := cfg(t, dir, "")
				if err := os.MkdirAll(filepath.Join(dir, "state"), 0o755); err != nil {
					t.Fatal(err)
				}
				storagetest.ReadOnly(t, filepath.Join(dir, "state"))
				return run(path), nil
			}},
		{name: "reports folder read-only", code: 2, says: []string{"nothing was begun", "the reports location", "permission denied"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				path := cfg(t, dir, "")
				if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
					t.Fatal(err)
				}
				storagetest.ReadOnly(t, filepath.Join(dir, "reports"))
				return run(path), nil
			}},
		{name: "state bucket missing", code: 2, says: []string{"nothing was begun", "the state location s3://no-such-state/", "does not exist", "NoSuchBucket"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "state: file://./state", "state: s3://no-such-state/pp/?region=us-east-1&path_style=true&endpoint="+e.moto.URL)), nil
			}},
		{name: "reports bucket missing", code: 2, says: []string{"nothing was begun", "the reports location oci://no-such-reports@", "does not exist"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "", "reports: file://./reports",
					fmt.Sprintf("reports: oci://no-such-reports@%s/pp/?region=us-ashburn-1&profile=E2E&config_file=%s&endpoint=%s", e2eNS, e.ociConfig, e.oci.Endpoint))), nil
			}},
		{name: "signing key file missing", code: 2, says: []string{"nothing was begun", "the signing key", "no such file"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return run(cfg(t, dir, "signing: {key_file: ./no-such-key.pem}\n")), nil
			}},
		{name: "configuration changed during a run", code: 2, runsBefore: 1, says: []string{"another configuration", "--restart"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				path := cfg(t, dir, "")
				// A run begun, then the file changed.
				st, err := storage.NewDir(filepath.Join(dir, "state"))
				if err != nil {
					t.Fatal(err)
				}
				rec := &state.Record{Schema: state.RecordSchema, RunID: "20261128T220000Z-0000", ConfigDigest: "not this one", Pairs: []state.PlannedPair{}}
				if err := state.New(st).WriteRecord(ctx, rec); err != nil {
					t.Fatal(err)
				}
				if err := state.New(st).SetCurrent(ctx, rec.RunID); err != nil {
					t.Fatal(err)
				}
				return run(path), nil
			}},
		{name: "previous ledger truncated", code: 2, runsBefore: 1, says: []string{"previous run's ledger cannot be used", "part-000001.jsonl.gz", "bytes, but the manifest says", "parityproof run --rebase"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				path := cfg(t, dir, "")
				if code, out, errOut := e.runCLI("2026-11-27T22:00:00Z", run(path)...); code != 0 {
					t.Fatalf("the first run: exit %d\n%s\n%s", code, out, errOut)
				}
				parts, _ := filepath.Glob(filepath.Join(dir, "state", "runs", "*", "ledger", "*", "*", "part-000001.jsonl.gz"))
				if len(parts) == 0 {
					t.Fatal("no ledger part")
				}
				b, _ := os.ReadFile(parts[0])
				if err := os.WriteFile(parts[0], b[:len(b)/2], 0o644); err != nil {
					t.Fatal(err)
				}
				return run(path), nil
			}},
		{name: "another run holds the state location", code: 3, says: []string{"another run holds the state location", "held by the test's other run", "only one run may write a state location at a time"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				path := cfg(t, dir, "")
				st, err := storage.NewDir(filepath.Join(dir, "state"))
				if err != nil {
					t.Fatal(err)
				}
				l, err := state.New(st).AcquireLease(ctx, storage.LeaseOptions{Holder: "the test's other run", TTL: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = l.Release(ctx) })
				return run(path), nil
			}},
		{name: "S3 store throttled throughout", code: 3, says: []string{"nothing was begun", "store legacy-us", "503 SlowDown"},
			setup: func(t *testing.T, dir string) ([]string, []string) {
				p := faultproxy.Start(t, e.moto.URL, faultproxy.Options{Rules: []faultproxy.Rule{{Bucket: e2eLegacyUS, Fault: faultproxy.SlowDown(time.Second)}}})
				return run(cfg(t, dir, "", legacyEndpoint, "legacy-us, prefix: users/, region: us-east-1, endpoint: "+p.URL)), nil
			}},
	}

	var table strings.Builder
	table.WriteString("| failure | exit | message (abridged) |\n| --- | --- | --- |\n")
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := filepath.Join(e.dir, strings.ReplaceAll(m.name, " ", "-"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			args, env := m.setup(t, dir)
			before := runFolders(t, dir)
			if before != m.runsBefore {
				t.Fatalf("%d run folders before the command, want %d", before, m.runsBefore)
			}
			cmd := e.command("2026-11-28T22:00:00Z", args...)
			cmd.Env = append(cmd.Env, env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			msg := messageOf(stderr.String())
			if code != m.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, m.code, stderr.String())
			}
			for _, s := range m.says {
				if !strings.Contains(msg, s) {
					t.Errorf("the message does not say %q:\n%s", s, msg)
				}
			}
			if after := runFolders(t, dir); after != before {
				t.Errorf("%d run folders after the failure, %d before: a failed start left a run behind", after, before)
			}
			fmt.Fprintf(&table, "| %s | %d | %s |\n", m.name, code, abridge(msg))
		})
	}
	t.Logf("failure modes:\n%s", table.String())
}

// messageOf drops the JSON log lines of stderr, keeping the message.
func messageOf(stderr string) string {
	var lines []string
	for l := range strings.Lines(stderr) {
		if !strings.HasPrefix(l, "{") {
			lines = append(lines, strings.TrimRight(l, "\n"))
		}
	}
	return strings.Join(lines, " ")
}

var (
	tablePortRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	tmpRE       = regexp.MustCompile(`/tmp/[^ :"]*/`)
)

// abridge shortens a message for the table: its first 220 characters,
// without ports and temporary folders.
func abridge(msg string) string {
	msg = tablePortRE.ReplaceAllString(msg, "127.0.0.1:PORT")
	msg = tmpRE.ReplaceAllString(msg, "$$DIR/")
	msg = strings.ReplaceAll(msg, "|", "/")
	if len(msg) > 220 {
		msg = msg[:220] + "…"
	}
	return msg
}

// Two runs started together on one state location — a folder, an S3
// bucket (moto), an OCI bucket (ocilocal): exactly one proceeds; the other
// exits 3 at once, naming the holder, and begins nothing.
func TestConcurrentRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal")
	}
	e := newE2E(t)
	ctx := context.Background()
	for i := range 60 {
		k := fmt.Sprintf("p%d/%03d.bin", i%3, i)
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		e.putLegacy(e2eLegacySG, k, "content of "+k, "")
		e.putTarget(k, "content of "+k, false)
	}
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-state")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ociClient.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: common.String(e2eNS),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String("pp-oci-state"), CompartmentId: common.String("ocid1.compartment.oc1..e2e")}}); err != nil {
		t.Fatal(err)
	}
	// Slow the target so that each run lasts a while.
	e.oci.SetFaults(ocilocal.Faults{Latency: 40 * time.Millisecond, Operations: []string{"ListObjects", "HeadObject"}})
	for _, loc := range []struct{ name, state string }{
		{"file", "file://./state"},
		{"s3", "s3://pp-state/concurrent/?region=us-east-1&path_style=true&endpoint=" + e.moto.URL},
		{"oci", fmt.Sprintf("oci://pp-oci-state@%s/concurrent/?region=us-ashburn-1&profile=E2E&config_file=%s&endpoint=%s", e2eNS, e.ociConfig, e.oci.Endpoint)},
	} {
		t.Run(loc.name, func(t *testing.T) {
			dir := filepath.Join(e.dir, "concurrent-"+loc.name)
			path := e.config(dir, "run: {checkpoint_every: 5, page_size: 5, workers: 2}\n")
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, bytes.Replace(b, []byte("state: file://./state"), []byte("state: "+loc.state), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			type result struct {
				code           int
				stdout, stderr string
			}
			results := make(chan result, 2)
			start := make(chan struct{})
			for range 2 {
				go func() {
					cmd := e.command("2026-11-28T22:00:00Z", "run", "--quiet", "--config", path)
					var stdout, stderr bytes.Buffer
					cmd.Stdout, cmd.Stderr = &stdout, &stderr
					<-start
					code := 0
					if err := cmd.Run(); err != nil {
						if ee, ok := err.(*exec.ExitError); ok {
							code = ee.ExitCode()
						} else {
							code = -1
						}
					}
					results <- result{code, stdout.String(), stderr.String()}
				}()
			}
			close(start)
			var proceeded, refused int
			for range 2 {
				r := <-results
				switch {
				case r.code == 0 && strings.Contains(r.stdout, "complete"):
					proceeded++
				case r.code == 3 && strings.Contains(r.stderr, "another run holds the state location") && strings.Contains(r.stderr, "is held by parityproof (pid"):
					refused++
				default:
					t.Errorf("a run exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
			}
			if proceeded != 1 || refused != 1 {
				t.Errorf("%d runs proceeded and %d were refused, want one of each", proceeded, refused)
			}
			t.Logf("%s: one run proceeded, the other was refused", loc.state)
		})
	}
}

// parityproof check: every problem at once, nothing written; a ready
// configuration says so, and who holds the lease.
func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal")
	}
	e := newE2E(t)
	dir := filepath.Join(e.dir, "check")
	good := e.config(dir, "")
	code, out, errOut := e.runCLI("", "check", "--config", good)
	if code != 0 || !strings.Contains(out, "ready: a run can begin") || !strings.Contains(out, "ok    store legacy-us: opened and listed one page") {
		t.Fatalf("check of a good configuration: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := storage.NewDir(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := state.New(st).AcquireLease(context.Background(), storage.LeaseOptions{Holder: "the nightly run", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, out, _ := e.runCLI("", "check", "--config", good); !strings.Contains(out, "lease is held by the nightly run") {
		t.Errorf("check does not name the lease's holder:\n%s", out)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad.yaml")
	b = bytes.Replace(b, []byte("bucket: legacy-sg"), []byte("bucket: no-such-legacy"), 1)
	b = bytes.Replace(b, []byte("bucket: us-users"), []byte("bucket: no-such-target"), 1)
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = e.runCLI("", "check", "--config", bad)
	if code != 2 || !strings.Contains(out, "FAIL  store legacy-sg") || !strings.Contains(out, `bucket "no-such-target"`) ||
		!strings.Contains(errOut, "2 of 5 checks failed") {
		t.Errorf("check of two missing buckets: exit %d, want 2 naming both\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "runs")); !os.IsNotExist(err) {
		t.Errorf("check wrote a run: %v", err)
	}
}
