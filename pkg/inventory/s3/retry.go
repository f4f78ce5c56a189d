package s3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// The AWS SDK retries throttling, 5xx answers and broken connections, but
// not a 200 answer whose body is cut short or is not well-formed XML: it
// returns that as a deserialization error at once. For a listing — a read
// that can be repeated — such an answer is a transient fault of the
// network or of a proxy, and a nightly run should not fail on one, so the
// store asks for the page again, a few times, before it gives up.

// pageAttempts is how many times a listing page is asked for when its
// answer cannot be read.
const pageAttempts = 5

// pageBackoff is the wait before the second attempt; it doubles after.
var pageBackoff = 200 * time.Millisecond

// unreadableAnswer reports whether err is an answer the SDK received but
// could not read: a truncated or malformed body.
func unreadableAnswer(err error) bool {
	var de *smithy.DeserializationError
	if errors.As(err, &de) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// A 200 answer that is an error: its body could not be read (the
	// SDK's check of 200 answers for an S3 error document fails so).
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusOK
}

// fetchPage asks p for a page, again when its answer could not be read.
func (s *Store) fetchPage(ctx context.Context, p pager, prefix string, pos position) ([]entry, position, bool, error) {
	wait := pageBackoff
	for attempt := 1; ; attempt++ {
		entries, next, done, err := p.fetch(ctx, prefix, pos)
		if err == nil || !unreadableAnswer(err) || attempt == pageAttempts || ctx.Err() != nil {
			return entries, next, done, err
		}
		s.log.Warn("a listing page could not be read; asking for it again", "store", s.cfg.Name, "prefix", prefix, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, position{}, false, ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}

// again calls read, and again when its answer could not be read, as
// fetchPage does: for the store's other reads of XML answers (the
// bucket's versioning, its common prefixes).
func again[T any](ctx context.Context, s *Store, what string, read func() (T, error)) (T, error) {
	wait := pageBackoff
	for attempt := 1; ; attempt++ {
		v, err := read()
		if err == nil || !unreadableAnswer(err) || attempt == pageAttempts || ctx.Err() != nil {
			return v, err
		}
		s.log.Warn("an answer could not be read; asking again", "store", s.cfg.Name, "what", what, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}
