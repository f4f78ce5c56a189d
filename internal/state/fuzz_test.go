package state

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// FuzzDecodeRecord feeds the run record decoder what a stranger could put
// in a state location or a bundle: it never panics, and what it accepts
// has a run id and encodes to a record that decodes to the same.
func FuzzDecodeRecord(f *testing.F) {
	rec := Record{Schema: RecordSchema, RunID: "20261128T220000Z-1a2b", StartedAt: time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC),
		ConfigDigest: "abc", PreviousRunID: "20261127T220000Z-0000", ToolVersion: "dev",
		RanBy:   &Identity{AWS: &AWSIdentity{Account: "1", ARN: "arn", UserID: "u"}, OCI: []OCIIdentity{{Auth: "api_key", User: "ocid1.user"}}},
		Rebased: &Rebase{RunID: "r0", Reason: "damaged"},
		Pairs:   []PlannedPair{{Name: "p", Shards: []PlannedShard{{ID: "0001", Range: inventory.KeyRange{Start: "a", End: "b"}}}}}}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"parityproof.run/v1","run_id":"r","pairs":[]} {}`))
	f.Add([]byte(`{"schema":"parityproof.run/v1","run_id":"","pairs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			return
		}
		if r.RunID == "" || r.Schema != RecordSchema {
			t.Fatalf("accepted a record without a run id or schema: %+v", r)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRecord(again)
		if err != nil {
			t.Fatalf("a decoded record encodes to one that does not decode: %v", err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
