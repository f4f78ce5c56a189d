package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Every sample in events/ that the verify function serves decodes to the
// request it stands for.
func TestDecodeSampleEvents(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Request
	}{
		{"scheduled-event.json", Request{Kind: KindRun}},
		{"schedule-v2-run.json", Request{Kind: KindRun}},
		{"plan.json", Request{Kind: KindPlan, RunID: "20261128T220000Z-1a2b"}},
		{"plan-new-run.json", Request{Kind: KindPlan, RunID: NewRun}},
		{"s3-test-event.json", Request{Kind: KindTest}},
		{"certify.json", Request{Kind: KindCertify, Certify: CertifyRequest{Action: "certify", Prefix: "00042/", Pair: "us-users"}}},
		{"shard.json", Request{Kind: KindShard, RunID: "20261128T220000Z-1a2b",
			Shard: ShardTask{Action: "shard", RunID: "20261128T220000Z-1a2b", Pair: "us-users", End: "00043/"}}},
		{"shard-resume.json", Request{Kind: KindShard, RunID: "20261128T220000Z-1a2b",
			Shard: ShardTask{Action: "shard", RunID: "20261128T220000Z-1a2b", Pair: "us-users", Start: "00731/", Cursor: "00731/backup-2.bin"}}},
		{"s3-object-removed.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-us-backups", Key: "users/00042/backup 1 été.bin", Event: "ObjectRemoved:Delete", Time: at("2026-11-28T23:15:04.123Z")},
			{Bucket: "legacy-us-backups", Key: "users/00043/backup-1.bin", VersionID: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", Event: "ObjectRemoved:DeleteMarkerCreated", Time: at("2026-11-28T23:15:05.456Z")},
		}}},
		{"eventbridge-object-deleted.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-sg-backups", Key: "users/00042/backup 1 été.bin", VersionID: "XcTzTqLY1j.lyRg0bBa1ptOSQ0Ys8Lg1", Event: "Object Deleted:Delete Marker Created", Time: at("2026-11-28T23:16:00Z")},
		}}},
		{"shard-failed.json", Request{Kind: KindShardFailed, RunID: "20261128T220000Z-1a2b", Failure: ShardFailure{Action: "shard_failed",
			RunID: "20261128T220000Z-1a2b", Pair: "us-users", Start: "00043/", End: "00044/", Error: "ShardStalled",
			Cause: `{"errorMessage":"shard 0002 of pair us-users (run 20261128T220000Z-1a2b) has not moved from its start in 3 invocations: ` +
				`each ended before a checkpoint (run.checkpoint_every keys) was written; lower run.checkpoint_every, ` +
				`or look at the shard's stores (a listing or a read that hangs)","errorType":"ShardStalled"}`}}},
		{"sqs-s3-object-removed.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-us-backups", Key: "users/00044/a+b?c#d.bin", Event: "ObjectRemoved:Delete", Time: at("2026-11-28T23:17:00Z")},
			{Bucket: "legacy-sg-backups", Key: "users/00044/a+b?c#d.bin", Event: "Object Deleted:Permanently Deleted", Time: at("2026-11-28T23:17:01Z")},
		}}},
		{"s3-lifecycle-expiration.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-sg-backups", Key: "users/00042/backup 1 été.bin", Event: "LifecycleExpiration:Delete", Time: at("2026-11-29T00:00:41Z")},
			{Bucket: "legacy-us-backups", Key: "users/00043/backup-1.bin", VersionID: "Zr9W0dtLz5.P7t7Jf5jb9f0IwB3Oeq0n", Event: "LifecycleExpiration:DeleteMarkerCreated", Time: at("2026-11-29T00:00:42Z")},
		}}},
		{"eventbridge-lifecycle-expiration.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-sg-backups", Key: "users/00042/backup 1 été.bin", Event: "Object Deleted:Permanently Deleted (Lifecycle Expiration)", Time: at("2026-11-29T00:00:43Z")},
		}}},
		{"sns-s3-object-removed.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-us-backups", Key: "users/00043/backup-1.bin", VersionID: "q9RrVzYbYQwmr_2xNlv9kmmwzA9.ZH2p", Event: "ObjectRemoved:DeleteMarkerCreated", Time: at("2026-11-29T00:00:59Z")},
		}}},
		{"sqs-sns-s3-object-removed.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-sg-backups", Key: "users/00044/a+b?c#d.bin", Event: "LifecycleExpiration:Delete", Time: at("2026-11-29T00:02:00Z")},
			{Bucket: "legacy-us-backups", Key: "users/00045/gone-before-any-run.bin", Event: "ObjectRemoved:Delete", Time: at("2026-11-29T00:02:01Z")},
		}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("..", "..", "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(payload)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Kind == KindSQSBatch {
				// Each message of a batch is decoded on its own.
				batch := Request{Kind: KindObjectsRemoved}
				for _, m := range got.Messages {
					r, err := DecodeSQSMessage(m)
					if err != nil {
						t.Fatalf("DecodeSQSMessage: %v", err)
					}
					batch.Removed = append(batch.Removed, r.Removed...)
				}
				got = batch
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// sample reads a sample event of events/.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRejectsMalformedEvents(t *testing.T) {
	for _, tc := range []struct {
		name, payload, want string
	}{
		{"empty", ``, "the event is not a JSON object; expected " + expected},
		{"an array", `[1]`, "the event is not a JSON object; expected " + expected},
		{"broken JSON", `{"action":`, "decoding the event: unexpected end of JSON input; expected " + expected},
		{"nothing recognisable", `{"hello":"world"}`, `unrecognised event (no "action", "detail-type" or "Records"); expected ` + expected},
		{"unknown action", `{"action":"delete"}`, `unknown action "delete": the verify function takes "run", "plan", "shard", "shard_failed" and "certify" (reports are the report function's)`},
		{"unknown field in a request", `{"action":"plan","run_id":"r","force":true}`, `decoding the "plan" request: json: unknown field "force"`},
		{"plan without run id", `{"action":"plan"}`, `the "plan" request has no "run_id" (a run's id, or "new" to begin one)`},
		{"plan with shard fields", `{"action":"plan","run_id":"new","pair":"p"}`, `the "plan" request takes only "run_id"`},
		{"plan of a run id that is a path", `{"action":"plan","run_id":"../../etc"}`, `the "plan" request's run_id "../../etc" is not a run id`},
		{"run with a run id", `{"action":"run","run_id":"20261128T220000Z-1a2b"}`, `the "run" request takes no other field: it resumes the run in progress or begins one`},
		{"shard of a new run", `{"action":"shard","run_id":"new","pair":"p"}`, `the "shard" request has no "run_id"`},
		{"shard with a run id with a slash", `{"action":"shard","run_id":"a/b","pair":"p"}`, `the "shard" request's run_id "a/b" is not a run id`},
		{"S3 deletion without eventTime", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			`record 0: no eventTime`},
		{"EventBridge deletion without time", `{"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`,
			`the EventBridge "Object Deleted" event has no "time"`},
		{"SQS message wrapping a malformed deletion", `{"Records":[{"eventSource":"aws:sqs","messageId":"m2","body":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}]}"}]}`,
			`SQS message m2: record 0: no bucket name or object key`},
		{"shard without run id or pair", `{"action":"shard"}`, `the "shard" request has no "run_id" or "pair"`},
		{"shard with an empty range", `{"action":"shard","run_id":"r","pair":"p","start":"b","end":"a"}`, `the "shard" request's range ["b", "a") is empty`},
		{"shard cursor outside its range", `{"action":"shard","run_id":"r","pair":"p","start":"b","end":"c","cursor":"d"}`, `the "shard" request's cursor "d" is outside its range ["b", "c")`},
		{"wrong action type", `{"action":7}`, `decoding the event: json: cannot unmarshal number into Go struct field .action of type string; expected ` + expected},
		{"other EventBridge event", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`,
			`unsupported EventBridge event: source "aws.ec2", detail-type "EC2 Instance State-change Notification"; expected ` + expected},
		{"EventBridge deletion without a key", `{"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{}}}`,
			`the EventBridge "Object Deleted" event has no bucket name or object key`},
		{"S3 ObjectCreated", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			`record 0: S3 event "ObjectCreated:Put" is not a deletion (ObjectRemoved or LifecycleExpiration); only deletions are judged`},
		{"a restored copy expiring is no deletion", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRestore:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			`record 0: S3 event "ObjectRestore:Delete" is not a deletion (ObjectRemoved or LifecycleExpiration); only deletions are judged`},
		{"a lifecycle transition is no deletion", `{"Records":[{"eventSource":"aws:s3","eventName":"LifecycleTransition","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			`record 0: S3 event "LifecycleTransition" is not a deletion (ObjectRemoved or LifecycleExpiration); only deletions are judged`},
		{"SNS subscription confirmation in SQS", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"s1\",\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:t\",\"Message\":\"You have chosen to subscribe\"}"}]}`,
			`SQS message m1: SNS message s1 of arn:aws:sns:us-east-1:123456789012:t confirms a subscription, which carries no deletion: confirm it (its SubscribeURL) or subscribe the queue from the topic's account`},
		{"SNS message holding a request", `{"Type":"Notification","MessageId":"s2","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"{\"action\":\"run\"}"}`,
			`SNS message s2 of arn:aws:sns:us-east-1:123456789012:t holds a "run" request; only S3 deletion notifications come through SNS`},
		{"SNS message of another type", `{"Type":"UnsubscribeConfirmation","MessageId":"s3","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"{}"}`,
			`SNS message s3 of arn:aws:sns:us-east-1:123456789012:t is of type "UnsubscribeConfirmation", not a Notification`},
		{"SNS to Lambda with a creation", `{"Records":[{"EventSource":"aws:sns","Sns":{"Type":"Notification","MessageId":"s4","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}]}"}}]}`,
			`record 0: SNS message s4 of arn:aws:sns:us-east-1:123456789012:t: record 0: S3 event "ObjectCreated:Put" is not a deletion (ObjectRemoved or LifecycleExpiration); only deletions are judged`},
		{"S3 key badly encoded", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"100%zz"}}}]}`,
			`decoding the S3 notification: invalid URL escape "%zz"`},
		{"empty Records", `{"Records":[]}`, "the event has an empty Records list"},
		{"DynamoDB stream", `{"Records":[{"eventSource":"aws:dynamodb"}]}`, `unsupported Records of eventSource "aws:dynamodb"; expected ` + expected},
		{"SQS message that is not a deletion", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"action\":\"run\"}"}]}`,
			`SQS message m1 holds a "run" request; only S3 deletion notifications come through SQS`},
		{"SQS message with garbage", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"hello"}]}`,
			"SQS message m1: the event is not a JSON object; expected " + expected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.payload))
			if err == nil && got.Kind == KindSQSBatch {
				// A batch's messages are decoded one by one, each failing
				// alone.
				_, err = DecodeSQSMessage(got.Messages[0])
			}
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", got)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// The sample batch holds a poison message between two deletions: the
// batch decodes, and its messages one by one, the poison failing alone.
func TestDecodeSampleBatchWithPoison(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("..", "..", "events", "sqs-batch-with-poison.json"))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := Decode(payload)
	if err != nil || batch.Kind != KindSQSBatch || len(batch.Messages) != 3 {
		t.Fatalf("Decode: %+v, %v", batch, err)
	}
	var removed []RemovedObject
	var failed []string
	for _, m := range batch.Messages {
		r, err := DecodeSQSMessage(m)
		if err != nil {
			failed = append(failed, m.MessageId+": "+err.Error())
			continue
		}
		removed = append(removed, r.Removed...)
	}
	want := []RemovedObject{
		{Bucket: "legacy-us-backups", Key: "users/00731/backup-1.bin", Event: "ObjectRemoved:Delete", Time: at("2026-11-28T23:18:00Z")},
		{Bucket: "legacy-sg-backups", Key: "users/00731/backup-2.bin", Event: "Object Deleted:Permanently Deleted", Time: at("2026-11-28T23:18:02Z")},
	}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0bad0bad-8d1b-4c1e-9a57-3b0a6d2f7e02: SQS message 0bad0bad-8d1b-4c1e-9a57-3b0a6d2f7e02: decoding the event: unexpected end of JSON input; expected " + expected}, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
}

// The same through SNS: a message whose SNS notification was cut short
// fails alone, naming the SQS and the SNS message.
func TestDecodeSampleSNSBatchWithPoison(t *testing.T) {
	batch, err := Decode(sample(t, "sqs-sns-poison.json"))
	if err != nil || batch.Kind != KindSQSBatch || len(batch.Messages) != 2 {
		t.Fatalf("Decode: %+v, %v", batch, err)
	}
	var removed []RemovedObject
	var failed []string
	for _, m := range batch.Messages {
		r, err := DecodeSQSMessage(m)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		removed = append(removed, r.Removed...)
	}
	want := []RemovedObject{{Bucket: "legacy-sg-backups", Key: "users/00044/a+b?c#d.bin", Event: "LifecycleExpiration:Delete", Time: at("2026-11-29T00:02:00Z")}}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"SQS message 0b5f3c1e-2c83-4b7a-9f0e-6a1f6f3e2a03: SNS message e3c4e17a-819b-5d95-a0e8-b306c25afda2 of arn:aws:sns:us-east-1:123456789012:legacy-deletions: " +
		"decoding the event: unexpected end of JSON input; expected " + expected}, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
}

func TestDecodeS3TestEvent(t *testing.T) {
	got, err := Decode([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-28T22:00:00.000Z","Bucket":"legacy-us-backups"}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Request{Kind: KindTest}, got); diff != "" {
		t.Error(diff)
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Every sample in events/ is decoded by a test: this function's table
// above, or the report function's.
func TestEverySampleEventIsDecodedByATest(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	want := []string{
		"certify.json", "eventbridge-lifecycle-expiration.json", "eventbridge-object-deleted.json", "plan-new-run.json", "plan.json", "report-failure.json", "report-request.json",
		"s3-lifecycle-expiration.json", "s3-object-removed.json", "s3-test-event.json", "schedule-v2-run.json", "scheduled-event.json",
		"shard-failed.json", "shard-resume.json", "shard.json", "sns-s3-object-removed.json", "sqs-batch-with-poison.json", "sqs-s3-object-removed.json",
		"sqs-sns-poison.json", "sqs-sns-s3-object-removed.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events/ (-tested +present): a new sample needs a row in TestDecodeSampleEvents (here or in functions/report)\n%s", diff)
	}
}
