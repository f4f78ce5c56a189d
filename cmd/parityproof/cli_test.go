package main

// In-process tests of the command line: every help text and a set of
// error messages against golden files (go test ./cmd/parityproof -run
// 'TestHelp|TestErrorMessages' -update rewrites them), and the usage
// listing every flag of every command.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from this run")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// cli runs a command line in-process and returns its exit status and
// output.
func cli(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// commands are the commands and their flags, as their help prints them.
var commands = []struct {
	name  string
	args  []string // how to ask for its help
	flags func() *flag.FlagSet
}{
	{"run", []string{"run", "--help"}, func() *flag.FlagSet { var f runFlags; return f.flagSet() }},
	{"check", []string{"check", "--help"}, func() *flag.FlagSet { var f checkFlags; return f.flagSet() }},
	{"report", []string{"report", "--help"}, func() *flag.FlagSet { var f reportFlags; return f.flagSet() }},
	{"bundle", []string{"bundle", "--help"}, func() *flag.FlagSet { var f bundleFlags; return f.flagSet() }},
	{"demo", []string{"demo", "--help"}, func() *flag.FlagSet { var f demoFlags; return f.flagSet() }},
	{"attest", []string{"attest", "--help"}, func() *flag.FlagSet { var f attestFlags; return f.flagSet() }},
	{"attest-verify", []string{"attest", "verify", "--help"}, func() *flag.FlagSet { var f attestFlags; return f.flagSet() }},
	{"attest-public-key", []string{"attest", "public-key", "--help"}, func() *flag.FlagSet { var f publicKeyFlags; return f.flagSet() }},
	{"certify", []string{"certify", "--help"}, func() *flag.FlagSet { var f certifyFlags; return f.flagSet() }},
	{"explain", []string{"explain", "--help"}, func() *flag.FlagSet { var f explainFlags; return f.flagSet() }},
	{"version", []string{"version", "--help"}, nil},
}

// Every help text, as printed, exit status 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		code, out, errOut := cli(args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		golden(t, "help/parityproof.txt", out)
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(c.args...)
			if code != 0 || errOut != "" {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			if strings.HasSuffix(strings.TrimSpace(out), "Options:") {
				t.Error("the help ends with an empty Options:")
			}
			golden(t, "help/"+c.name+".txt", out)
		})
	}
	// Without a command: the usage, on stderr, exit status 2.
	code, out, errOut := cli()
	if code != exitUsage || out != "" || errOut != mainUsage {
		t.Errorf("no command: exit %d, stdout %q", code, out)
	}
}

// The top-level usage and each command's first line name every flag the
// command takes.
func TestUsageListsEveryFlag(t *testing.T) {
	for _, c := range commands {
		if c.flags == nil {
			continue
		}
		fs := c.flags()
		word := strings.SplitN(c.name, "-", 2)[0]
		var line string
		for l := range strings.Lines(mainUsage) {
			if strings.HasPrefix(strings.TrimSpace(l), "parityproof "+word+" ") {
				line = l
			}
		}
		_, help, _ := cli(c.args...)
		first, _, _ := strings.Cut(help, "\n")
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(line, "--"+f.Name) {
				t.Errorf("parityproof --help: the %s line %q does not list --%s", word, strings.TrimSpace(line), f.Name)
			}
			if !strings.Contains(first, "--"+f.Name) {
				t.Errorf("parityproof %s --help: %q does not list --%s", word, first, f.Name)
			}
		})
	}
	for _, word := range []string{"run", "check", "report", "bundle", "demo", "attest", "certify", "explain", "version"} {
		if !strings.Contains(mainUsage, "parityproof "+word) {
			t.Errorf("the usage does not list %s", word)
		}
	}
}

// errorCase is one failure and the message it gets.
type errorCase struct {
	name string
	// args are the command line; $DIR in them is a folder of the test's.
	args []string
	code int
}

// TestErrorMessages checks what the user reads when something is wrong:
// one clear line per failure, naming the file, store or location and what
// to check, with no SDK boilerplate and no repeated prefixes.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	// An S3 store that works (gofakes3 in-process) and an OCI emulator.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := s3mem.New()
	if err := backend.CreateBucket("legacy-us"); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s3URL := "http://" + ln.Addr().String()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	oci := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acmecorp"}, Region: "us-ashburn-1"})
	oci.CreateBucket(t, "us-users", false)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()

	config := func(name, target string) string {
		path := filepath.Join(dir, name+".yaml")
		body := fmt.Sprintf(`stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1, endpoint: "%s", path_style: true}
  oci-us: {%s, region: us-ashburn-1, config_file: "%s"}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
state: file://./%s-state
reports: file://./%s-reports
`, s3URL, target, oci.ConfigFile, name, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	noBucket := config("no-bucket", fmt.Sprintf(`type: oci, namespace: acmecorp, bucket: no-such-bucket, endpoint: "%s"`, oci.Endpoint))
	noNamespace := config("no-namespace", fmt.Sprintf(`type: oci, namespace: elsewhere, bucket: us-users, endpoint: "%s"`, oci.Endpoint))
	unreachable := config("unreachable", fmt.Sprintf(`type: oci, namespace: acmecorp, bucket: us-users, endpoint: "%s"`, closed))
	good := config("good", fmt.Sprintf(`type: oci, namespace: acmecorp, bucket: us-users, endpoint: "%s"`, oci.Endpoint))
	s3Down := write("s3-down.yaml", strings.Replace(readFile(t, good), s3URL, closed, 1))
	misindented := write("misindented.yaml", "stores:\n  legacy-us:\n    type: s3\n   bucket: legacy-us\n")
	twice := write("twice.yaml", "stores:\n  a: {type: s3, bucket: aaa, region: us-east-1}\n  a: {type: s3, bucket: B, region: us-east-1}\npairs:\n  - {name: p, legacy: [a], target: b}\n")
	notReport := write("not-a-report.json", `{"hello": "world"}`)

	cases := []errorCase{
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"run without a configuration", []string{"run"}, exitUsage},
		{"unknown flag", []string{"run", "--config", good, "--colour"}, exitUsage},
		{"too few demo objects", []string{"demo", "--objects", "5"}, exitUsage},
		{"mis-indented YAML", []string{"run", "--config", misindented}, exitUsage},
		{"a store defined twice", []string{"run", "--config", twice}, exitUsage},
		{"missing OCI bucket", []string{"run", "--quiet", "--config", noBucket}, exitUsage},
		{"missing OCI namespace", []string{"run", "--quiet", "--config", noNamespace}, exitUsage},
		{"unreachable OCI endpoint", []string{"run", "--quiet", "--config", unreachable}, exitUsage},
		{"unreachable S3 endpoint", []string{"run", "--quiet", "--config", s3Down}, exitUsage},
		{"no complete run to report", []string{"report", "--config", good}, exitUsage},
		{"not a report", []string{"attest", "verify", notReport}, exitUsage},
		{"certify with a prefix and a key", []string{"certify", "--config", good, "--prefix", "a/", "--key", "a/1"}, exitUsage},
		{"explain without a run", []string{"explain", "--config", good, "a/1"}, exitUsage},
		// gofakes3 answers ListMultipartUploads on this bucket with an error
		// parityproof has no kind for: a 4xx to the preflight's listing,
		// which a rerun gets again (exit 2).
		{"an S3 answer of no known kind", []string{"run", "--quiet", "--config", good}, exitUsage},
	}
	// The runs log JSON to stderr (no terminal); the rest is the message:
	// one line, or one per problem of a configuration file.
	var out strings.Builder
	for _, c := range cases {
		code, _, stderr := cli(c.args...)
		var lines []string
		for l := range strings.Lines(stderr) {
			if !strings.HasPrefix(l, "{") {
				lines = append(lines, strings.TrimRight(l, "\n"))
			}
		}
		msg := strings.Join(lines, "\n")
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", c.name, code, c.code, stderr)
		}
		if !strings.HasPrefix(msg, "parityproof: ") {
			t.Errorf("%s: the last line of stderr is not the message: %q", c.name, msg)
		}
		for _, bad := range []string{"Oracle support", "Troubleshooting", "https response error", "operation error"} {
			if strings.Contains(msg, bad) {
				t.Errorf("%s: the message holds SDK boilerplate %q: %s", c.name, bad, msg)
			}
		}
		if p := repeatedPrefix(msg); p != "" {
			t.Errorf("%s: the message repeats %q: %s", c.name, p, msg)
		}
		fmt.Fprintf(&out, "# %s (exit %d)\n%s\n\n", c.name, code, normalize(msg, dir, oci.Endpoint, s3URL, closed))
	}
	golden(t, "errors.txt", out.String())
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	requestIDRE = regexp.MustCompile(`(opc-request-id|request id) [A-Za-z0-9/+=-]+`)
	portRE      = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	runIDRE     = regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{4}`)
)

// normalize replaces what changes from run to run.
func normalize(msg, dir, ociURL, s3URL, closed string) string {
	msg = strings.ReplaceAll(msg, dir, "$DIR")
	msg = strings.ReplaceAll(msg, ociURL, "$OCI")
	msg = strings.ReplaceAll(msg, s3URL, "$S3")
	msg = strings.ReplaceAll(msg, closed, "$CLOSED")
	msg = portRE.ReplaceAllString(msg, "127.0.0.1:PORT")
	msg = runIDRE.ReplaceAllString(msg, "RUN")
	return requestIDRE.ReplaceAllString(msg, "$1 ID")
}

// repeatedPrefix returns a ": "-separated part of msg that appears twice
// in a row, "" if none does.
func repeatedPrefix(msg string) string {
	parts := strings.Split(msg, ": ")
	for i := 1; i < len(parts); i++ {
		if len(parts[i]) > 8 && parts[i] == parts[i-1] {
			return parts[i]
		}
	}
	return ""
}
