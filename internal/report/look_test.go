package report

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
)

// Every verdict but deleted has an action, and each says who acts, what
// to do and when it clears.
func TestEveryVerdictThatNeedsOneHasAnAction(t *testing.T) {
	for _, v := range ledger.Verdicts {
		a, ok := ActionFor(v)
		if v == ledger.Deleted {
			if ok {
				t.Errorf("deleted has an action: %+v", a)
			}
			continue
		}
		if !ok || a.Who == "" || a.Check == "" || a.Clears == "" {
			t.Errorf("%s: action %+v, want who, what and when", v, a)
		}
	}
}

// The burn-down's numbers are tied to the statement's: the keys that
// stand in the way are those remaining and those gone unsafely.
func TestBurnDownReconcilesWithTheStatement(t *testing.T) {
	p := pairWith(map[ledger.Verdict]int64{ledger.Deleted: 187, ledger.Missing: 1, ledger.Mismatch: 2, ledger.DeletionIncomplete: 4, ledger.Error: 1,
		ledger.DeletedUnverified: 3, ledger.CopyLost: 2, ledger.Extra: 2})
	_, lead, _ := statementParts(p, true)
	if !strings.Contains(lead, "13 of its 200 legacy objects") {
		t.Fatalf("statement %q", lead)
	}
	want := "In this run, pair us-users has 200 legacy objects: 187 deleted with parity proven, 8 whose legacy copies remain or could not be judged, and 5 gone unsafely (critical). " +
		"The 13 not deleted with parity proven in the attestation above are the 8 remaining and the 5 gone unsafely."
	if diff := cmp.Diff(want, reconcileOf(p, true).Text); diff != "" {
		t.Errorf("reconciliation (-want +got):\n%s", diff)
	}
	if reconcileOf(p, false) != nil {
		t.Error("an incomplete run's burn-down is reconciled with a statement that does not count")
	}
}

// A simulated clock is said so, on the page and in summary.md; a real
// run's duration is its own.
func TestSimulatedClockIsStated(t *testing.T) {
	r := attestedReport()
	r.StartedAt = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	r.FinishedAt = r.StartedAt
	if got := durationText(r); got != "under a second" {
		t.Errorf("a real run of no time: %q", got)
	}
	r.Clock = "simulated by a test"
	if got := durationText(r); !strings.Contains(got, "simulated") {
		t.Errorf("a simulated run of no time: %q", got)
	}
	b, err := r.HTML(Published{ReportURL: "file:///r/report.json"})
	if err != nil {
		t.Fatal(err)
	}
	d := parseDoc(t, b)
	if n := d.byID("clock"); n == nil || !strings.Contains(text(n), "simulated by a test") {
		t.Error("the page does not say its clock is simulated")
	}
	if !strings.Contains(string(r.Summary(Published{})), "The run's clock is simulated by a test.") {
		t.Error("summary.md does not say the clock is simulated")
	}
	r.FinishedAt = r.StartedAt.Add(250 * time.Second)
	r.Clock = ""
	if got := durationText(r); got != "4m10s" {
		t.Errorf("a run of 250 s: %q", got)
	}
}

// Verdict names wrap at their underscores, and nothing else is markup.
func TestBreakAtUnderscores(t *testing.T) {
	if got := string(breakAtUnderscores("deleted_unverified")); got != "deleted_<wbr>unverified" {
		t.Errorf("got %q", got)
	}
	if got := string(breakAtUnderscores("<b>_x")); got != "&lt;b&gt;_<wbr>x" {
		t.Errorf("got %q", got)
	}
}
