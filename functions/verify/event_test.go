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
		{"sqs-s3-object-removed.json", Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{
			{Bucket: "legacy-us-backups", Key: "users/00044/a+b?c#d.bin", Event: "ObjectRemoved:Delete", Time: at("2026-11-28T23:17:00Z")},
			{Bucket: "legacy-sg-backups", Key: "users/00044/a+b?c#d.bin", Event: "Object Deleted:Permanently Deleted", Time: at("2026-11-28T23:17:01Z")},
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
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejectsMalformedEvents(t *testing.T) {
	for _, tc := range []struct {
		name, payload, want string
	}{
		{"empty", ``, "the event is not a JSON object; expected " + expected},
		{"an array", `[1]`, "the event is not a JSON object; expected " + expected},
		{"broken JSON", `{"action":`, "decoding the event: unexpected end of JSON input; expected " + expected},
		{"nothing recognisable", `{"hello":"world"}`, `unrecognised event (no "action", "detail-type" or "Records"); expected ` + expected},
		{"unknown action", `{"action":"delete"}`, `unknown action "delete": the verify function takes "run", "plan", "shard" and "certify" (reports are the report function's)`},
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
			`SQS message 0 (m2): record 0: no bucket name or object key`},
		{"shard without run id or pair", `{"action":"shard"}`, `the "shard" request has no "run_id" or "pair"`},
		{"shard with an empty range", `{"action":"shard","run_id":"r","pair":"p","start":"b","end":"a"}`, `the "shard" request's range ["b", "a") is empty`},
		{"shard cursor outside its range", `{"action":"shard","run_id":"r","pair":"p","start":"b","end":"c","cursor":"d"}`, `the "shard" request's cursor "d" is outside its range ["b", "c")`},
		{"wrong action type", `{"action":7}`, `decoding the event: json: cannot unmarshal number into Go struct field .action of type string; expected ` + expected},
		{"other EventBridge event", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`,
			`unsupported EventBridge event: source "aws.ec2", detail-type "EC2 Instance State-change Notification"; expected ` + expected},
		{"EventBridge deletion without a key", `{"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{}}}`,
			`the EventBridge "Object Deleted" event has no bucket name or object key`},
		{"S3 ObjectCreated", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			`record 0: S3 event "ObjectCreated:Put" is not an ObjectRemoved event; only deletions are judged`},
		{"S3 key badly encoded", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"100%zz"}}}]}`,
			`decoding the S3 notification: invalid URL escape "%zz"`},
		{"empty Records", `{"Records":[]}`, "the event has an empty Records list"},
		{"DynamoDB stream", `{"Records":[{"eventSource":"aws:dynamodb"}]}`, `unsupported Records of eventSource "aws:dynamodb"; expected ` + expected},
		{"SQS message that is not a deletion", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"action\":\"run\"}"}]}`,
			`SQS message 0 (m1) holds a "run" request; only S3 ObjectRemoved notifications come through SQS`},
		{"SQS message with garbage", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"hello"}]}`,
			"SQS message 0 (m1): the event is not a JSON object; expected " + expected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.payload))
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", got)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
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
		"certify.json", "eventbridge-object-deleted.json", "plan-new-run.json", "plan.json", "report-request.json",
		"s3-object-removed.json", "s3-test-event.json", "schedule-v2-run.json", "scheduled-event.json",
		"shard-resume.json", "shard.json", "sqs-s3-object-removed.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events/ (-tested +present): a new sample needs a row in TestDecodeSampleEvents (here or in functions/report)\n%s", diff)
	}
}
