package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// runIDRE is what a run id a request names may look like: one safe path
// segment.
var fuzzRunIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// FuzzDecode feeds the report function's decoder report requests,
// scheduled events and whatever mutates from them: it never panics, and a
// run id it accepts is one safe path segment.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"report-request.json", "scheduled-event.json", "plan.json"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "events", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"run_id":"../../etc"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := Decode(payload)
		if err != nil {
			return
		}
		if req.RunID != "" && !fuzzRunIDRE.MatchString(req.RunID) {
			t.Fatalf("accepted the run id %q", req.RunID)
		}
	})
}
