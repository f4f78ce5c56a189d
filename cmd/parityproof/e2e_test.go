package main

// End-to-end tests: they build the parityproof binary and drive it, as a
// user or a schedule would, against moto_server (two legacy S3 buckets, one
// versioned) and ocilocal (the OCI target), over real HTTP with the
// unmodified SDKs.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// parityproofBinary builds the command once per test binary.
func parityproofBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parityproof-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "parityproof")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// e2e is a running moto_server and ocilocal with SDK clients to seed them.
type e2e struct {
	t         *testing.T
	moto      *motoserver.Server
	s3        *s3.Client
	oci       *ocilocal.Running
	ociClient objectstorage.ObjectStorageClient
	ociConfig string
	ociKey    *rsa.PrivateKey
	dir       string
}

const (
	e2eLegacyUS = "legacy-us"
	e2eLegacySG = "legacy-sg"
	e2eTarget   = "us-users"
	e2eNS       = "acmecorp"
)

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{t: t, dir: t.TempDir()}
	e.moto = motoserver.Start(t, motoserver.Options{})
	e.s3 = s3.New(s3.Options{
		Region: motoserver.Region, BaseEndpoint: aws.String(e.moto.URL), UsePathStyle: true,
		Credentials: credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: motoserver.AccessKeyID, SecretAccessKey: motoserver.SecretAccessKey}},
		HTTPClient:  &http.Client{},
	})
	oci := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: e2eNS}, Profile: "E2E", Region: "us-ashburn-1"})
	e.oci, e.ociClient, e.ociConfig, e.ociKey = oci.Server, oci.Client, oci.ConfigFile, ocilocaltest.Key()

	ctx := context.Background()
	for _, b := range []string{e2eLegacyUS, e2eLegacySG} {
		if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(e2eLegacyUS),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ociClient.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: common.String(e2eNS),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String(e2eTarget), CompartmentId: common.String("ocid1.compartment.oc1..e2e")}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *e2e) putLegacy(bucket, key, content string, alg s3types.ChecksumAlgorithm) {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/" + key), Body: strings.NewReader(content)}
	if alg != "" {
		in.ChecksumAlgorithm = alg
	}
	if _, err := e.s3.PutObject(context.Background(), in); err != nil {
		e.t.Fatalf("putting %s/%s: %v", bucket, key, err)
	}
}

// putLegacyMultipart uploads content in parts of 5 MiB (moto's minimum).
func (e *e2e) putLegacyMultipart(bucket, key, content string) {
	e.t.Helper()
	ctx := context.Background()
	k := aws.String("users/" + key)
	up, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: k})
	if err != nil {
		e.t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, off := int32(1), 0; off < len(content); i, off = i+1, off+5<<20 {
		p, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: k, UploadId: up.UploadId, PartNumber: aws.Int32(i),
			Body: strings.NewReader(content[off:min(off+5<<20, len(content))])})
		if err != nil {
			e.t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(i)})
	}
	if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: k, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) deleteLegacy(bucket, key string, purge bool) {
	e.t.Helper()
	ctx := context.Background()
	k := aws.String("users/" + key)
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: k}); err != nil {
		e.t.Fatal(err)
	}
	if !purge || bucket != e2eLegacyUS {
		return
	}
	out, err := e.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: k})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range out.Versions {
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: k, VersionId: v.VersionId}); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, m := range out.DeleteMarkers {
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: k, VersionId: m.VersionId}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *e2e) putTarget(key, content string, archive bool) {
	e.t.Helper()
	req := objectstorage.PutObjectRequest{NamespaceName: common.String(e2eNS), BucketName: common.String(e2eTarget),
		ObjectName: common.String("migrated/" + key), ContentLength: common.Int64(int64(len(content))),
		PutObjectBody: io.NopCloser(strings.NewReader(content))}
	if archive {
		req.StorageTier = objectstorage.PutObjectStorageTierArchive
	}
	if _, err := e.ociClient.PutObject(context.Background(), req); err != nil {
		e.t.Fatalf("putting %s to OCI: %v", key, err)
	}
}

func (e *e2e) deleteTarget(key string) {
	e.t.Helper()
	if _, err := e.ociClient.DeleteObject(context.Background(), objectstorage.DeleteObjectRequest{NamespaceName: common.String(e2eNS),
		BucketName: common.String(e2eTarget), ObjectName: common.String("migrated/" + key)}); err != nil {
		e.t.Fatal(err)
	}
}

// config writes a configuration whose state and reports are in dir.
func (e *e2e) config(dir, extra string) string {
	e.t.Helper()
	cfg := fmt.Sprintf(`stores:
  legacy-us: {type: s3, bucket: %s, prefix: users/, region: us-east-1, endpoint: %s, path_style: true}
  legacy-sg: {type: s3, bucket: %s, prefix: users/, region: ap-southeast-1, endpoint: %s, path_style: true}
  oci-us:
    type: oci
    namespace: %s
    bucket: %s
    prefix: migrated/
    region: us-ashburn-1
    endpoint: %s
    config_file: %s
    profile: E2E
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
state: file://./state
reports: file://./reports
%s`, e2eLegacyUS, e.moto.URL, e2eLegacySG, e.moto.URL, e2eNS, e2eTarget, e.oci.Endpoint, e.ociConfig, extra)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(dir, "parityproof.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// command prepares the binary with the environment a scheduled run has.
func (e *e2e) command(now string, args ...string) *exec.Cmd {
	cmd := exec.Command(parityproofBinary(e.t), args...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+motoserver.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+motoserver.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true", "PARITYPROOF_NOW="+now)
	return cmd
}

// runCLI runs the binary and returns its exit status and output.
func (e *e2e) runCLI(now string, args ...string) (int, string, string) {
	e.t.Helper()
	cmd := e.command(now, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	e.t.Fatalf("running parityproof: %v", err)
	return 0, "", ""
}

func readReport(t *testing.T, dir string) (*report.Report, string) {
	t.Helper()
	var latest struct {
		RunID  string `json:"run_id"`
		Report string `json:"report"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "reports", "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &latest); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(latest.Report, "file://")
	b, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r, path
}

type exceptionRow struct {
	Key     string
	Verdict ledger.Verdict
	Detail  string
}

func exceptionRows(r *report.Report) []exceptionRow {
	var rows []exceptionRow
	for _, x := range r.Exceptions {
		rows = append(rows, exceptionRow{x.Key, x.Verdict, x.Detail})
	}
	return rows
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

const (
	archivedDetail = "no checksum of legacy-us can be compared with one of oci-us, and the content needed is archived: restore it to read it; " +
		"no checksum of legacy-sg can be compared with one of oci-us, and the content needed is archived: restore it to read it"
	budgetDetail = "no checksum of legacy-us can be compared with one of oci-us; content not read: the run's deep_verify_budget is spent; " +
		"no checksum of legacy-sg can be compared with one of oci-us; content not read: the run's deep_verify_budget is spent"
)

func allVerdicts(m map[ledger.Verdict]int64) map[ledger.Verdict]int64 {
	out := map[ledger.Verdict]int64{}
	for _, v := range ledger.Verdicts {
		out[v] = m[v]
	}
	return out
}

// TestCommandLineLifeCycle drives two runs through a migration and its
// deletion, reaching every verdict, and checks report.json's counts and
// exceptions exactly, the exit statuses and the files written.
func TestCommandLineLifeCycle(t *testing.T) {
	e := newE2E(t)
	content := func(k string) string { return "backup of " + k + "\n" + strings.Repeat("x", len(k)*3) }
	keys := []string{"a/1.bin", "a/2.bin", "a/3.bin", "b/1.bin", "b/2.bin", "b/3.bin", "c/1.bin", "c/2.bin", "c/3.bin", "d/1 2+3%.bin", "d/été.bin", "e/1.bin"}
	for _, k := range keys {
		e.putLegacy(e2eLegacyUS, k, content(k), "")
		e.putLegacy(e2eLegacySG, k, content(k), "")
	}
	// Two objects uploaded to legacy in parts, to the target whole: only a
	// content read could settle them, and the budget is 10 bytes; one of
	// the target copies is archived besides.
	big := strings.Repeat("0123456789abcdef", 5<<16) + "tail"
	for _, k := range []string{"f/archived.bin", "f/multi.bin"} {
		e.putLegacyMultipart(e2eLegacyUS, k, big)
		e.putLegacyMultipart(e2eLegacySG, k, big)
		e.putTarget(k, big, k == "f/archived.bin")
	}
	for _, k := range keys {
		switch k {
		case "a/2.bin": // never migrated
		case "a/3.bin":
			e.putTarget(k, strings.Replace(content(k), "backup", "BACKUP", 1), false) // corrupted
		case "b/1.bin":
			e.putTarget(k, content(k)[:5], false) // truncated
		default:
			e.putTarget(k, content(k), false)
		}
	}
	e.putTarget("z/extra.bin", "only in the target", false)

	dir := filepath.Join(e.dir, "run")
	cfg := e.config(dir, "policy: {deep_verify_budget: 10}\nrun: {checkpoint_every: 3, page_size: 4}\n")
	code, stdout, stderr := e.runCLI("2026-11-27T22:00:00Z", "run", "--config", cfg)
	if code != 1 {
		t.Fatalf("first run: exit %d, want 1 (exceptions)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r1, _ := readReport(t, dir)
	want1 := allVerdicts(map[ledger.Verdict]int64{ledger.Verified: 9, ledger.Missing: 1, ledger.Mismatch: 2, ledger.Extra: 1, ledger.Unproven: 1, ledger.Error: 1})
	if diff := cmp.Diff(want1, r1.Totals.Verdicts); diff != "" {
		t.Errorf("first run's verdicts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]exceptionRow{
		{"a/2.bin", ledger.Missing, "no copy in oci-us"},
		{"a/3.bin", ledger.Mismatch, fmt.Sprintf("md5 differs: legacy-us has md5:%s, oci-us has md5:%s; md5 differs: legacy-sg has md5:%s, oci-us has md5:%s",
			md5hex(content("a/3.bin")), md5hex(strings.Replace(content("a/3.bin"), "backup", "BACKUP", 1)),
			md5hex(content("a/3.bin")), md5hex(strings.Replace(content("a/3.bin"), "backup", "BACKUP", 1)))},
		{"b/1.bin", ledger.Mismatch, fmt.Sprintf("size differs: legacy-us has %d bytes, oci-us has 5; size differs: legacy-sg has %d bytes, oci-us has 5", len(content("b/1.bin")), len(content("b/1.bin")))},
		{"f/archived.bin", ledger.Error, archivedDetail},
		{"f/multi.bin", ledger.Unproven, budgetDetail},
	}, exceptionRows(r1)); diff != "" {
		t.Errorf("first run's exceptions (-want +got):\n%s", diff)
	}
	for _, f := range []string{"report.json", "report.html", "exceptions.csv", "summary.md"} {
		if _, err := os.Stat(filepath.Join(dir, "reports", r1.RunID, f)); err != nil {
			t.Errorf("first run wrote no %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "run "+r1.RunID+" complete") || !strings.Contains(stdout, "report.html") {
		t.Errorf("first run's output names no run and report:\n%s", stdout)
	}

	// The migration team deletes the legacy copies, not all cleanly.
	for _, k := range keys {
		switch k {
		case "a/3.bin", "b/1.bin", "f/archived.bin", "f/multi.bin": // exceptions are kept
		case "c/1.bin": // left in Singapore
			e.deleteLegacy(e2eLegacyUS, k, true)
		case "c/2.bin": // only a delete marker in the versioned bucket
			e.deleteLegacy(e2eLegacyUS, k, false)
			e.deleteLegacy(e2eLegacySG, k, true)
		default:
			e.deleteLegacy(e2eLegacyUS, k, true)
			e.deleteLegacy(e2eLegacySG, k, true)
		}
	}
	e.deleteTarget("c/3.bin")                                              // copy lost
	e.putTarget("d/été.bin", strings.ToUpper(content("d/été.bin")), false) // copy changed
	code, stdout, stderr = e.runCLI("2026-11-28T22:00:00Z", "run", "--config", cfg)
	if code != 1 {
		t.Fatalf("second run: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r2, r2path := readReport(t, dir)
	if r2.PreviousRunID != r1.RunID {
		t.Errorf("second run's previous run is %q, want %q", r2.PreviousRunID, r1.RunID)
	}
	want2 := allVerdicts(map[ledger.Verdict]int64{ledger.Deleted: 5, ledger.DeletionIncomplete: 2, ledger.DeletedUnverified: 1,
		ledger.CopyLost: 2, ledger.Mismatch: 2, ledger.Extra: 1, ledger.Unproven: 1, ledger.Error: 1})
	if diff := cmp.Diff(want2, r2.Totals.Verdicts); diff != "" {
		t.Errorf("second run's verdicts (-want +got):\n%s", diff)
	}
	gotRows := exceptionRows(r2)
	var verdictsOnly []ledger.Verdict
	for _, r := range gotRows {
		verdictsOnly = append(verdictsOnly, r.Verdict)
	}
	if diff := cmp.Diff([]ledger.Verdict{ledger.DeletedUnverified, ledger.Mismatch, ledger.Mismatch, ledger.DeletionIncomplete, ledger.DeletionIncomplete,
		ledger.CopyLost, ledger.CopyLost, ledger.Error, ledger.Unproven}, verdictsOnly); diff != "" {
		t.Errorf("second run's exceptions in key order (-want +got):\n%s", diff)
	}
	if code, out, _ := e.runCLI("", "attest", "verify", r2path); code != 0 || !strings.Contains(out, "the report holds") {
		t.Errorf("attest verify of a fresh report: exit %d\n%s", code, out)
	}
	certifyAfterTheLifeCycle(t, e, dir, cfg, r1, r2)
}

// certifyAfterTheLifeCycle certifies data subjects from the two runs'
// ledgers: one whose backups were all deleted after their migration was
// proven, one whose deletion went wrong, each checked by attest verify,
// and explains one key.
func certifyAfterTheLifeCycle(t *testing.T, e *e2e, dir, cfg string, r1, r2 *report.Report) {
	t.Helper()
	out := filepath.Join(dir, "certificates")
	code, stdout, stderr := e.runCLI("2026-11-29T09:00:00Z", "certify", "--config", cfg, "--prefix", "e/", "--out", filepath.Join(out, "e"))
	if code != 0 || !strings.HasPrefix(stdout, `Certified: the 1 legacy object of prefix "e/" was proven identical to its copy in the target`) {
		t.Errorf("certify e/: exit %d\n%s%s", code, stdout, stderr)
	}
	certE := filepath.Join(out, "e", "certificate.json")
	if code, out, _ := e.runCLI("", "attest", "verify", certE); code != 0 || !strings.Contains(out, "the certificate holds") {
		t.Errorf("attest verify of the certificate of e/: exit %d\n%s", code, out)
	}
	code, stdout, stderr = e.runCLI("2026-11-29T09:00:00Z", "certify", "--config", cfg, "--prefix", "c/", "--out", filepath.Join(out, "c"))
	want := []string{
		`Not certified: 3 of the 3 legacy objects of prefix "c/" are not deleted with parity proven, as run ` + r2.RunID + ` (2026-11-28 22:00:00Z) found.`,
		"  Critical: c/3.bin (pair us-users): copy_lost: every legacy copy is gone and the copy in oci-us, proven at 2026-11-27T22:00:00Z, is gone too.",
		"  c/1.bin (pair us-users): deletion_incomplete: deletion has begun but a copy remains: legacy-us no longer holds it.",
	}
	if code != 1 {
		t.Errorf("certify c/: exit %d, want 1 (not certified)\n%s%s", code, stdout, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stdout, w+"\n") {
			t.Errorf("certify c/ does not say %q:\n%s", w, stdout)
		}
	}
	certC := filepath.Join(out, "c", "certificate.json")
	if code, out, _ := e.runCLI("", "attest", "verify", filepath.Dir(certC)); code != 0 || !strings.Contains(out, "the certificate holds") {
		t.Errorf("attest verify of the certificate of c/ (by its folder): exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(out, "c", "certificate.html")); err != nil {
		t.Errorf("no certificate.html: %v", err)
	}
	// A ledger part behind the certificate, changed afterwards.
	var c struct {
		Runs []struct {
			Parts []struct{ URL string }
		}
	}
	b, err := os.ReadFile(certC)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil || len(c.Runs) != 2 || len(c.Runs[1].Parts) == 0 {
		t.Fatalf("certificate of c/: %v, %+v", err, c)
	}
	part := strings.TrimPrefix(c.Runs[1].Parts[0].URL, "file://")
	orig, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, append(orig, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = e.runCLI("", "attest", "verify", certC)
	if code != 1 || !strings.Contains(stdout, "FAIL  "+c.Runs[1].Parts[0].URL) {
		t.Errorf("attest verify after a ledger part changed: exit %d\n%s", code, stdout)
	}
	if err := os.WriteFile(part, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	// One key's history, newest first.
	code, stdout, _ = e.runCLI("", "explain", "--config", cfg, "c/3.bin")
	for _, w := range []string{
		"run " + r2.RunID + " (2026-11-28 22:00:00Z): copy_lost (critical), evidence md5",
		"run " + r1.RunID + " (2026-11-27 22:00:00Z): verified (ok), evidence md5",
	} {
		if code != 0 || !strings.Contains(stdout, w) {
			t.Errorf("explain c/3.bin: exit %d, does not say %q:\n%s", code, w, stdout)
		}
	}
}

// TestKilledRunResumes kills the binary with SIGKILL at several points of a
// run and runs it again: every resumed run must end with the manifest an
// uninterrupted run writes.
func TestKilledRunResumes(t *testing.T) {
	e := newE2E(t)
	var keys []string
	for i := range 120 {
		keys = append(keys, fmt.Sprintf("p%d/%03d.bin", i%4, i))
	}
	for i, k := range keys {
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		sg := "content of " + k
		if i%7 == 3 {
			// Changed at the same size: its ETag differs from the
			// target's MD5, so the key waits for a HEAD of legacy-sg
			// (is the ETag an MD5?) while the merge goes on.
			sg = "CONTENT of " + k
		}
		e.putLegacy(e2eLegacySG, k, sg, "")
		if k != "p1/005.bin" {
			e.putTarget(k, "content of "+k, false)
		}
	}
	// Slow the target down so that kills land mid-run.
	e.oci.SetFaults(ocilocal.Faults{Latency: 15 * time.Millisecond})
	const now = "2026-11-28T22:00:00Z"
	extra := "run: {workers: 2, checkpoint_every: 5, page_size: 5}\n"

	refDir := filepath.Join(e.dir, "reference")
	if code, out, errOut := e.runCLI(now, "run", "--config", e.config(refDir, extra)); code != 1 {
		t.Fatalf("uninterrupted run: exit %d\n%s\n%s", code, out, errOut)
	}
	ref, _ := readReport(t, refDir)

	for _, killAt := range []int{1, 4, 9, 15} {
		t.Run(fmt.Sprintf("killed after %d ledger parts", killAt), func(t *testing.T) {
			dir := filepath.Join(e.dir, fmt.Sprintf("killed-%d", killAt))
			cfg := e.config(dir, extra)
			cmd := e.command(now, "run", "--config", cfg, "--quiet")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			killed := false
		wait:
			for {
				select {
				case <-done:
					break wait
				case <-time.After(5 * time.Millisecond):
					parts, _ := filepath.Glob(filepath.Join(dir, "state", "runs", "*", "ledger", "*", "*", "part-*"))
					if len(parts) >= killAt {
						cmd.Process.Signal(syscall.SIGKILL)
						<-done
						killed = true
						break wait
					}
				}
			}
			if !killed {
				t.Fatalf("the run ended before %d parts were written: the kill point is past its end", killAt)
			}
			if _, err := os.Stat(filepath.Join(dir, "reports", "latest.json")); err == nil {
				t.Fatal("a killed run published a report")
			}
			code, out, errOut := e.runCLI("2026-11-29T09:00:00Z", "run", "--config", cfg)
			if code != 1 {
				t.Fatalf("resumed run: exit %d\n%s\n%s", code, out, errOut)
			}
			got, _ := readReport(t, dir)
			if got.RunID == ref.RunID || !strings.HasPrefix(got.RunID, "20261128T220000Z-") {
				t.Errorf("resumed run id %s: want the killed run's, begun at the first clock", got.RunID)
			}
			if diff := cmp.Diff(ref.Ledger.SHA256, got.Ledger.SHA256); diff != "" {
				t.Errorf("resumed run's manifest digest differs from the uninterrupted run's:\n%s", diff)
			}
			if diff := cmp.Diff(ref.Totals, got.Totals); diff != "" {
				t.Errorf("totals (-uninterrupted +resumed):\n%s", diff)
			}
		})
	}
}

// TestExitStatuses checks the statuses scripts depend on beyond 0 and 1.
func TestExitStatuses(t *testing.T) {
	bin := parityproofBinary(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("stores:\n  a: {type: gcs, bucket: b, region: us-east-1}\npairs: []\n"), 0o644)
	unreachable := filepath.Join(dir, "unreachable.yaml")
	os.WriteFile(unreachable, []byte(`stores:
  a: {type: s3, bucket: legacy, region: us-east-1, endpoint: "http://127.0.0.1:1", path_style: true}
  b: {type: s3, bucket: target, region: us-east-1, endpoint: "http://127.0.0.1:1", path_style: true}
pairs: [{name: p, legacy: [a], target: b}]
state: file://./state
reports: file://./reports
`), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, 2, "Usage:"},
		{"unknown command", []string{"verify"}, 2, `unknown command "verify"`},
		{"run without config", []string{"run"}, 2, "run needs --config FILE"},
		{"unknown flag", []string{"run", "--confg", "x"}, 2, "flag provided but not defined: -confg"},
		{"broken configuration", []string{"run", "--config", broken}, 2, broken + `:2:13: stores.a.type: "gcs" is not a store type (s3 or oci)`},
		{"unreachable store", []string{"run", "--config", unreachable}, 2, "the preflight found 2 problems; nothing was begun"},
		{"attest of nothing", []string{"attest", "verify", filepath.Join(dir, "none.json")}, 2, "not a parityproof report"},
		{"help", []string{"run", "--help"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to contain %q", code, tc.code, stderr.String(), tc.stderr)
			}
		})
	}
}

// TestStateInS3ReportsInOCI keeps the ledger in an S3 bucket and the report
// in an OCI bucket, and attests the report through the configuration's
// locations; a ledger file changed in the bucket breaks the attestation.
func TestStateInS3ReportsInOCI(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	for _, k := range []string{"a/1.bin", "a/2.bin", "b/1.bin"} {
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		e.putLegacy(e2eLegacySG, k, "content of "+k, "")
		e.putTarget(k, "content of "+k, false)
	}
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-state")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ociClient.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: common.String(e2eNS),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String("pp-reports"), CompartmentId: common.String("ocid1.compartment.oc1..e2e")}}); err != nil {
		t.Fatal(err)
	}
	// A compliance inbox: an SQS queue subscribed to the report topic.
	awsCfg := aws.Config{Region: motoserver.Region, HTTPClient: &http.Client{},
		Credentials: credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: motoserver.AccessKeyID, SecretAccessKey: motoserver.SecretAccessKey}}}
	snsc := sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(e.moto.URL) })
	sqsc := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.moto.URL) })
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("parityproof-reports")})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("compliance-inbox")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(e.dir, "remote")
	path := e.config(dir, fmt.Sprintf("notify: {sns_topic: %q, endpoint: %q}\n", *topic.TopicArn, e.moto.URL))
	b, _ := os.ReadFile(path)
	b = bytes.Replace(b, []byte("state: file://./state"), []byte("state: s3://pp-state/parityproof/?region=us-east-1&path_style=true&endpoint="+e.moto.URL), 1)
	b = bytes.Replace(b, []byte("reports: file://./reports"), []byte(fmt.Sprintf("reports: oci://pp-reports@%s/audit/?region=us-ashburn-1&profile=E2E&config_file=%s&endpoint=%s", e2eNS, e.ociConfig, e.oci.Endpoint)), 1)
	os.WriteFile(path, b, 0o644)

	code, out, errOut := e.runCLI("2026-11-28T22:00:00Z", "run", "--config", path)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	var reportURL string
	for _, line := range strings.Split(out, "\n") {
		if u, ok := strings.CutPrefix(line, "report.json: "); ok {
			reportURL = u
		}
	}
	if !strings.HasPrefix(reportURL, "oci://pp-reports@acmecorp/audit/") {
		t.Fatalf("report.json is at %q, want it in the OCI reports bucket\n%s", reportURL, out)
	}
	if code, out, _ := e.runCLI("", "attest", "verify", reportURL, "--config", path); code != 0 || !strings.Contains(out, "the report holds") {
		t.Fatalf("attest verify: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "notified "+*topic.TopicArn) {
		t.Errorf("the run says nothing of its notification:\n%s", out)
	}
	msgs, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 || !strings.Contains(aws.ToString(msgs.Messages[0].Body), reportURL) {
		t.Errorf("the compliance inbox got %d messages, want one naming %s: %+v", len(msgs.Messages), reportURL, msgs.Messages)
	}
	// Change one ledger file in the state bucket.
	list, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pp-state"), Prefix: aws.String("parityproof/runs/")})
	if err != nil {
		t.Fatal(err)
	}
	var part string
	for _, o := range list.Contents {
		if strings.HasSuffix(*o.Key, ".jsonl.gz") {
			part = *o.Key
		}
	}
	obj, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pp-state"), Key: aws.String(part)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	body[len(body)/2] ^= 1
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pp-state"), Key: aws.String(part), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.runCLI("", "attest", "verify", reportURL, "--config", path)
	if code != 1 || !strings.Contains(out, "FAIL  s3://pp-state/"+part) {
		t.Errorf("attest verify of a changed ledger: exit %d, want 1 naming s3://pp-state/%s\n%s", code, part, out)
	}
}

// The run's record names who began it (here the OCI user of the
// configuration's API key profile), and a report rebuilt later by someone
// else — another OCI user — still names the starter.
func TestWhoBeganTheRunSurvivesARebuild(t *testing.T) {
	e := newE2E(t)
	e.putLegacy(e2eLegacyUS, "a/1.bin", "one", "")
	e.putLegacy(e2eLegacySG, "a/1.bin", "one", "")
	e.putTarget("a/1.bin", "one", false)
	dir := filepath.Join(e.dir, "who")
	cfg := e.config(dir, "")
	if code, out, errOut := e.runCLI("2026-11-27T22:00:00Z", "run", "--config", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	rep, path := readReport(t, dir)
	var rec struct {
		RanBy *state.Identity `json:"ran_by"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "state", "runs", rep.RunID, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	starter := &state.Identity{OCI: []state.OCIIdentity{{Auth: "api_key", User: ocilocal.DefaultUser, Tenancy: ocilocal.DefaultTenancy, Profile: "E2E", ConfigFile: e.ociConfig}}}
	if diff := cmp.Diff(starter, rec.RanBy); diff != "" {
		t.Errorf("run.json's ran_by (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(starter, rep.RanBy); diff != "" {
		t.Errorf("report.json's ran_by (-want +got):\n%s", diff)
	}

	// An auditor rebuilds the report with a configuration of their own.
	auditorConfig, err := ocilocal.WriteConfig(t.TempDir(), e.ociKey, ocilocal.Profile{Name: "E2E", User: "ocid1.user.oc1..auditor", Region: "us-ashburn-1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "auditor.yaml")
	if err := os.WriteFile(other, bytes.Replace(b, []byte(e.ociConfig), []byte(auditorConfig), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := e.runCLI("", "report", "--config", other, "--run", rep.RunID); code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, errOut)
	}
	rebuilt, rebuiltPath := readReport(t, dir)
	if rebuiltPath != path || rebuilt.RunID != rep.RunID {
		t.Fatalf("the rebuilt report is %s of run %s, want %s of %s", rebuiltPath, rebuilt.RunID, path, rep.RunID)
	}
	if diff := cmp.Diff(starter, rebuilt.RanBy); diff != "" {
		t.Errorf("the rebuilt report's ran_by (-want +got):\n%s", diff)
	}
}
