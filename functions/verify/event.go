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
	// KindSQSBatch: a batch of SQS messages, each holding deletion events;
	// each message succeeds or fails alone (sqs.go).
	KindSQSBatch Kind = "sqs_batch"
	// KindShardFailed: the state machine's record of a shard that failed
	// (failure.go).
	KindShardFailed Kind = "shard_failed"
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
	// Messages are the SQS messages of a batch, each decoded on its own
	// (DecodeSQSMessage).
	Messages []events.SQSMessage
	// Failure is a shard_failed request's.
	Failure ShardFailure
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
	// Stalled counts the invocations in a row, up to the one before, that
	// ended with the cursor where it was: the progress guard (run.go).
	Stalled int `json:"stalled"`
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
	`{"action":"plan","run_id":…}, {"action":"shard","run_id":…,"pair":…,"start":…,"end":…,"cursor":…,"stalled":…}, ` +
	`{"action":"shard_failed","run_id":…,"pair":…,"start":…,"end":…,"error":…,"cause":…}, ` +
	`or S3 deletion notifications (ObjectRemoved or LifecycleExpiration: direct, through EventBridge "Object Deleted", SNS, SQS, or SNS then SQS)`

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
		// An SNS message as SNS delivers it to an SQS queue (without raw
		// message delivery).
		Type     string `json:"Type"`
		TopicArn string `json:"TopicArn"`
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
	case probe.Type != "" && probe.TopicArn != "":
		return decodeSNSEnvelope(payload)
	}
	return Request{}, fmt.Errorf("unrecognised event (no \"action\", \"detail-type\" or \"Records\"); expected %s", expected)
}

func decodeAction(payload []byte, action string) (Request, error) {
	switch action {
	case string(KindShardFailed):
		return decodeShardFailed(payload)
	case string(KindCertify):
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
		if t.Stalled < 0 {
			return Request{}, fmt.Errorf("the \"shard\" request's stalled count %d is negative", t.Stalled)
		}
		return Request{Kind: KindShard, RunID: t.RunID, Shard: t}, nil
	}
	return Request{}, fmt.Errorf(`unknown action %q: the verify function takes "run", "plan", "shard", "shard_failed" and "certify" (reports are the report function's)`, action)
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
	// Reason is "DeleteObject" or "Lifecycle Expiration".
	Reason string `json:"reason"`
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
		// EventBridge gives S3 keys as they are, not URL-encoded. A deletion
		// by a lifecycle rule says so after its type.
		name := "Object Deleted:" + d.DeletionType
		if d.Reason != "" && d.Reason != "DeleteObject" {
			name += " (" + d.Reason + ")"
		}
		return Request{Kind: KindObjectsRemoved, Removed: []RemovedObject{{
			Bucket: d.Bucket.Name, Key: d.Object.Key, VersionID: d.Object.VersionID, Event: name, Time: ev.Time.UTC(),
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
		return Request{Kind: KindSQSBatch, Messages: ev.Records}, nil
	case "aws:sns":
		var ev events.SNSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Request{}, fmt.Errorf("decoding the SNS event: %w", err)
		}
		return fromSNSEvent(ev)
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
		if !isDeletion(r.EventName) {
			return Request{}, fmt.Errorf("record %d: S3 event %q is not a deletion (ObjectRemoved or LifecycleExpiration); only deletions are judged", i, r.EventName)
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

// DecodeSQSMessage unwraps the S3 notification or EventBridge event an SQS
// message holds: an objects_removed request, or a test event.
func DecodeSQSMessage(m events.SQSMessage) (Request, error) {
	inner, err := Decode([]byte(m.Body))
	if err != nil {
		return Request{}, fmt.Errorf("SQS message %s: %w", m.MessageId, err)
	}
	switch inner.Kind {
	case KindObjectsRemoved, KindTest:
		return inner, nil
	}
	return Request{}, fmt.Errorf("SQS message %s holds a %q request; only S3 deletion notifications come through SQS", m.MessageId, inner.Kind)
}

// isDeletion reports whether an S3 notification's event name is a deletion:
// a request's (ObjectRemoved:Delete, ObjectRemoved:DeleteMarkerCreated) or
// a lifecycle rule's (LifecycleExpiration:Delete,
// LifecycleExpiration:DeleteMarkerCreated), with or without the "s3:"
// prefix of the notification configuration's names. ObjectRestore:Delete,
// the expiry of a restored copy, is not one: the object stays.
func isDeletion(name string) bool {
	name = strings.TrimPrefix(name, "s3:")
	return strings.HasPrefix(name, "ObjectRemoved:") || strings.HasPrefix(name, "LifecycleExpiration:")
}

// snsEnvelope is an SNS message as SNS delivers it to an SQS queue (unless
// raw message delivery is on) or as its Records hold it: the S3
// notification is its Message, a JSON string.
type snsEnvelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Message   string `json:"Message"`
}

// decodeSNSEnvelope unwraps the S3 notification an SNS message carries.
func decodeSNSEnvelope(payload []byte) (Request, error) {
	var env snsEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return Request{}, fmt.Errorf("decoding the SNS message: %w", err)
	}
	return fromSNSMessage(env.Type, env.MessageID, env.TopicArn, env.Message)
}

// fromSNSEvent unwraps the S3 notifications of SNS messages delivered to
// the function by an SNS subscription.
func fromSNSEvent(ev events.SNSEvent) (Request, error) {
	req := Request{Kind: KindObjectsRemoved}
	for i, r := range ev.Records {
		if r.EventSource != "aws:sns" {
			return Request{}, fmt.Errorf("record %d: eventSource %q in an SNS event", i, r.EventSource)
		}
		inner, err := fromSNSMessage(r.SNS.Type, r.SNS.MessageID, r.SNS.TopicArn, r.SNS.Message)
		if err != nil {
			return Request{}, fmt.Errorf("record %d: %w", i, err)
		}
		req.Removed = append(req.Removed, inner.Removed...)
	}
	if len(req.Removed) == 0 {
		return Request{Kind: KindTest}, nil
	}
	return req, nil
}

// fromSNSMessage decodes the S3 notification an SNS message of topic
// carries: deletions, or S3's test event.
func fromSNSMessage(typ, id, topic, message string) (Request, error) {
	switch typ {
	case "Notification":
	case "SubscriptionConfirmation":
		return Request{}, fmt.Errorf("SNS message %s of %s confirms a subscription, which carries no deletion: confirm it (its SubscribeURL) or subscribe the queue from the topic's account", id, topic)
	default:
		return Request{}, fmt.Errorf("SNS message %s of %s is of type %q, not a Notification", id, topic, typ)
	}
	inner, err := Decode([]byte(message))
	if err != nil {
		return Request{}, fmt.Errorf("SNS message %s of %s: %w", id, topic, err)
	}
	switch inner.Kind {
	case KindObjectsRemoved, KindTest:
		return inner, nil
	}
	return Request{}, fmt.Errorf("SNS message %s of %s holds a %q request; only S3 deletion notifications come through SNS", id, topic, inner.Kind)
}
