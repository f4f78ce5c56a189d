package run

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/report"
)

// The notification says in its subject whether the run attests every
// pair, carries the report's locations and summary.md, and attributes a
// subscription can filter on.
func TestNotificationOf(t *testing.T) {
	w := newWorld(t)
	pubs := w.lifeCycle(Options{})
	rep, pub := pubs[1].Report, pubs[1].Published
	n := NotificationOf(rep, pub)
	want := Notification{
		Subject:    "parityproof " + rep.RunID + ": not attested, 3 exceptions (2 critical)",
		Message:    "Report: " + pub.HTMLURL + "\nreport.json: " + pub.ReportURL + "\n\n" + string(rep.Summary(pub)),
		Attributes: map[string]string{"run_id": rep.RunID, "attested": "false", "exceptions": "3", "critical": "2", "report": pub.ReportURL},
	}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("notification (-want +got):\n%s", diff)
	}
	first := NotificationOf(pubs[0].Report, pubs[0].Published)
	if want := "parityproof " + pubs[0].Report.RunID + ": not attested, 2 exceptions"; first.Subject != want {
		t.Errorf("subject %q, want %q", first.Subject, want)
	}
	attested := &report.Report{RunID: "r", Complete: true, Pairs: []report.PairReport{{Name: "p", Attested: true}}}
	if got := NotificationOf(attested, report.Published{}).Subject; got != "parityproof r: attested" {
		t.Errorf("subject of an attested run: %q", got)
	}
}

// A message too large for SNS is cut at a character boundary and points
// at the whole summary.
func TestNotificationFitsSNS(t *testing.T) {
	rep := &report.Report{RunID: "r"}
	for i := range 3000 {
		rep.Pairs = append(rep.Pairs, report.PairReport{Name: strings.Repeat("é", 40) + string(rune('a'+i%26)), Statement: strings.Repeat("ü", 60)})
	}
	n := NotificationOf(rep, report.Published{SummaryURL: "s3://b/r/summary.md"})
	if len(n.Message) > snsMaxMessage || !strings.HasSuffix(n.Message, "read it whole at s3://b/r/summary.md]\n") {
		t.Errorf("a message of %d bytes ending %q", len(n.Message), n.Message[max(0, len(n.Message)-80):])
	}
	if !utf8.ValidString(n.Message) {
		t.Error("the message was cut inside a character")
	}
}

func TestCutUTF8(t *testing.T) {
	s := strings.Repeat("aé€😀", 3)
	for n := range len(s) + 2 {
		got := cutUTF8(s, n)
		if len(got) > n || !utf8.ValidString(got) || !strings.HasPrefix(s, got) || n <= len(s) && len(got) < n-3 {
			t.Errorf("cutUTF8(%q, %d) = %q", s, n, got)
		}
	}
}

// Notify publishes to the topic; a queue subscribed to it receives the
// summary, the report's location and the attributes.
func TestNotifyThroughSNS(t *testing.T) {
	srv := motoEnv(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snsc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	sqsc := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
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
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}

	pubs := newWorld(t).lifeCycle(Options{})
	rep, pub := pubs[1].Report, pubs[1].Published
	n, err := NewSNSNotifier(ctx, aws.ToString(topic.TopicArn), SNSOptions{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	id, err := n.Notify(ctx, rep, pub)
	if err != nil {
		t.Fatal(err)
	}

	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("the queue received %d messages, want 1", len(out.Messages))
	}
	var envelope struct {
		Type, MessageId, TopicArn, Subject, Message string
		MessageAttributes                           map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &envelope); err != nil {
		t.Fatal(err)
	}
	type received struct {
		Type, MessageId, TopicArn, Subject, Message string
		Attributes                                  map[string]string
	}
	got := received{envelope.Type, envelope.MessageId, envelope.TopicArn, envelope.Subject, envelope.Message, map[string]string{}}
	for k, v := range envelope.MessageAttributes {
		got.Attributes[k] = v.Type + ":" + v.Value
	}
	note := NotificationOf(rep, pub)
	want := received{"Notification", id, aws.ToString(topic.TopicArn), note.Subject, note.Message, map[string]string{
		"run_id": "String:" + rep.RunID, "attested": "String:false", "exceptions": "Number:3", "critical": "Number:2", "report": "String:" + pub.ReportURL,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message received (-want +got):\n%s", diff)
	}
}

func TestNewSNSNotifierNeedsATopicARN(t *testing.T) {
	if _, err := NewSNSNotifier(context.Background(), "parityproof-reports", SNSOptions{}); err == nil || !strings.Contains(err.Error(), "not an SNS topic ARN") {
		t.Errorf("got %v, want an error naming the ARN", err)
	}
}
