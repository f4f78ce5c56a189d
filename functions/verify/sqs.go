package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parityproof/parityproof/internal/run"
)

// BatchAnswer answers a batch of SQS messages. Lambda's SQS event source
// (with ReportBatchItemFailures) reads BatchItemFailures: the messages
// listed there return to the queue, to be received again and, after the
// queue's maxReceiveCount, moved to its dead-letter queue; the others are
// deleted. One message that cannot be decoded or re-judged fails alone.
type BatchAnswer struct {
	Rejudged          []run.RejudgedKey            `json:"rejudged"`
	Ignored           []run.IgnoredObject          `json:"ignored"`
	BatchItemFailures []events.SQSBatchItemFailure `json:"batchItemFailures"`
}

// sqsBatch re-judges the deletions of each message of a batch on its own.
func (inv *invocation) sqsBatch(ctx context.Context, msgs []events.SQSMessage) (*BatchAnswer, error) {
	ans := &BatchAnswer{Rejudged: []run.RejudgedKey{}, Ignored: []run.IgnoredObject{}, BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range msgs {
		log := inv.log.With("message_id", m.MessageId)
		req, err := DecodeSQSMessage(m)
		if err != nil {
			log.Error("an SQS message cannot be decoded; it returns to the queue, and goes to its dead-letter queue after maxReceiveCount receives", "err", err)
			ans.BatchItemFailures = append(ans.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if req.Kind == KindTest {
			log.Info("ignored S3's test event")
			continue
		}
		out, err := inv.runner.Rejudge(ctx, req.Removed)
		if err != nil {
			log.Error("the deletions of an SQS message could not be re-judged; it returns to the queue", "err", err)
			ans.BatchItemFailures = append(ans.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		ans.Rejudged = append(ans.Rejudged, out.Rejudged...)
		ans.Ignored = append(ans.Ignored, out.Ignored...)
	}
	inv.log.Info("SQS batch handled", "messages", len(msgs), "failed", len(ans.BatchItemFailures), "rejudged", len(ans.Rejudged))
	return ans, nil
}
