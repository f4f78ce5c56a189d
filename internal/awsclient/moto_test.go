package awsclient_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
)

// The calls the orchestration makes, against moto: who the caller is
// (STS, no region anywhere: the global endpoint's), and a report summary
// published to a topic (SNS, in the topic's region).
func TestIdentityAndNotificationAgainstMoto(t *testing.T) {
	isolate(t)
	srv := motoserver.Start(t, motoserver.Options{})
	ctx := context.Background()

	stsClient, err := awsclient.STS(ctx, awsclient.Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	who, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}

	setup, err := awsclient.SNS(ctx, awsclient.Options{Region: "eu-west-1", Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := setup.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("parityproof-reports")})
	if err != nil {
		t.Fatal(err)
	}
	region, err := awsclient.TopicRegion(aws.ToString(topic.TopicArn))
	if err != nil {
		t.Fatal(err)
	}
	snsClient, err := awsclient.SNS(ctx, awsclient.Options{Region: region, Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out, err := snsClient.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("parityproof"), Message: aws.String("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"123456789012", "eu-west-1", true},
		[]any{aws.ToString(who.Account), region, aws.ToString(out.MessageId) != ""}); diff != "" {
		t.Errorf("account, topic region, published (-want +got):\n%s", diff)
	}
}
