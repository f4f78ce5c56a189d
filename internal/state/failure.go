package state

import (
	"context"
	"time"
)

// Failure is why a shard's last attempt failed, as the state machine's
// Catch tells it (Step Functions' error name and cause) — a Lambda error,
// a timeout, a shard whose cursor stopped moving — so that the report of
// a run with failed shards can say why each was not verified.
type Failure struct {
	Pair  string       `json:"pair"`
	Shard PlannedShard `json:"shard"`
	// Error is the error's name (ShardStalled, States.Timeout,
	// Lambda.Unknown…); Cause says more, as Step Functions gives it.
	Error string    `json:"error"`
	Cause string    `json:"cause"`
	At    time.Time `json:"at"`
}

// WriteFailure records a shard's failure at FailureName, replacing an
// earlier one: the last attempt's is what the report names.
func (s *State) WriteFailure(ctx context.Context, runID string, f Failure) error {
	return s.putJSON(ctx, FailureName(runID, f.Pair, f.Shard.ID), f)
}

// ReadFailure returns the failure recorded for a shard, nil if none is.
func (s *State) ReadFailure(ctx context.Context, runID, pair, shard string) (*Failure, error) {
	var f Failure
	ok, err := s.getJSON(ctx, FailureName(runID, pair, shard), &f)
	if err != nil || !ok {
		return nil, err
	}
	return &f, nil
}
