package demo

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
)

// The demo's two runs reach every verdict, with the counts its story
// plants, and both reports hold under attestation.
func TestDemoReachesEveryVerdict(t *testing.T) {
	ctx := context.Background()
	res, err := Run(ctx, Options{Dir: t.TempDir(), Objects: 60, Now: time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(res.Runs))
	}
	nonzero := func(m map[ledger.Verdict]int64) map[ledger.Verdict]int64 {
		out := map[ledger.Verdict]int64{}
		for v, n := range m {
			if n > 0 {
				out[v] = n
			}
		}
		return out
	}
	want := []map[ledger.Verdict]int64{
		{ledger.Verified: 53, ledger.Missing: 3, ledger.Mismatch: 2, ledger.Unproven: 1, ledger.Error: 1, ledger.Extra: 2},
		{ledger.Deleted: 47, ledger.DeletionIncomplete: 4, ledger.DeletedUnverified: 3, ledger.CopyLost: 2,
			ledger.Missing: 1, ledger.Mismatch: 2, ledger.Error: 1, ledger.Extra: 2},
	}
	seen := map[ledger.Verdict]bool{}
	for i, out := range res.Runs {
		got := nonzero(out.Report.Totals.Verdicts)
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("run %d verdicts (-want +got):\n%s", i+1, diff)
		}
		for v := range got {
			seen[v] = true
		}
		if _, err := report.Attest(ctx, report.FetchFile, out.Published.ReportURL); err != nil {
			t.Errorf("run %d's report does not hold: %v", i+1, err)
		}
	}
	for _, v := range ledger.Verdicts {
		if !seen[v] {
			t.Errorf("no run reached %s", v)
		}
	}
}
