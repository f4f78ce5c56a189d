package ledger

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A tally counts the entries judged from a baseline beside every entry,
// merges them, and keeps them through JSON; a tally without any encodes as
// tallies always did.
func TestTallyCountsBaselineVerdicts(t *testing.T) {
	plain := Entry{Key: "a", Verdict: Verified}
	fromBaseline := baselineEntry()
	unverified := Entry{Key: "c", Verdict: DeletedUnverified, Baseline: []BaselineRef{{Store: "legacy-us"}}}
	a, b := NewTally(), NewTally()
	a.Add(&plain)
	a.Add(&fromBaseline)
	b.Add(&unverified)
	a.Merge(b)

	if raw, err := json.Marshal(NewTally()); err != nil || strings.Contains(string(raw), "baseline") {
		t.Errorf("a tally without baseline entries encodes as %s, %v", raw, err)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Tally
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	want := map[Verdict]int64{}
	for _, v := range Verdicts {
		want[v] = 0
	}
	want[Deleted], want[DeletedUnverified] = 1, 1
	for name, got := range map[string]map[Verdict]int64{"merged": a.BaselineVerdicts(), "through JSON": back.BaselineVerdicts()} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: baseline verdicts (-want +got):\n%s", name, diff)
		}
	}
	empty := NewTally()
	if a.Objects != 3 || a.Count(Deleted) != 1 || empty.BaselineVerdicts() != nil {
		t.Errorf("tally %+v", a)
	}
	if err := json.Unmarshal([]byte(`{"baseline_verdicts":{"gone":1}}`), &back); err == nil {
		t.Error("an unknown verdict among baseline verdicts was accepted")
	}
}
