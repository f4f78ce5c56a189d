package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/report"
)

func TestDecodeSampleEvents(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Request
	}{
		{"report-request.json", Request{RunID: "20261128T220000Z-1a2b"}},
		{"scheduled-event.json", Request{}},
		{"report-failure.json", Request{RunID: "20261128T220000Z-1a2b", Failure: &report.RunFailure{State: "Shards",
			Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded"}}},
	} {
		payload, err := os.ReadFile(filepath.Join("..", "..", "events", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(payload)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
}

func TestDecodeRejectsMalformedEvents(t *testing.T) {
	for _, tc := range []struct{ name, payload, want string }{
		{"not an object", `"run"`, "the event is not a JSON object; expected " + expected},
		{"no run id", `{}`, `the report request has no "run_id"; expected ` + expected},
		{"empty run id", `{"run_id":""}`, `the report request has no "run_id"; expected ` + expected},
		{"unknown field", `{"run_id":"r","format":"pdf"}`, `decoding the report request: json: unknown field "format"; expected ` + expected},
		{"a verify request", `{"action":"run"}`, `decoding the report request: json: unknown field "action"; expected ` + expected},
		{"a failure naming no error", `{"run_id":"r","failure":{"state":"Shards"}}`, `the report request's failure names no error; expected ` + expected},
		{"a failure with more", `{"run_id":"r","failure":{"error":"e","shard":"0001"}}`, `decoding the report request: json: unknown field "shard"; expected ` + expected},
		{"other EventBridge event", `{"detail-type":"Object Deleted","source":"aws.s3","detail":{}}`,
			`unsupported EventBridge event: source "aws.s3", detail-type "Object Deleted"; expected ` + expected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.payload))
			if err == nil {
				t.Fatal("accepted")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
