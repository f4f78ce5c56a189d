package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds the verify function's decoder every shape of event it
// takes (the samples in events/: scheduled events, plan, shard and certify
// requests, S3 notifications direct, through EventBridge and in SQS
// messages) and whatever mutates from them: it never panics, and what it
// accepts is a request it can serve — a known kind, run ids that are one
// safe path segment, shard ranges that are not empty, removed objects with
// a bucket and a key, SQS batches whose messages each decode or fail
// alone.
func FuzzDecode(f *testing.F) {
	samples, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, p := range samples {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"action":"shard","run_id":"r","pair":"p","start":"b","end":"a"}`))
	f.Add([]byte(`{"Records":[{"body":"{\"Records\":[]}"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := Decode(payload)
		if err != nil {
			return
		}
		switch req.Kind {
		case KindRun, KindTest:
		case KindPlan:
			if !runIDRE.MatchString(req.RunID) {
				t.Fatalf("a plan for run id %q", req.RunID)
			}
		case KindShard:
			s := req.Shard
			if !runIDRE.MatchString(req.RunID) || req.RunID == NewRun || s.Pair == "" {
				t.Fatalf("a shard task %+v", s)
			}
			if s.End != "" && s.Start >= s.End {
				t.Fatalf("a shard task of an empty range %+v", s)
			}
		case KindObjectsRemoved:
			if len(req.Removed) == 0 {
				t.Fatal("a deletion event with no object")
			}
			for _, o := range req.Removed {
				if o.Bucket == "" || o.Key == "" || o.Time.IsZero() {
					t.Fatalf("a removed object without bucket, key or time: %+v", o)
				}
			}
		case KindSQSBatch:
			if len(req.Messages) == 0 {
				t.Fatal("an SQS batch with no message")
			}
			// Each message decodes on its own, or fails alone.
			for _, m := range req.Messages {
				_, _ = DecodeSQSMessage(m)
			}
		case KindShardFailed:
			if !runIDRE.MatchString(req.RunID) {
				t.Fatalf("a shard failure of run id %q", req.RunID)
			}
		case KindCertify:
		default:
			t.Fatalf("decoded to kind %q", req.Kind)
		}
	})
}
