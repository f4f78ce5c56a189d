package run

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/report"
)

// SNSPublisher is the one SNS call an SNSNotifier makes; *sns.Client has it.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSNotifier announces published reports on an SNS topic: the summary, and
// where the report is.
type SNSNotifier struct {
	client SNSPublisher
	topic  string
}

// NewNotifier returns an SNSNotifier publishing to the topic topicARN through
// client.
func NewNotifier(client SNSPublisher, topicARN string) *SNSNotifier {
	return &SNSNotifier{client: client, topic: topicARN}
}

// SNSOptions say how to reach SNS.
type SNSOptions struct {
	// Region defaults to the topic ARN's.
	Region string
	// Endpoint replaces SNS's endpoint (a local emulator).
	Endpoint string
	// HTTPClient, if set, carries the requests (set through the service's
	// options, so that AWS_CA_BUNDLE keeps working otherwise).
	HTTPClient aws.HTTPClient
}

// NewSNSNotifier returns an SNSNotifier for the topic topicARN with a client
// whose credentials come from the default AWS chain.
func NewSNSNotifier(ctx context.Context, topicARN string, o SNSOptions) (*SNSNotifier, error) {
	region := o.Region
	if region == "" {
		var err error
		if region, err = awsclient.TopicRegion(topicARN); err != nil {
			return nil, err
		}
	}
	client, err := awsclient.SNS(ctx, awsclient.Options{Region: region, Endpoint: o.Endpoint, HTTPClient: o.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("SNS topic %s: %w", topicARN, err)
	}
	return NewNotifier(client, topicARN), nil
}

// snsMaxMessage is SNS's limit on a message's size, with room left for
// its attributes.
const snsMaxMessage = 250 << 10

// Notification is the message an SNSNotifier publishes for a report.
type Notification struct {
	Subject    string
	Message    string
	Attributes map[string]string
}

// NotificationOf returns what announces r, published at pub: a subject
// line with the verdict of the run, the report's locations and summary.md,
// and attributes a subscription can filter on (run_id, attested,
// exceptions, critical, report).
func NotificationOf(r *report.Report, pub report.Published) Notification {
	subject := fmt.Sprintf("parityproof %s: ", r.RunID)
	switch {
	case !r.Complete:
		subject += fmt.Sprintf("not verified, %d shards failed", len(r.UnverifiedShards))
	case len(r.Pairs) > 0 && r.AttestedPairs() == len(r.Pairs):
		subject += "attested"
	default:
		subject += fmt.Sprintf("not attested, %d exceptions", r.ExceptionCount())
		if c := r.Critical(); c > 0 {
			subject += fmt.Sprintf(" (%d critical)", c)
		}
	}
	msg := fmt.Sprintf("Report: %s\nreport.json: %s\n\n%s%s", pub.HTMLURL, pub.ReportURL, failures(r), r.Summary(pub))
	if len(msg) > snsMaxMessage {
		msg = cutUTF8(msg, snsMaxMessage-1024) + "\n\n[the summary is cut short here: read it whole at " + pub.SummaryURL + "]\n"
	}
	attested := len(r.Pairs) > 0 && r.AttestedPairs() == len(r.Pairs)
	return Notification{
		Subject: subject[:min(len(subject), 100)],
		Message: msg,
		Attributes: map[string]string{
			"run_id":     r.RunID,
			"attested":   strconv.FormatBool(attested),
			"exceptions": strconv.FormatInt(r.ExceptionCount(), 10),
			"critical":   strconv.FormatInt(r.Critical(), 10),
			"report":     pub.ReportURL,
		},
	}
}

// shardsNamed bounds the failed shards a notification names; report.json
// names them all.
const shardsNamed = 50

// failures says why a run is not complete: what stopped it, and each
// shard not verified with its error. "" for a complete run.
func failures(r *report.Report) string {
	if r.Complete {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s is not complete: %d shards were not verified, and the keys in them are not counted in this report.\n", r.RunID, len(r.UnverifiedShards))
	if f := r.Failure; f != nil {
		fmt.Fprintf(&b, "The run stopped at %s: %s: %s\n", f.State, f.Error, f.Cause)
	}
	for i, u := range r.UnverifiedShards {
		if i == shardsNamed {
			fmt.Fprintf(&b, "- and %d more (report.json's unverified_shards)\n", len(r.UnverifiedShards)-shardsNamed)
			break
		}
		why := "no failure recorded"
		if u.Error != "" {
			why = u.Error + ": " + u.Cause
		}
		fmt.Fprintf(&b, "- pair %s, shard %s [%q, %q): %s\n", u.Pair, u.Shard, u.Start, u.End, why)
	}
	b.WriteString("The run stays in progress: the next execution of the state machine resumes it, from each shard's checkpoint.\n\n")
	return b.String()
}

// cutUTF8 returns the longest prefix of s of at most n bytes that ends
// between two characters.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Notify publishes r's notification and returns SNS's message id.
func (n *SNSNotifier) Notify(ctx context.Context, r *report.Report, pub report.Published) (string, error) {
	note := NotificationOf(r, pub)
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range note.Attributes {
		dt := "String"
		if k == "exceptions" || k == "critical" {
			dt = "Number"
		}
		attrs[k] = types.MessageAttributeValue{DataType: aws.String(dt), StringValue: aws.String(v)}
	}
	out, err := n.client.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(n.topic),
		Subject:           aws.String(note.Subject),
		Message:           aws.String(note.Message),
		MessageAttributes: attrs,
	})
	if err != nil {
		return "", fmt.Errorf("announcing the report of run %s on %s: %w", r.RunID, n.topic, err)
	}
	return aws.ToString(out.MessageId), nil
}
