package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// These tests drive the handler in-process over memory stores and file://
// locations; functions/e2e_test.go drives the built binary in the Lambda
// Runtime Interface Emulator.

const handlerConfig = `stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, prefix: users/, region: us-east-1, endpoint: "http://127.0.0.1:9"}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1, endpoint: "http://127.0.0.1:9"}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
state: file://./state
reports: file://./reports
`

var (
	starter  = &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/parityproof-verify/fn", UserID: "AROA:verify"}}
	reporter = &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/parityproof-report/fn", UserID: "AROA:report"}}
)

func TestReportFinishesAndPublishes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "parityproof.yaml"), []byte(handlerConfig))
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for _, k := range []string{"00042/a.bin", "00731/b.bin"} {
		stores["legacy-us"].Put(k, []byte("content of "+k))
	}
	stores["oci-us"].Put("00042/a.bin", []byte("content of 00042/a.bin"))
	open := func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		return stores[s.Name], nil
	}
	var metrics strings.Builder
	h := &handler{
		log: slog.New(slog.DiscardHandler), metrics: emf.New(&metrics, "", nil),
		load: func(context.Context) (*lambdaenv.Env, error) { return &lambdaenv.Env{Config: cfg}, nil },
		open: open, now: time.Now,
		// The report function runs as another identity than the run's
		// starter: its report still names the starter.
		identify: func(context.Context) *state.Identity { return reporter },
	}
	invoke := func(payload string) (*Answer, string) {
		ans, err := h.handle(ctx, json.RawMessage(payload))
		if err != nil {
			return nil, err.Error()
		}
		return ans, ""
	}

	if _, msg := invoke(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`); msg != "no run is complete at file://./state yet: there is nothing to report" {
		t.Errorf("newest run before any: %q", msg)
	}
	if _, msg := invoke(`{"run_id":"20201128T220000Z-0000"}`); msg != "no run 20201128T220000Z-0000 is recorded at file://./state" {
		t.Errorf("a run never recorded: %q", msg)
	}

	st, err := storage.Open(ctx, cfg.State)
	if err != nil {
		t.Fatal(err)
	}
	r := verify.New(verify.Options{Config: cfg, Open: open, State: state.New(st),
		RanBy: func(context.Context) *state.Identity { return starter }})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Pairs[0]
	if _, err := r.RunShard(ctx, rec, p.Name, p.Shards[0].ID); err != nil {
		t.Fatal(err)
	}
	// A shard not done (the state machine tolerated its failure, or caught
	// it): the report of the shards done, naming it.
	partial, msg := invoke(`{"run_id":"` + rec.RunID + `","failure":{"state":"Shards","error":"States.ExceedToleratedFailureThreshold","cause":"…"}}`)
	if msg != "" || partial.Complete || partial.Finished || partial.UnverifiedShards != 1 || partial.Report == "" {
		t.Errorf("a run with a shard not done: %+v, %q", partial, msg)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "reports", rec.RunID, "report.json")); err != nil ||
		!strings.Contains(string(b), `"shard": "0002"`) || !strings.Contains(string(b), `"error": "States.ExceedToleratedFailureThreshold"`) {
		t.Errorf("the partial report.json does not name the shard and the failure (%v):\n%s", err, b)
	}
	for _, s := range p.Shards[1:] {
		if _, err := r.RunShard(ctx, rec, p.Name, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	metrics.Reset()
	ans, msg := invoke(`{"run_id":"` + rec.RunID + `"}`)
	if msg != "" {
		t.Fatal(msg)
	}
	want := &Answer{RunID: rec.RunID, Finished: true, Complete: true,
		Report: "file://" + filepath.Join(dir, "reports", rec.RunID, "report.json"), HTML: "file://" + filepath.Join(dir, "reports", rec.RunID, "report.html"),
		Exceptions: 1}
	got := *ans
	got.Counts = ans.Counts
	want.Counts = ans.Counts
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[ledger.Verdict]int64{ledger.Verified: 1, ledger.Missing: 1}, nonZero(ans.Counts.Verdicts)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(dir, "reports", rec.RunID, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var published struct {
		RanBy *state.Identity `json:"ran_by"`
	}
	if err := json.Unmarshal(b, &published); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(starter, published.RanBy); diff != "" {
		t.Errorf("report.json's ran_by (-want +got):\n%s", diff)
	}
	if !strings.Contains(metrics.String(), `"missing":1`) || strings.Count(metrics.String(), "\n") != 1 {
		t.Errorf("metrics:\n%s", metrics.String())
	}

	// A scheduled event reports the newest run, already finished.
	ans, msg = invoke(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)
	if msg != "" || ans.RunID != rec.RunID || ans.Finished {
		t.Errorf("scheduled report: %+v %s", ans, msg)
	}
}

func nonZero(m map[ledger.Verdict]int64) map[ledger.Verdict]int64 {
	out := map[ledger.Verdict]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
