package demo

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/run"
	"github.com/parityproof/parityproof/internal/state"
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
		// Who began the run: the OCI user of the demo's API key.
		if out.Report.RanBy.IsZero() || len(out.Report.RanBy.OCI) != 1 || out.Report.RanBy.OCI[0].User != ocilocal.DefaultUser {
			t.Errorf("run %d's report names %+v as who began it", i+1, out.Report.RanBy)
		}
	}
	// A report rebuilt by someone else still names who began the run.
	cfg, err := config.Load(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	auditor := &state.Identity{AWS: &state.AWSIdentity{Account: "210987654321", ARN: "arn:aws:iam::210987654321:user/auditor"}}
	r, err := run.Open(ctx, run.Options{Config: cfg, Identify: func(context.Context) *state.Identity { return auditor }})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := r.Publish(ctx, res.Runs[0].Report.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Runs[0].Report.RanBy, rebuilt.Report.RanBy); diff != "" {
		t.Errorf("the rebuilt report's ran_by (-want +got):\n%s", diff)
	}
	for _, v := range ledger.Verdicts {
		if !seen[v] {
			t.Errorf("no run reached %s", v)
		}
	}
}
