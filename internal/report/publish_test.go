package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
)

// reportFiles are the files Publish writes for a run.
var reportFiles = []string{"exceptions.csv", "report.html", "report.json", "summary.md"}

// checkPublished checks that st holds r's four files as r renders them,
// and that latest.json names wantLatest.
func checkPublished(t *testing.T, st storage.Store, r *Report, wantLatest *Report) {
	t.Helper()
	pub := Locate(st, r)
	js, _ := r.JSON()
	csvb, _ := r.CSV()
	page, _ := r.HTML(pub)
	want := map[string]string{"report.json": string(js), "exceptions.csv": string(csvb), "report.html": string(page), "summary.md": string(r.Summary(pub))}
	for _, name := range reportFiles {
		if got := readString(t, st, r.RunID+"/"+name); got != want[name] {
			t.Errorf("%s/%s is not the report's rendering", r.RunID, name)
		}
	}
	var l latest
	if err := json.Unmarshal([]byte(readString(t, st, "latest.json")), &l); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(latest{RunID: wantLatest.RunID, Report: Locate(st, wantLatest).ReportURL}, l); diff != "" {
		t.Errorf("latest.json (-want +got):\n%s", diff)
	}
}

func readString(t *testing.T, st storage.Store, name string) string {
	t.Helper()
	rc, err := st.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Rebuilding an older run's report publishes it again but leaves
// latest.json on the newest run.
func TestPublishKeepsLatestOnTheNewestRun(t *testing.T) {
	d := newDemo(t, newMemStore("mem://state/"), newMemStore("mem://reports/"))
	last := d.lifeCycle()
	first, err := Build(context.Background(), d.cfg, state.New(d.state), d.runs[0], WithHistory(d.reports))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(context.Background(), d.reports, first); err != nil {
		t.Fatal(err)
	}
	checkPublished(t, d.reports, first, last)
	checkPublished(t, d.reports, last, last)
	if len(first.History) != 1 {
		t.Errorf("the first run's burn-down has %d points, want its own alone", len(first.History))
	}
}

// Publishing to S3 with a retention puts every report file under an
// Object Lock retention in compliance mode, but not latest.json, which
// moves on with every run.
func TestPublishToS3WithObjectLock(t *testing.T) {
	srv := motoEnv(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	bucket := srv.BucketName("pp-reports-lock")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	reports, err := storage.NewS3(ctx, storage.S3Location{Bucket: bucket, Prefix: "parityproof/", Region: "us-east-1", Endpoint: srv.URL, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	d := newDemo(t, newMemStore("mem://state/"), reports)
	d.lifeCycle()
	rep := d.reps[len(d.reps)-1]
	until := time.Date(2033, 11, 15, 0, 0, 0, 0, time.UTC)
	if _, err := Publish(ctx, reports, rep, RetainUntil(until)); err != nil {
		t.Fatal(err)
	}
	checkPublished(t, reports, rep, rep)
	if len(rep.History) != 3 {
		t.Errorf("the burn-down read from S3 has %d points, want 3", len(rep.History))
	}
	type retention struct {
		Mode  s3types.ObjectLockMode
		Until time.Time
	}
	head := func(name string) retention {
		out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("parityproof/" + name)})
		if err != nil {
			t.Fatal(err)
		}
		var r retention
		r.Mode = out.ObjectLockMode
		if out.ObjectLockRetainUntilDate != nil {
			r.Until = out.ObjectLockRetainUntilDate.UTC()
		}
		return r
	}
	for _, name := range reportFiles {
		if diff := cmp.Diff(retention{s3types.ObjectLockModeCompliance, until}, head(rep.RunID+"/"+name)); diff != "" {
			t.Errorf("%s: retention (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(retention{}, head("latest.json")); diff != "" {
		t.Errorf("latest.json is retained (-want +got):\n%s", diff)
	}
}

// Publishing to an OCI bucket (through ocilocal, which checks the SDK's
// signatures) writes the same files, and the burn-down reads the earlier
// reports back from it.
func TestPublishToOCI(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acme"}, Profile: "LOCAL", Region: "us-ashburn-1"})
	env.CreateBucket(t, "reports", false)
	cfg := oci.Config{Name: "reports", Namespace: "acme", Bucket: "reports", Prefix: "pp/", Region: "us-ashburn-1",
		Endpoint: env.Endpoint, ConfigFile: env.ConfigFile, Profile: "LOCAL", DisableCircuitBreaker: true}
	reports, err := storage.NewOCI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := newDemo(t, newMemStore("mem://state/"), reports)
	rep := d.lifeCycle()
	checkPublished(t, reports, rep, rep)
	var got []string
	for _, p := range rep.History {
		got = append(got, p.Report)
	}
	want := []string{Locate(reports, d.reps[0]).ReportURL, Locate(reports, d.reps[1]).ReportURL, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("burn-down sources (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(want[0], "oci://reports@acme/pp/") {
		t.Errorf("report URL %q is not in the OCI bucket", want[0])
	}
}

// The demo's published report holds against its ledger: every new field
// of report.json is one attest verify accepts.
func TestDemoReportHolds(t *testing.T) {
	rep, pub := publishedDemo(t)
	checks, err := Attest(context.Background(), FetchFile, pub.ReportURL)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range checks {
		if c.OK && strings.Contains(c.What, fmt.Sprintf("%d exceptions match the ledger", rep.ExceptionCount())) {
			found = true
		}
	}
	if !found {
		t.Errorf("no check says the exceptions match the ledger: %+v", checks)
	}
}
