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

// sqsBatch re-judges the deletions of a batch. A message that cannot be
// decoded, or holds something other than deletions, fails alone. The
// others are re-judged together — a key named by several messages is
// judged once, with all their events, as one message holding them would
// be; should that fail, they are re-judged a message at a time, so that
// only the messages whose keys fail return to the queue.
func (inv *invocation) sqsBatch(ctx context.Context, msgs []events.SQSMessage) (*BatchAnswer, error) {
	ans := &BatchAnswer{Rejudged: []run.RejudgedKey{}, Ignored: []run.IgnoredObject{}, BatchItemFailures: []events.SQSBatchItemFailure{}}
	fail := func(m events.SQSMessage, what string, err error) {
		inv.log.Error(what+"; the message returns to the queue, and goes to its dead-letter queue after maxReceiveCount receives",
			"message_id", m.MessageId, "err", err)
		ans.BatchItemFailures = append(ans.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	type good struct {
		msg     events.SQSMessage
		removed []run.RemovedObject
	}
	var goods []good
	var all []run.RemovedObject
	for _, m := range msgs {
		req, err := DecodeSQSMessage(m)
		if err != nil {
			fail(m, "an SQS message cannot be decoded", err)
			continue
		}
		if req.Kind == KindTest {
			inv.log.Info("ignored S3's test event", "message_id", m.MessageId)
			continue
		}
		goods = append(goods, good{m, req.Removed})
		all = append(all, req.Removed...)
	}
	add := func(out *run.RejudgeAnswer) {
		ans.Rejudged = append(ans.Rejudged, out.Rejudged...)
		ans.Ignored = append(ans.Ignored, out.Ignored...)
	}
	if len(all) > 0 {
		out, err := inv.runner.Rejudge(ctx, all)
		if err == nil {
			add(out)
		} else {
			inv.log.Warn("the batch's deletions could not be re-judged together; re-judging them a message at a time", "err", err)
			for _, g := range goods {
				out, err := inv.runner.Rejudge(ctx, g.removed)
				if err != nil {
					fail(g.msg, "the deletions of an SQS message could not be re-judged", err)
					continue
				}
				add(out)
			}
		}
	}
	inv.log.Info("SQS batch handled", "messages", len(msgs), "failed", len(ans.BatchItemFailures), "rejudged", len(ans.Rejudged))
	return ans, nil
}
