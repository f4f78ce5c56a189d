package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/emf"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// These tests drive the handler in-process over memory stores and file://
// locations; functions/e2e_test.go drives the built binaries in the Lambda
// Runtime Interface Emulator against moto and ocilocal.

const handlerConfig = `stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, prefix: users/, region: us-east-1, endpoint: "http://127.0.0.1:9"}
  legacy-sg: {type: s3, bucket: legacy-sg-backups, prefix: users/, region: ap-southeast-1, endpoint: "http://127.0.0.1:9"}
  oci-us: {type: oci, namespace: acme, bucket: us-users, prefix: migrated/, region: us-ashburn-1, endpoint: "http://127.0.0.1:9"}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
state: file://./state
reports: file://./reports
run:
  checkpoint_every: 2
`

type fixture struct {
	t       *testing.T
	dir     string
	stores  map[string]*memory.Store
	h       *handler
	metrics bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), stores: map[string]*memory.Store{}}
	for _, n := range []string{"legacy-us", "legacy-sg", "oci-us"} {
		f.stores[n] = memory.New(n)
	}
	for _, k := range []string{"00042/backup 1 été.bin", "00043/backup-1.bin", "00731/backup-1.bin", "00731/backup-2.bin"} {
		for _, s := range f.stores {
			s.Put(k, []byte("content of "+k))
		}
	}
	cfg, err := config.Parse(filepath.Join(f.dir, "parityproof.yaml"), []byte(handlerConfig))
	if err != nil {
		t.Fatal(err)
	}
	f.h = &handler{
		log:     slog.New(slog.DiscardHandler),
		metrics: emf.New(&f.metrics, "", nil),
		load:    func(context.Context) (*lambdaenv.Env, error) { return &lambdaenv.Env{Config: cfg, Source: "test"}, nil },
		open: func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
			return f.stores[s.Name], nil
		},
		identify: func(context.Context) *state.Identity { return starter },
		now:      func() time.Time { return time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC) },
		margin:   time.Second,
	}
	return f
}

// invoke handles payload and returns the answer as JSON.
func (f *fixture) invoke(payload string) (string, error) {
	f.t.Helper()
	out, err := f.h.handle(context.Background(), json.RawMessage(payload))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(out)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b), nil
}

// files returns every file under the fixture's state and reports with its
// content, to show that something was or was not written.
func (f *fixture) files() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "parityproof.yaml" {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, f.dir)] = string(b)
		return err
	})
	return out
}

func s3Removed(bucket, key, at string) string {
	return fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventTime":%q,"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":%q},"object":{"key":%q}}}]}`, at, bucket, key)
}

// starter is the identity the function runs as.
var starter = &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/parityproof-verify/fn", UserID: "AROA:verify"}}

func TestRunThenRejudgeIdempotently(t *testing.T) {
	f := newFixture(t)
	var run RunAnswer
	out, err := f.invoke(`{"action":"run"}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatal(err)
	}
	if !run.Done || run.Counts == nil || run.Counts.Verdicts[ledger.Verified] != 4 || !strings.HasSuffix(run.Report, "/reports/"+run.RunID+"/report.json") {
		t.Fatalf("run answer: %s", out)
	}
	// Who began the run (the function's identity) is in its record and
	// its report.
	for _, name := range []string{"state/runs/" + run.RunID + "/run.json", "reports/" + run.RunID + "/report.json"} {
		b, err := os.ReadFile(filepath.Join(f.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			RanBy *state.Identity `json:"ran_by"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(starter, doc.RanBy); diff != "" {
			t.Errorf("%s's ran_by (-want +got):\n%s", name, diff)
		}
	}
	f.metrics.Reset()

	for _, s := range []string{"legacy-us", "legacy-sg"} {
		f.stores[s].Delete("00042/backup 1 été.bin")
	}
	before := f.files()
	event := s3Removed("legacy-us-backups", "users/00042/backup+1+%C3%A9t%C3%A9.bin", "2026-11-28T23:15:04Z")
	out, err = f.invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 23, 15, 4, 0, time.UTC)
	events := []state.RemovedEvent{{Store: "legacy-us", Bucket: "legacy-us-backups", Key: "users/00042/backup 1 été.bin", Event: "ObjectRemoved:Delete", Time: at}}
	name, err := state.RejudgedName(run.RunID, "us-users", "00042/backup 1 été.bin", events)
	if err != nil {
		t.Fatal(err)
	}
	record := fmt.Sprintf("file://%s/state/%s", f.dir, name)
	want := fmt.Sprintf(`{"rejudged":[{"pair":"us-users","key":"00042/backup 1 été.bin","verdict":"deleted","record":%q,"written":true}],"ignored":[]}`, record)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("first delivery (-want +got):\n%s", diff)
	}
	after := f.files()
	var added []string
	for p := range after {
		if _, ok := before[p]; !ok {
			added = append(added, p)
		}
	}
	if diff := cmp.Diff([]string{"/state/" + name}, added); diff != "" {
		t.Errorf("files added (-want +got):\n%s", diff)
	}
	var rec state.Rejudged
	if err := json.Unmarshal([]byte(after[added[0]]), &rec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{state.RejudgedSchema, run.RunID, at, ledger.Deleted, at, events},
		[]any{rec.Schema, rec.AgainstRunID, rec.JudgedAt, rec.Entry.Verdict, *rec.Entry.DeletedAt, rec.Events}); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if n := strings.Count(f.metrics.String(), "\n"); n != 1 || !strings.Contains(f.metrics.String(), `"deleted":1`) {
		t.Errorf("metrics of the first delivery:\n%s", f.metrics.String())
	}

	// The same event again: the same answer, but nothing written or counted.
	f.metrics.Reset()
	out, err = f.invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Replace(want, `"written":true`, `"written":false`, 1), out); diff != "" {
		t.Errorf("second delivery (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(after, f.files()); diff != "" {
		t.Errorf("the second delivery changed files (-want +got):\n%s", diff)
	}
	if f.metrics.Len() != 0 {
		t.Errorf("the second delivery was counted:\n%s", f.metrics.String())
	}

	// Another event of the same key adds a record beside the first.
	if _, err := f.invoke(s3Removed("legacy-sg-backups", "users/00042/backup+1+%C3%A9t%C3%A9.bin", "2026-11-28T23:16:00Z")); err != nil {
		t.Fatal(err)
	}
	var records []string
	for p := range f.files() {
		if strings.Contains(p, "/rejudged/") {
			records = append(records, filepath.Base(p))
		}
	}
	slices.Sort(records)
	if len(records) != 2 || records[0] != filepath.Base(name) || !strings.HasPrefix(records[1], "20261128T231600.000Z-") {
		t.Errorf("records after another event: %v", records)
	}
}

// Events the function cannot serve, or that name no store, write nothing.
func TestNothingIsWrittenForUnknownOrMalformedEvents(t *testing.T) {
	f := newFixture(t)
	if _, err := f.invoke(`{"action":"plan","run_id":"new"}`); err != nil {
		t.Fatal(err)
	}
	before := f.files()
	for _, tc := range []struct{ name, payload, want string }{
		{"another bucket", s3Removed("someone-elses-bucket", "users/00042/x.bin", "2026-11-28T23:15:04Z"),
			`{"rejudged":[],"ignored":[{"bucket":"someone-elses-bucket","key":"users/00042/x.bin","reason":"no store of a pair holds it"}]}`},
		{"outside the prefix", s3Removed("legacy-us-backups", "logs/x.bin", "2026-11-28T23:15:04Z"),
			`{"rejudged":[],"ignored":[{"bucket":"legacy-us-backups","key":"logs/x.bin","reason":"no store of a pair holds it"}]}`},
		{"the prefix itself", s3Removed("legacy-us-backups", "users/", "2026-11-28T23:15:04Z"),
			`{"rejudged":[],"ignored":[{"bucket":"legacy-us-backups","key":"users/","reason":"no store of a pair holds it"}]}`},
		{"S3's test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"legacy-us-backups"}`, `{"ignored":"s3:TestEvent"}`},
		{"malformed", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"legacy-us-backups"},"object":{"key":"users/00042/x"}}}]}`,
			"error: record 0: no eventTime"},
		{"unknown", `{"hello":"world"}`, "error: " + `unrecognised event (no "action", "detail-type" or "Records"); expected ` + expected},
		{"a plan of a run never recorded", `{"action":"plan","run_id":"20201128T220000Z-0000"}`,
			`error: no run 20201128T220000Z-0000 is recorded at file://./state; plan {"run_id":"new"} to begin one`},
		{"a shard of a run never recorded", `{"action":"shard","run_id":"20201128T220000Z-0000","pair":"us-users"}`, "error: no run 20201128T220000Z-0000 is recorded at file://./state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.invoke(tc.payload)
			if err != nil {
				out = "error: " + err.Error()
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, f.files()); diff != "" {
				t.Errorf("files changed (-want +got):\n%s", diff)
			}
		})
	}
}

// readTasks reads the shard tasks a plan listed.
func readTasks(t *testing.T, plan PlanAnswer) []ShardTask {
	t.Helper()
	path, ok := strings.CutPrefix(plan.Location.URL, "file://")
	if !ok {
		t.Fatalf("the shard list is at %q", plan.Location.URL)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ShardTask
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		var task ShardTask
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&task); err != nil || !strings.HasSuffix(line, "}\n") {
			t.Fatalf("line %q of the shard list: %v", line, err)
		}
		out = append(out, task)
	}
	if len(out) != plan.Count {
		t.Errorf("the shard list holds %d tasks, the plan says %d", len(out), plan.Count)
	}
	return out
}

// A plan of "new" begins a run and lists its shard tasks as JSON Lines at
// the run's state prefix; planning it again by its id, or "new" while it
// is in progress, lists the same; each line, as the Distributed Map passes
// it, runs its shard until done.
func TestPlanAndShards(t *testing.T) {
	f := newFixture(t)
	out, err := f.invoke(`{"action":"plan","run_id":"new"}`)
	if err != nil {
		t.Fatal(err)
	}
	var plan PlanAnswer
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	want := PlanAnswer{RunID: plan.RunID, Count: 3, Location: ListLocation{URL: "file://" + filepath.ToSlash(filepath.Join(f.dir, "state", "runs", plan.RunID, "map", "shards.jsonl"))}}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	tasks := readTasks(t, plan)
	var ranges [][2]string
	for _, s := range tasks {
		ranges = append(ranges, [2]string{s.Start, s.End})
		if s != (ShardTask{Action: "shard", RunID: plan.RunID, Pair: "us-users", Start: s.Start, End: s.End}) {
			t.Errorf("task %+v", s)
		}
	}
	if diff := cmp.Diff([][2]string{{"", "00043/"}, {"00043/", "00731/"}, {"00731/", ""}}, ranges); diff != "" {
		t.Errorf("shards (-want +got):\n%s", diff)
	}
	for _, again := range []string{`{"action":"plan","run_id":"new"}`, `{"action":"plan","run_id":"` + plan.RunID + `"}`} {
		out2, err := f.invoke(again)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(out, out2); diff != "" {
			t.Errorf("%s (-first +again):\n%s", again, diff)
		}
	}
	for _, s := range tasks {
		b, _ := json.Marshal(s)
		out, err := f.invoke(string(b))
		if err != nil {
			t.Fatal(err)
		}
		var ans ShardAnswer
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatal(err)
		}
		if !ans.Done || ans.Stalled != 0 || ans.Counts.Objects == 0 || ans.Counts.Count(ledger.Verified) != ans.Counts.Objects {
			t.Errorf("shard %s: %s", b, out)
		}
	}
	out, err = f.invoke(`{"action":"plan","run_id":"` + plan.RunID + `"}`)
	if err != nil || !strings.Contains(out, `"complete":false`) {
		t.Errorf("a run whose shards are done is complete only once finished (by the report function): %s, %v", out, err)
	}
}

// Plan's answer stays a few hundred bytes however many shards the run
// has: Step Functions passes at most 256 KiB between states.
func TestPlanAnswerIsSmallWhateverTheShardCount(t *testing.T) {
	f := newFixture(t)
	for i := range 3000 {
		k := fmt.Sprintf("10000/%s-%05d.bin", strings.Repeat("long-key-name-", 4), i)
		for _, s := range f.stores {
			s.Put(k, []byte("content of "+k))
		}
	}
	cfg, err := config.Parse(filepath.Join(f.dir, "parityproof.yaml"), []byte(strings.Replace(handlerConfig, "checkpoint_every: 2", "checkpoint_every: 50\n  shard_size: 1", 1)))
	if err != nil {
		t.Fatal(err)
	}
	f.h.load = func(context.Context) (*lambdaenv.Env, error) { return &lambdaenv.Env{Config: cfg, Source: "test"}, nil }
	if _, err := f.invoke(`{"action":"run"}`); err != nil {
		t.Fatal(err)
	}
	out, err := f.invoke(`{"action":"plan","run_id":"new"}`)
	if err != nil {
		t.Fatal(err)
	}
	var plan PlanAnswer
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Count < 1000 || len(out) >= 2048 {
		t.Errorf("a plan of %d shards answered %d bytes, want at least 1,000 shards in less than 2 KiB", plan.Count, len(out))
	}
	tasks := readTasks(t, plan)
	for i := 1; i < len(tasks); i++ {
		if tasks[i-1].End != tasks[i].Start {
			t.Fatalf("tasks %d and %d do not meet: %+v, %+v", i-1, i, tasks[i-1], tasks[i])
		}
	}
}

// An invocation works until the margin before its deadline, or half the
// time left when that is shorter; without a deadline, until it is done.
func TestWorkContextKeepsTheMargin(t *testing.T) {
	h := &handler{margin: 30 * time.Second}
	deadline := time.Now().Add(10 * time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	wctx, wcancel := h.workContext(ctx)
	defer wcancel()
	got, _ := wctx.Deadline()
	if diff := cmp.Diff(30*time.Second, deadline.Sub(got)); diff != "" {
		t.Errorf("margin (-want +got):\n%s", diff)
	}

	short, scancel := context.WithDeadline(context.Background(), time.Now().Add(20*time.Second))
	defer scancel()
	sctx, sc := h.workContext(short)
	defer sc()
	sd, _ := short.Deadline()
	wd, _ := sctx.Deadline()
	if m := sd.Sub(wd); m > 10*time.Second || m < 9*time.Second {
		t.Errorf("with 20s left the margin is %v, want half of what is left", m)
	}

	nctx, nc := h.workContext(context.Background())
	defer nc()
	if _, ok := nctx.Deadline(); ok {
		t.Error("a context without a deadline got one")
	}
}

func TestDeadlineMargin(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		err  string
	}{
		{"", DefaultDeadlineMargin, ""},
		{"45s", 45 * time.Second, ""},
		{"1m", time.Minute, ""},
		{"soon", 0, `PARITYPROOF_DEADLINE_MARGIN "soon" is not a duration such as 30s`},
		{"-5s", 0, `PARITYPROOF_DEADLINE_MARGIN "-5s" is not a duration such as 30s`},
	} {
		got, err := deadlineMargin(func(string) string { return tc.env })
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if diff := cmp.Diff([]any{tc.want, tc.err}, []any{got, msg}); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.env, diff)
		}
	}
}

// Every deletion shape of events/ goes through the handler: S3 Lifecycle
// expirations (permanent and delete markers), EventBridge's lifecycle
// deletions, S3 -> SNS -> Lambda and S3 -> SNS -> SQS. A key that no store
// holds and no ledger knows is answered with a warning, never a silent
// nothing; a poison message fails alone and writes nothing.
func TestDeletionShapesThroughTheHandler(t *testing.T) {
	f := newFixture(t)
	out, err := f.invoke(`{"action":"run"}`)
	if err != nil {
		t.Fatal(err)
	}
	var run RunAnswer
	if err := json.Unmarshal([]byte(out), &run); err != nil || !run.Done {
		t.Fatalf("run: %s, %v", out, err)
	}
	for _, s := range []string{"legacy-us", "legacy-sg"} {
		f.stores[s].Delete("00042/backup 1 été.bin")
	}
	f.stores["legacy-us"].Delete("00043/backup-1.bin")
	type row struct {
		Pair, Key string
		Verdict   ledger.Verdict
		Warning   string
		Written   bool
	}
	var failures []string
	answer := func(name string) ([]row, error) {
		t.Helper()
		out, err := f.invoke(string(sample(t, name)))
		if err != nil {
			return nil, err
		}
		var a struct {
			Rejudged          []row             `json:"rejudged"`
			Ignored           []json.RawMessage `json:"ignored"`
			BatchItemFailures []struct {
				ItemIdentifier string `json:"itemIdentifier"`
			} `json:"batchItemFailures"`
		}
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatal(err)
		}
		if len(a.Ignored) != 0 {
			t.Errorf("%s: ignored %s", name, out)
		}
		failures = nil
		for _, x := range a.BatchItemFailures {
			failures = append(failures, x.ItemIdentifier)
		}
		return a.Rejudged, nil
	}
	unknown := "no store of the pair holds the key and it is not in the ledger of run " + run.RunID +
		": it was deleted, but nothing says whether it ever had a copy (created and deleted between runs, or before the first run without a baseline)"
	for _, tc := range []struct {
		file string
		want []row
	}{
		{"s3-lifecycle-expiration.json", []row{
			{"us-users", "00042/backup 1 été.bin", ledger.Deleted, "", true},
			{"us-users", "00043/backup-1.bin", ledger.DeletionIncomplete, "", true},
		}},
		{"eventbridge-lifecycle-expiration.json", []row{{"us-users", "00042/backup 1 été.bin", ledger.Deleted, "", true}}},
		{"sns-s3-object-removed.json", []row{{"us-users", "00043/backup-1.bin", ledger.DeletionIncomplete, "", true}}},
		{"sqs-sns-s3-object-removed.json", []row{
			{"us-users", "00044/a+b?c#d.bin", "", unknown, true},
			{"us-users", "00045/gone-before-any-run.bin", "", unknown, true},
		}},
	} {
		got, err := answer(tc.file)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
	// The warning is in the record, which has no entry.
	for p, content := range f.files() {
		if strings.Contains(p, "/rejudged/") && strings.Contains(content, `"key": "00045/gone-before-any-run.bin"`) {
			var rec state.Rejudged
			if err := json.Unmarshal([]byte(content), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Entry != nil || rec.Warning != unknown {
				t.Errorf("record %s: entry %v, warning %q", p, rec.Entry, rec.Warning)
			}
		}
	}
	// A poison message fails alone: the good message of its batch is
	// re-judged (as it was already: nothing is written).
	before := f.files()
	got, err := answer("sqs-sns-poison.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]row{{"us-users", "00044/a+b?c#d.bin", "", unknown, false}}, got); diff != "" {
		t.Errorf("the poison message's batch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0b5f3c1e-2c83-4b7a-9f0e-6a1f6f3e2a03"}, failures); diff != "" {
		t.Errorf("batchItemFailures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, f.files()); diff != "" {
		t.Errorf("the poison message changed files (-want +got):\n%s", diff)
	}
}

// A plan that would begin a run checks every store first: a store that
// cannot be opened fails the plan naming it, and nothing is written to
// the state location but the preflight's probe lock.
func TestPlanRunsThePreflight(t *testing.T) {
	f := newFixture(t)
	f.h.open = func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		if s.Name == "legacy-sg" {
			return nil, fmt.Errorf("store legacy-sg: %w", s3store.ErrBucketNotFound)
		}
		return f.stores[s.Name], nil
	}
	_, err := f.invoke(`{"action":"plan","run_id":"new"}`)
	if err == nil || !strings.Contains(err.Error(), "the preflight found a problem; nothing was begun") || !strings.Contains(err.Error(), "legacy-sg") {
		t.Fatalf("plan with a missing bucket: %v", err)
	}
	if !run.Permanent(err) {
		t.Errorf("a missing bucket is not permanent: %v", err)
	}
	for name := range f.files() {
		if strings.Contains(name, "/runs/") || strings.HasSuffix(name, "current.json") {
			t.Errorf("a plan that failed its preflight wrote %s", name)
		}
	}
}
