package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// ShardFailure is what the state machine's Catch of a shard sends: the
// shard, and the error Step Functions caught (its name and cause) —
//
//	{"action":"shard_failed","run_id","pair","start","end","error","cause"}
//
// — recorded so that the run's report names why the shard was not
// verified.
type ShardFailure struct {
	Action string `json:"action"`
	RunID  string `json:"run_id"`
	Pair   string `json:"pair"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

// maxCause bounds the cause recorded: Step Functions' can be 32 KiB.
const maxCause = 4096

func decodeShardFailed(payload []byte) (Request, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var f ShardFailure
	if err := dec.Decode(&f); err != nil {
		return Request{}, fmt.Errorf("decoding the %q request: %w", KindShardFailed, err)
	}
	var missing []string
	if f.RunID == "" || f.RunID == NewRun || !runIDRE.MatchString(f.RunID) {
		missing = append(missing, `"run_id"`)
	}
	if f.Pair == "" {
		missing = append(missing, `"pair"`)
	}
	if f.Error == "" {
		missing = append(missing, `"error"`)
	}
	if len(missing) > 0 {
		return Request{}, fmt.Errorf("the %q request has no %s", KindShardFailed, strings.Join(missing, ", "))
	}
	if len(f.Cause) > maxCause {
		cut := maxCause
		for cut > 0 && !utf8.RuneStart(f.Cause[cut]) {
			cut--
		}
		f.Cause = f.Cause[:cut] + "…"
	}
	return Request{Kind: KindShardFailed, RunID: f.RunID, Failure: f}, nil
}

// FailureAnswer says where a shard's failure is recorded.
type FailureAnswer struct {
	RunID  string `json:"run_id"`
	Pair   string `json:"pair"`
	Shard  string `json:"shard"`
	Record string `json:"record"`
}

// shardFailed records the failure of a shard of a run at the state
// location (state.FailureName).
func (inv *invocation) shardFailed(ctx context.Context, f ShardFailure) (*FailureAnswer, error) {
	rec, err := inv.runner.State().ReadRecord(ctx, f.RunID)
	if err != nil {
		return nil, err
	}
	id, err := rec.ShardByRange(f.Pair, inventory.KeyRange{Start: f.Start, End: f.End})
	if err != nil {
		return nil, err
	}
	sh, err := rec.Shard(f.Pair, id)
	if err != nil {
		return nil, err
	}
	err = inv.runner.State().WriteFailure(ctx, f.RunID, state.Failure{Pair: f.Pair, Shard: sh, Error: f.Error, Cause: f.Cause, At: inv.h.now().UTC()})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("recording the failure of shard %s of pair %s", id, f.Pair), err)
	}
	inv.log.Warn("a shard failed", "run_id", f.RunID, "pair", f.Pair, "shard", id, "start", f.Start, "end", f.End, "error", f.Error, "cause", f.Cause)
	return &FailureAnswer{RunID: f.RunID, Pair: f.Pair, Shard: id, Record: inv.runner.State().URL(state.FailureName(f.RunID, f.Pair, id))}, nil
}
