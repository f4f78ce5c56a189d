package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/lambdaenv"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// hangingStore is a store whose listings never give a page: a listing that
// hangs until the invocation's deadline.
type hangingStore struct{ inventory.Store }

func (h hangingStore) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	return hangingListing{ctx}
}

type hangingListing struct{ ctx context.Context }

func (l hangingListing) NextPage() ([]inventory.Fingerprint, error) {
	<-l.ctx.Done()
	return nil, l.ctx.Err()
}

func (l hangingListing) Close() error { return nil }

// invokeBy handles payload with a deadline after d.
func (f *fixture) invokeBy(d time.Duration, payload string) (string, error) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := f.h.handle(ctx, json.RawMessage(payload))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(out)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b), nil
}

// A shard whose cursor has not moved in three invocations in a row fails
// with the error ShardStalled, which names it; an invocation that moves
// the cursor starts the count again.
func TestProgressGuard(t *testing.T) {
	f := newFixture(t)
	var plan PlanAnswer
	out, err := f.invoke(`{"action":"plan","run_id":"new"}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	task := readTasks(t, plan)[2] // 00731/…
	open := f.h.open
	f.h.open = func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		st, err := open(ctx, s, pageSize)
		if s.Name == "oci-us" {
			return hangingStore{st}, err
		}
		return st, err
	}
	f.h.margin = 100 * time.Millisecond
	f.h.cache = containerCache{} // the container's runner opened the stores before
	for want := 1; want <= MaxStalled; want++ {
		b, _ := json.Marshal(task)
		out, err := f.invokeBy(300*time.Millisecond, string(b))
		if want == MaxStalled {
			var stalled *ShardStalled
			if !errors.As(err, &stalled) || stalled.Shard != "0003" || stalled.Invocations != MaxStalled {
				t.Fatalf("invocation %d: %s, %v; want ShardStalled", want, out, err)
			}
			if msg := err.Error(); !strings.Contains(msg, `shard 0003 of pair us-users (run `+plan.RunID+`) has not moved from its start in 3 invocations`) {
				t.Errorf("the error says %q", msg)
			}
			break
		}
		if err != nil {
			t.Fatalf("invocation %d: %v", want, err)
		}
		var ans ShardAnswer
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Done || ans.Cursor != "" || ans.Stalled != want {
			t.Fatalf("invocation %d: %s, want stalled %d", want, out, want)
		}
		task.Cursor, task.Stalled = ans.Cursor, ans.Stalled
	}
	// The stores answer again: the shard moves, and the count starts over.
	f.h.open, f.h.cache = open, containerCache{}
	b, _ := json.Marshal(task)
	out, err = f.invoke(string(b))
	if err != nil || !strings.Contains(out, `"done":true`) || !strings.Contains(out, `"stalled":0`) {
		t.Errorf("the shard once its stores answer: %s, %v", out, err)
	}
}

// The state machine's Catch records why a shard failed, for the run's
// report; a failure of a shard the run does not have is refused.
func TestShardFailedIsRecorded(t *testing.T) {
	f := newFixture(t)
	var plan PlanAnswer
	out, err := f.invoke(`{"action":"plan","run_id":"new"}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 3000)
	out, err = f.invoke(fmt.Sprintf(`{"action":"shard_failed","run_id":%q,"pair":"us-users","start":"00043/","end":"00731/","error":"States.Timeout","cause":%q}`, plan.RunID, long))
	if err != nil {
		t.Fatal(err)
	}
	name := state.FailureName(plan.RunID, "us-users", "0002")
	want := fmt.Sprintf(`{"run_id":%q,"pair":"us-users","shard":"0002","record":"file://%s/state/%s"}`, plan.RunID, f.dir, name)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, "state", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec state.Failure
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Error != "States.Timeout" || rec.Shard.ID != "0002" || len(rec.Cause) > maxCause+len("…") || !strings.HasSuffix(rec.Cause, "é…") {
		t.Errorf("the record: error %q, shard %+v, cause of %d bytes", rec.Error, rec.Shard, len(rec.Cause))
	}
	for payload, wantErr := range map[string]string{
		fmt.Sprintf(`{"action":"shard_failed","run_id":%q,"pair":"us-users","start":"zz","end":"","error":"x"}`, plan.RunID): `pair "us-users" has no shard`,
		`{"action":"shard_failed","run_id":"new","pair":"us-users","error":"x"}`:                                             `has no "run_id"`,
		fmt.Sprintf(`{"action":"shard_failed","run_id":%q,"pair":"us-users","start":"00043/","end":"00731/"}`, plan.RunID):   `has no "error"`,
		fmt.Sprintf(`{"action":"shard_failed","run_id":%q,"pair":"us-users","error":"x","color":"red"}`, plan.RunID):         `unknown field "color"`,
	} {
		if _, err := f.invoke(payload); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: %v, want an error saying %q", payload, err, wantErr)
		}
	}
}

func sqsMessage(id, body string) string {
	return fmt.Sprintf(`{"messageId":%q,"eventSource":"aws:sqs","body":%q}`, id, body)
}

// failingStore fails the listing of one key.
type failingStore struct {
	inventory.Store
	key string
}

func (f failingStore) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	if r.Start == f.key {
		return hangingListing{canceled()}
	}
	return f.Store.List(ctx, r)
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// A message of an SQS batch that cannot be decoded, holds something other
// than deletions, or whose key cannot be re-judged, is named in
// batchItemFailures alone; the others' deletions are re-judged — a key
// that two messages name once, with both events.
func TestSQSBatchFailsItsPoisonMessagesAlone(t *testing.T) {
	f := newFixture(t)
	if _, err := f.invoke(`{"action":"run"}`); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"legacy-us", "legacy-sg"} {
		f.stores[s].Delete("00042/backup 1 été.bin")
	}
	f.stores["legacy-us"].Delete("00043/backup-1.bin")
	open := f.h.open
	f.h.open = func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		st, err := open(ctx, s, pageSize)
		return failingStore{st, "00731/backup-1.bin"}, err
	}
	f.h.cache = containerCache{}
	batch := `{"Records":[` + strings.Join([]string{
		sqsMessage("good-1", s3Removed("legacy-us-backups", "users/00042/backup+1+%C3%A9t%C3%A9.bin", "2026-11-28T23:15:04Z")),
		sqsMessage("poison", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete"`),
		sqsMessage("test", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"legacy-us-backups"}`),
		sqsMessage("not-a-deletion", `{"action":"run"}`),
		sqsMessage("failing", s3Removed("legacy-us-backups", "users/00731/backup-1.bin", "2026-11-28T23:15:30Z")),
		sqsMessage("good-2", s3Removed("legacy-sg-backups", "users/00042/backup+1+%C3%A9t%C3%A9.bin", "2026-11-28T23:16:00Z")),
		sqsMessage("good-3", s3Removed("legacy-us-backups", "users/00043/backup-1.bin", "2026-11-28T23:16:30Z")),
		sqsMessage("elsewhere", s3Removed("someone-elses-bucket", "x", "2026-11-28T23:16:00Z")),
	}, ",") + `]}`
	type answer struct {
		Rejudged []struct {
			Key, Verdict string
			Written      bool
		} `json:"rejudged"`
		Ignored           []struct{ Bucket string } `json:"ignored"`
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	var ans answer
	out, err := f.invoke(batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	var failed, judged []string
	for _, b := range ans.BatchItemFailures {
		failed = append(failed, b.ItemIdentifier)
	}
	for _, r := range ans.Rejudged {
		judged = append(judged, fmt.Sprintf("%s %s %v", r.Key, r.Verdict, r.Written))
	}
	if diff := cmp.Diff([]string{"poison", "not-a-deletion", "failing"}, failed); diff != "" {
		t.Errorf("batchItemFailures (-want +got):\n%s", diff)
	}
	// The batch failed together, then message by message: 00042 was
	// judged once per message.
	if diff := cmp.Diff([]string{"00042/backup 1 été.bin deleted true", "00042/backup 1 été.bin deleted true", "00043/backup-1.bin deletion_incomplete true"}, judged); diff != "" {
		t.Errorf("re-judged (-want +got):\n%s", diff)
	}
	if len(ans.Ignored) != 1 || ans.Ignored[0].Bucket != "someone-elses-bucket" {
		t.Errorf("ignored %+v", ans.Ignored)
	}
	// Without the failing message, the batch is re-judged together: 00042
	// once, with both events — as the failed attempt together had already
	// recorded it, so nothing is written again.
	f.h.open, f.h.cache = open, containerCache{}
	out, err = f.invoke(strings.Replace(batch, sqsMessage("failing", s3Removed("legacy-us-backups", "users/00731/backup-1.bin", "2026-11-28T23:15:30Z"))+",", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	ans = answer{}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	judged = nil
	for _, r := range ans.Rejudged {
		judged = append(judged, fmt.Sprintf("%s %s %v", r.Key, r.Verdict, r.Written))
	}
	if diff := cmp.Diff([]string{"00042/backup 1 été.bin deleted false", "00043/backup-1.bin deletion_incomplete false"}, judged); diff != "" {
		t.Errorf("re-judged together (-want +got):\n%s", diff)
	}
	if len(ans.BatchItemFailures) != 2 {
		t.Errorf("batchItemFailures %+v, want the poison and the request", ans.BatchItemFailures)
	}
}

// A container reads its environment once in PARITYPROOF_CACHE_TTL and
// keeps its runner while the configuration is the same.
func TestContainerKeepsItsEnvironment(t *testing.T) {
	f := newFixture(t)
	load, loads := f.h.load, 0
	var cfg *config.Config
	f.h.load = func(ctx context.Context) (*lambdaenv.Env, error) {
		loads++
		env, err := load(ctx)
		if cfg != nil {
			env.Config = cfg
		}
		return env, err
	}
	f.h.ttl = time.Hour
	for range 3 {
		if _, err := f.invoke(`{"action":"plan","run_id":"new"}`); err != nil {
			t.Fatal(err)
		}
	}
	runner := f.h.cache.runner
	if loads != 1 || runner == nil {
		t.Errorf("three invocations within the TTL loaded the environment %d times", loads)
	}
	f.h.ttl = 0
	if _, err := f.invoke(`{"action":"plan","run_id":"new"}`); err != nil {
		t.Fatal(err)
	}
	if loads != 2 || f.h.cache.runner != runner {
		t.Errorf("past the TTL: %d loads, runner kept %v; want the environment read again and the runner kept", loads, f.h.cache.runner == runner)
	}
	other, err := config.Parse(filepath.Join(f.dir, "parityproof.yaml"), []byte(strings.Replace(handlerConfig, "checkpoint_every: 2", "checkpoint_every: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg = other
	if _, err := f.invoke(`{"action":"plan","run_id":"new"}`); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("a changed configuration met the run in progress with %v", err)
	}
	if f.h.cache.runner == runner {
		t.Error("a changed configuration kept the runner")
	}
	ttl, err := cacheTTL(func(string) string { return "" })
	if err != nil || ttl != DefaultCacheTTL {
		t.Errorf("default TTL %v, %v", ttl, err)
	}
	if _, err := cacheTTL(func(string) string { return "soon" }); err == nil {
		t.Error("a TTL of \"soon\" was taken")
	}
}
