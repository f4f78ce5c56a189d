package main

import (
	"github.com/parityproof/parityproof/internal/run"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Kind says what an invocation asks of the verify function.
type Kind string

// The kinds of request the verify function serves (DESIGN.md, Lambda
// functions).
const (
	// KindRun: a whole run, inline until the deadline (an EventBridge
	// scheduled event, or a ScheduleV2 input {"action": "run"}).
	KindRun Kind = "run"
	// KindPlan: the shard list of a run, for the Distributed Map.
	KindPlan Kind = "plan"
	// KindShard: one shard of a run, resumed from its cursor.
	KindShard Kind = "shard"
	// KindObjectsRemoved: S3 ObjectRemoved notifications, to re-judge those
	// keys at once.
	KindObjectsRemoved Kind = "objects_removed"
	// KindTest: S3's s3:TestEvent, sent when notifications are configured;
	// there is nothing to do.
	KindTest Kind = "test"
	// KindCertify: a deletion certificate for a data subject (certify.go).
	KindCertify Kind = "certify"
)

// Request is a decoded invocation: plain values for the run package.
type Request struct {
	Kind  Kind
	RunID string
	Shard ShardTask
	// Removed lists the objects of ObjectRemoved notifications, in the
	// order they came.
	Removed []RemovedObject
	// Certify is a certify request's subject.
	Certify CertifyRequest
}

// ShardTask is a Distributed Map item: one shard of one pair.
type ShardTask struct {
	Action string `json:"action"`
	RunID  string `json:"run_id"`
	Pair   string `json:"pair"`
	Start  string `json:"start"`
	End    string `json:"end"`
	// Cursor is the last key judged by an earlier invocation, "" at first.
	Cursor string `json:"cursor"`
}

// RemovedObject is one object an S3 ObjectRemoved notification names: its
// bucket, decoded key, version, the S3 event name ("ObjectRemoved:Delete",
// "ObjectRemoved:DeleteMarkerCreated", or EventBridge's deletion type) and
// when S3 saw the deletion.
type RemovedObject = run.RemovedObject

// NewRun is the run id of a plan request that begins a run (or joins the
// run in progress); the answer names the run's real id.
const NewRun = "new"

// runIDRE is what run ids look like (run.NewRunID's, or "new"): one safe
// path segment.
var runIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// expected names what the function accepts, for errors.
const expected = `an EventBridge "Scheduled Event", a ScheduleV2 input {"action":"run"}, ` +
	`{"action":"plan","run_id":…}, {"action":"shard","run_id":…,"pair":…,"start":…,"end":…,"cursor":…}, ` +
	`or S3 ObjectRemoved notifications (direct, through EventBridge "Object Deleted", or in SQS messages)`

// Decode classifies and decodes an invocation's payload. Anything it does
// not recognise is an error naming what was expected; nothing is done for
// it.
func Decode(payload []byte) (Request, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || payload[0] != '{' {
		return Request{}, fmt.Errorf("the event is not a JSON object; expected %s", expected)
	}
	var probe struct {
		Action     *string           `json:"action"`
		DetailType *string           `json:"detail-type"`
		Records    []json.RawMessage `json:"Records"`
		Event      string            `json:"Event"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Request{}, fmt.Errorf("decoding the event: %w; expected %s", err, expected)
	}
	switch {
	case probe.Action != nil:
		return decodeAction(payload, *probe.Action)
	case probe.DetailType != nil:
		return decodeEventBridge(payload)
	case probe.Records != nil:
		return decodeRecords(payload)
	case probe.Event == "s3:TestEvent":
		return Request{Kind: KindTest}, nil
	}
	return Request{}, fmt.Errorf("unrecognised event (no \"action\", \"detail-type\" or \"Records\"); expected %s", expected)
}

func decodeAction(payload []byte, action string) (Request, error) {
	if action == string(KindCertify) {
		return decodeCertify(payload)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var t ShardTask
	if err := dec.Decode(&t); err != nil {
		return Request{}, fmt.Errorf("decoding the %q request: %w", action, err)
	}
	if t.RunID != "" && !runIDRE.MatchString(t.RunID) {
		return Request{}, fmt.Errorf("the %q request's run_id %q is not a run id", action, t.RunID)
	}
	switch action {
	case "run":
		if t != (ShardTask{Action: action}) {
			return Request{}, errors.New(`the "run" request takes no other field: it resumes the run in progress or begins one`)
		}
		return Request{Kind: KindRun}, nil
	case "plan":
		if t.RunID == "" {
			return Request{}, fmt.Errorf(`the "plan" request has no "run_id" (a run's id, or %q to begin one)`, NewRun)
		}
		if t != (ShardTask{Action: action, RunID: t.RunID}) {
			return Request{}, errors.New(`the "plan" request takes only "run_id"`)
		}
		return Request{Kind: KindPlan, RunID: t.RunID}, nil
	case "shard":
		var missing []string
		if t.RunID == "" || t.RunID == NewRun {
			missing = append(missing, `"run_id"`)
		}
		if t.Pair == "" {
			missing = append(missing, `"pair"`)
		}
		if len(missing) > 0 {
			return Request{}, fmt.Errorf("the \"shard\" request has no %s", strings.Join(missing, " or "))
		}
		if t.End != "" && t.Start >= t.End {
			return Request{}, fmt.Errorf("the \"shard\" request's range [%q, %q) is empty", t.Start, t.End)
		}
		if t.Cursor != "" && (t.Cursor < t.Start || t.End != "" && t.Cursor >= t.End) {
			return Request{}, fmt.Errorf("the \"shard\" request's cursor %q is outside its range [%q, %q)", t.Cursor, t.Start, t.End)
		}
		return Request{Kind: KindShard, RunID: t.RunID, Shard: t}, nil
	}
	return Request{}, fmt.Errorf(`unknown action %q: the verify function takes "run", "plan", "shard" and "certify" (reports are the report function's)`, action)
}

// s3DeletedDetail is the detail of an EventBridge "Object Deleted" event.
type s3DeletedDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		VersionID string `json:"version-id"`
	} `json:"object"`
	DeletionType string `json:"deletion-type"`
}

func decodeEventBridge(payload []byte) (Request, error) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Request{}, fmt.Errorf("decoding the EventBridge event: %w", err)
	}
	switch {
	case ev.Source == "aws.events" && ev.DetailType == "Scheduled Event":
		return Request{Kind: KindRun}, nil
	case ev.Source == "aws.s3" && ev.DetailType == "Object Deleted":
		var d s3DeletedDetail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return Request{}, fmt.Errorf("decoding the detail of an EventBridge \"Object Deleted\" event: %w", err)
		}
		if d.Bucket.Name == "" || d.Object.Key == "" {
			return Request{}, errors.New(`the EventBridge "Object Deleted" event has no bucket name or object key`)
		}
		if ev.Time.IsZero() {
			return Request{}, errors.New(`the EventBridge "Object Deleted" event has no "time"`)
		}
		// EventBridge gives S3 keys as they are, not URL-encoded.
		return Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{{
			Bucket: d.Bucket.Name, Key: d.Object.Key, VersionID: d.Object.VersionID, Event: "Object Deleted:" + d.DeletionType, Time: ev.Time.UTC(),
		}}}, nil
	}
	return Request{}, fmt.Errorf("unsupported EventBridge event: source %q, detail-type %q; expected %s", ev.Source, ev.DetailType, expected)
}

func decodeRecords(payload []byte) (Request, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Request{}, fmt.Errorf("decoding the event's Records: %w", err)
	}
	if len(probe.Records) == 0 {
		return Request{}, errors.New("the event has an empty Records list")
	}
	switch src := probe.Records[0].EventSource; src {
	case "aws:s3":
		var ev events.S3Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Request{}, fmt.Errorf("decoding the S3 notification: %w", err)
		}
		return fromS3Event(ev)
	case "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Request{}, fmt.Errorf("decoding the SQS event: %w", err)
		}
		return fromSQSEvent(ev)
	default:
		return Request{}, fmt.Errorf("unsupported Records of eventSource %q; expected %s", src, expected)
	}
}

func fromS3Event(ev events.S3Event) (Request, error) {
	req := Request{Kind: KindObjectsRemoved}
	for i, r := range ev.Records {
		if r.EventSource != "aws:s3" {
			return Request{}, fmt.Errorf("record %d: eventSource %q in an S3 notification", i, r.EventSource)
		}
		if !strings.HasPrefix(r.EventName, "ObjectRemoved:") {
			return Request{}, fmt.Errorf("record %d: S3 event %q is not an ObjectRemoved event; only deletions are judged", i, r.EventName)
		}
		// S3 notifications URL-encode keys, with '+' for spaces; the events
		// package decodes them (and rejects bad escapes) into URLDecodedKey.
		key := r.S3.Object.URLDecodedKey
		if r.S3.Bucket.Name == "" || key == "" {
			return Request{}, fmt.Errorf("record %d: no bucket name or object key", i)
		}
		if r.EventTime.IsZero() {
			return Request{}, fmt.Errorf("record %d: no eventTime", i)
		}
		req.Removed = append(req.Removed, RemovedObject{Bucket: r.S3.Bucket.Name, Key: key, VersionID: r.S3.Object.VersionID, Event: r.EventName, Time: r.EventTime.UTC()})
	}
	return req, nil
}

// fromSQSEvent unwraps S3 notifications or EventBridge events delivered
// through SQS, each message body being one of them.
func fromSQSEvent(ev events.SQSEvent) (Request, error) {
	req := Request{Kind: KindObjectsRemoved}
	for i, m := range ev.Records {
		inner, err := Decode([]byte(m.Body))
		if err != nil {
			return Request{}, fmt.Errorf("SQS message %d (%s): %w", i, m.MessageId, err)
		}
		switch inner.Kind {
		case KindObjectsRemoved:
			req.Removed = append(req.Removed, inner.Removed...)
		case KindTest:
		default:
			return Request{}, fmt.Errorf("SQS message %d (%s) holds a %q request; only S3 ObjectRemoved notifications come through SQS", i, m.MessageId, inner.Kind)
		}
	}
	if len(req.Removed) == 0 {
		return Request{Kind: KindTest}, nil
	}
	return req, nil
}
