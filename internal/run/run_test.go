package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Who began a run is asked once, when it begins, and recorded; resuming
// it, finishing it and publishing its report — by anyone — never asks
// again nor changes it.
func TestWhoBeganARunIsRecordedOnceAndKept(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	asked := 0
	r := w.runner(day(1), nil, Options{Identify: func(context.Context) *state.Identity { asked++; return starter }})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	auditor := &state.Identity{OCI: []state.OCIIdentity{{Auth: "api_key", User: "ocid1.user.oc1..auditor"}}}
	other := w.runner(day(1), auditor, Options{})
	if _, err := other.Begin(ctx, false); err != nil { // resumes
		t.Fatal(err)
	}
	if _, err := other.Execute(ctx, false); err != nil {
		t.Fatal(err)
	}
	got, err := other.State().ReadRecord(ctx, rec.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(starter, got.RanBy); diff != "" {
		t.Errorf("the record's ran_by (-want +got):\n%s", diff)
	}
	for _, by := range []*Runner{r, other} {
		pub, err := by.Publish(ctx, rec.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(starter, pub.Report.RanBy); diff != "" {
			t.Errorf("the report's ran_by (-want +got):\n%s", diff)
		}
	}
	if asked != 1 {
		t.Errorf("the identity was asked %d times, want once", asked)
	}
}

// Publish counts every pair's verdicts through the Metrics hook and
// announces the report; a failed announcement leaves the report
// published and says why.
func TestPublishHooks(t *testing.T) {
	w := newWorld(t)
	m := &countingMetrics{}
	n := &recordingNotifier{}
	pubs := w.lifeCycle(Options{Metrics: m, Notifier: n})
	var runs []string
	for _, p := range pubs {
		runs = append(runs, p.Report.RunID)
		if p.Notified != "msg-"+p.Report.RunID || p.NotifyErr != nil {
			t.Errorf("run %s: notified %q, %v", p.Report.RunID, p.Notified, p.NotifyErr)
		}
	}
	if diff := cmp.Diff(runs, n.runs); diff != "" {
		t.Errorf("runs announced (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"report " + runs[0] + " us-users: verified 8, missing 1, mismatch 1",
		"report " + runs[1] + " us-users: verified 3, missing 0, mismatch 1",
	}, m.docs); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	failing := &recordingNotifier{err: errors.New("SNS said no")}
	r := w.runner(day(2), starter, Options{Notifier: failing})
	pub, err := r.Publish(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if pub.Report.RunID != runs[1] || pub.NotifyErr == nil || !strings.Contains(pub.NotifyErr.Error(), "SNS said no") {
		t.Errorf("a failed announcement: run %s, %v", pub.Report.RunID, pub.NotifyErr)
	}
}

// Publish with no run id reports the newest complete run, and says there
// is nothing to report before the first.
func TestPublishNewest(t *testing.T) {
	w := newWorld(t)
	r := w.runner(day(1), starter, Options{})
	if _, err := r.Publish(context.Background(), ""); !errors.Is(err, ErrNoRun) {
		t.Errorf("before any run: %v, want ErrNoRun", err)
	}
	first := w.runAndPublish(r)
	pub, err := r.Publish(context.Background(), "")
	if err != nil || pub.Report.RunID != first.Report.RunID {
		t.Errorf("the newest run: %v, %v", pub, err)
	}
}

// Finish finishes a run once its shards are done, and only once; a shard
// not done is named.
func TestFinish(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := w.runner(day(1), starter, Options{})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Finish(ctx, rec.RunID); !errors.Is(err, state.ErrShardsPending) {
		t.Errorf("finishing a run with shards pending: %v", err)
	}
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			if _, res, err := r.RunShard(ctx, rec.RunID, p.Name, s.Range); err != nil || !res.Done {
				t.Fatalf("shard %s: %+v, %v", s.ID, res, err)
			}
		}
	}
	if _, _, err := r.RunShard(ctx, rec.RunID, rec.Pairs[0].Name, inventory.KeyRange{Start: "zz"}); err == nil {
		t.Error("a shard the plan does not have was run")
	}
	for i, want := range []bool{true, false} {
		if done, err := r.Finish(ctx, rec.RunID); err != nil || done != want {
			t.Errorf("finish #%d: %v, %v; want %v", i+1, done, err, want)
		}
	}
}

// Deleted objects map to the logical keys of every pair whose S3 stores
// hold them; objects outside every store are set aside.
func TestMatchRemoved(t *testing.T) {
	w := newWorld(t)
	targets, ignored := matchRemoved(w.cfg, []RemovedObject{
		{Bucket: "legacy-us", Key: "users/00001/backup.bin", Event: "ObjectRemoved:Delete"},
		{Bucket: "legacy-sg", Key: "users/00001/backup.bin", Event: "ObjectRemoved:Delete"},
		{Bucket: "legacy-us", Key: "users/", Event: "ObjectRemoved:Delete"},
		{Bucket: "legacy-us", Key: "other/00001/backup.bin", Event: "ObjectRemoved:Delete"},
		{Bucket: "elsewhere", Key: "users/00002/backup.bin", Event: "ObjectRemoved:Delete"},
	})
	type got struct {
		Pair, Key string
		Stores    []string
	}
	var gots []got
	for _, t := range targets {
		g := got{Pair: t.pair, Key: t.key}
		for _, e := range t.events {
			g.Stores = append(g.Stores, e.Store)
		}
		gots = append(gots, g)
	}
	if diff := cmp.Diff([]got{{"us-users", "00001/backup.bin", []string{"legacy-us", "legacy-sg"}}}, gots); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	var keys []string
	for _, o := range ignored {
		keys = append(keys, o.Bucket+"/"+o.Key)
	}
	if diff := cmp.Diff([]string{"legacy-us/users/", "legacy-us/other/00001/backup.bin", "elsewhere/users/00002/backup.bin"}, keys); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
}

// Rejudge records a deleted key's judgement against the newest run once.
func TestRejudge(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	pubs := w.lifeCycle(Options{})
	w.stores["legacy-us"].Delete("00006/backup.bin")
	w.stores["legacy-sg"].Delete("00006/backup.bin")
	m := &countingMetrics{}
	r := w.runner(day(3), starter, Options{Metrics: m})
	removed := []RemovedObject{{Bucket: "legacy-us", Key: "users/00006/backup.bin", Event: "ObjectRemoved:Delete", Time: day(3)}}
	for i, written := range []bool{true, false} {
		ans, err := r.Rejudge(ctx, removed)
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.Rejudged) != 1 || ans.Rejudged[0].Verdict != ledger.Deleted || ans.Rejudged[0].Written != written {
			t.Errorf("delivery #%d: %+v", i+1, ans)
		}
	}
	if diff := cmp.Diff([]string{"rejudge  us-users: verified 0, missing 0, mismatch 0"}, m.docs); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	name, err := state.RejudgedName(pubs[1].Report.RunID, "us-users", "00006/backup.bin", []state.RemovedEvent{{Store: "legacy-us", Bucket: "legacy-us",
		Key: "users/00006/backup.bin", Event: "ObjectRemoved:Delete", Time: day(3)}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".json") || !strings.HasPrefix(name, "rejudged/"+pubs[1].Report.RunID+"/us-users/") {
		t.Errorf("record name %q", name)
	}
}

// latest.json at the reports location follows the state's newest complete
// run, even for runs begun within the same second (whose ids sort by their
// random suffix), and a report of an older run republished later leaves it.
func TestLatestFollowsTheNewestRun(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	readLatest := func() string {
		b, err := os.ReadFile(filepath.Join(w.dir, "reports", "latest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var l struct {
			RunID string `json:"run_id"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		return l.RunID
	}
	var runs []string
	for range 6 {
		pub := w.runAndPublish(w.runner(day(1), starter, Options{}))
		runs = append(runs, pub.Report.RunID)
		if got := readLatest(); got != pub.Report.RunID {
			t.Fatalf("after run %s, latest.json names %s", pub.Report.RunID, got)
		}
	}
	if _, err := w.runner(day(1), starter, Options{}).Publish(ctx, runs[0]); err != nil {
		t.Fatal(err)
	}
	if got := readLatest(); got != runs[len(runs)-1] {
		t.Errorf("after republishing %s, latest.json names %s, want %s", runs[0], got, runs[len(runs)-1])
	}
}

// A run some of whose shards failed publishes a report of the shards done,
// naming the failed ones; the run stays in progress, and once its shards
// are done it finishes and publishes its whole report.
func TestPublishIncomplete(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	n := &recordingNotifier{}
	r := w.runner(day(1), starter, Options{Notifier: n})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	shards := rec.Pairs[0].Shards
	if len(shards) < 2 {
		t.Fatalf("the world plans %d shards", len(shards))
	}
	failed := shards[1]
	for _, s := range shards {
		if s.ID == failed.ID {
			continue
		}
		if _, _, err := r.RunShard(ctx, rec.RunID, "us-users", s.Range); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.State().WriteFailure(ctx, rec.RunID, state.Failure{Pair: "us-users", Shard: failed, Error: "States.Timeout", Cause: "the task timed out"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Finish(ctx, rec.RunID); !errors.Is(err, state.ErrShardsPending) {
		t.Fatalf("finishing: %v", err)
	}
	pub, err := r.PublishIncomplete(ctx, rec.RunID, &report.RunFailure{State: "Shards", Error: "States.ExceedToleratedFailureThreshold", Cause: "too many failed"})
	if err != nil {
		t.Fatal(err)
	}
	note := NotificationOf(pub.Report, pub.Published)
	if want := "parityproof " + rec.RunID + ": not verified, 1 shards failed"; note.Subject != want {
		t.Errorf("subject %q, want %q", note.Subject, want)
	}
	for _, want := range []string{
		"1 shards were not verified",
		"The run stopped at Shards: States.ExceedToleratedFailureThreshold: too many failed",
		fmt.Sprintf("- pair us-users, shard %s [%q, %q): States.Timeout: the task timed out", failed.ID, failed.Range.Start, failed.Range.End),
		"the next execution of the state machine resumes it",
	} {
		if !strings.Contains(note.Message, want) {
			t.Errorf("the notification does not say %q:\n%s", want, note.Message)
		}
	}
	if diff := cmp.Diff([]string{rec.RunID}, n.runs); diff != "" {
		t.Errorf("announced (-want +got):\n%s", diff)
	}
	if cur, _ := r.State().Current(ctx); cur != rec.RunID {
		t.Errorf("the run in progress is %q after a partial report, want %q", cur, rec.RunID)
	}
	// The next execution plans the same run and verifies the failed shard.
	again, err := w.runner(day(2), starter, Options{Notifier: n}).Begin(ctx, false)
	if err != nil || again.RunID != rec.RunID {
		t.Fatalf("the next execution began %v (%v), want run %s resumed", again, err, rec.RunID)
	}
	if _, res, err := r.RunShard(ctx, rec.RunID, "us-users", failed.Range); err != nil || !res.Done {
		t.Fatalf("the failed shard again: %+v, %v", res, err)
	}
	if done, err := r.Finish(ctx, rec.RunID); err != nil || !done {
		t.Fatalf("finishing: %v, %v", done, err)
	}
	whole, err := r.Publish(ctx, rec.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !whole.Report.Complete || len(whole.Report.UnverifiedShards) != 0 || whole.Report.Totals.Objects <= pub.Report.Totals.Objects {
		t.Errorf("the whole report: complete %v, %d unverified shards, %d objects (partial: %d)", whole.Report.Complete,
			len(whole.Report.UnverifiedShards), whole.Report.Totals.Objects, pub.Report.Totals.Objects)
	}
}
