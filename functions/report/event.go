package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parityproof/parityproof/internal/report"
)

// Request is a decoded invocation of the report function.
type Request struct {
	// RunID is the run to report on; "" means the newest complete run.
	RunID string
	// Failure is what stopped the run, when the state machine caught it
	// (its Catch on the Distributed Map): the report is published of the
	// shards done, naming the others.
	Failure *report.RunFailure
}

const expected = `{"run_id": "…"}, {"run_id": "…", "failure": {"state": "…", "error": "…", "cause": "…"}} or an EventBridge "Scheduled Event" (the newest run)`

// Decode decodes an invocation: a report request or a scheduled event.
// Anything else is an error naming what was expected.
func Decode(payload []byte) (Request, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || payload[0] != '{' {
		return Request{}, fmt.Errorf("the event is not a JSON object; expected %s", expected)
	}
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Request{}, fmt.Errorf("decoding the event: %w; expected %s", err, expected)
	}
	if probe.DetailType != nil {
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Request{}, fmt.Errorf("decoding the EventBridge event: %w", err)
		}
		if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" {
			return Request{}, fmt.Errorf("unsupported EventBridge event: source %q, detail-type %q; expected %s", ev.Source, ev.DetailType, expected)
		}
		return Request{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var req struct {
		RunID   *string            `json:"run_id"`
		Failure *report.RunFailure `json:"failure"`
	}
	if err := dec.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("decoding the report request: %w; expected %s", err, expected)
	}
	if req.RunID == nil || *req.RunID == "" {
		return Request{}, fmt.Errorf("the report request has no \"run_id\"; expected %s", expected)
	}
	if !runIDRE.MatchString(*req.RunID) {
		return Request{}, fmt.Errorf("the report request's run_id %q is not a run id", *req.RunID)
	}
	if f := req.Failure; f != nil && f.Error == "" {
		return Request{}, fmt.Errorf("the report request's failure names no error; expected %s", expected)
	}
	return Request{RunID: *req.RunID, Failure: req.Failure}, nil
}

// runIDRE is what run ids look like (run.NewRunID's): one safe path
// segment.
var runIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
