package report

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// earlierReport is the start of an earlier run's report.json: what the
// burn-down reads, followed by exceptions it must not read (they are cut
// short, as if the file were too large to read).
func earlierReport(id string, complete bool, remaining, deleted int64) string {
	return fmt.Sprintf(`{"schema": %q, "run_id": %q, "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T01:00:00Z", "complete": %v,
  "pairs": [{"name": "p", "verdicts": {"verified": %d, "deleted": %d, "copy_lost": 1, "extra": 5}, "bytes": {"verified": 10, "deleted": 20, "copy_lost": 30, "extra": 40}}],
  "exceptions": [`, Schema, id, complete, remaining, deleted) + strings.Repeat(`{"pair": "p", "key": "k", "verdict": "copy_lost"},`, 100) + `{"pair": "p", "ke`
}

func put(t *testing.T, st *memStore, name, body string) {
	t.Helper()
	if err := st.Put(context.Background(), name, strings.NewReader(body), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// The burn-down takes the complete reports of earlier runs, oldest first,
// and leaves out with a warning those it cannot read; later runs' reports
// and other files are not its business.
func TestHistoryReadsEarlierReports(t *testing.T) {
	st := newMemStore("mem://r/")
	put(t, st, "20260101T000000Z-0001/report.json", earlierReport("20260101T000000Z-0001", true, 7, 1))
	put(t, st, "20260102T000000Z-0002/report.json", "not json")
	put(t, st, "20260103T000000Z-0003/report.json", earlierReport("20260103T000000Z-0003", false, 9, 9))
	put(t, st, "20260104T000000Z-0004/report.json", earlierReport("20260101T000000Z-0001", true, 3, 5))
	put(t, st, "20260105T000000Z-0005/report.json", `{"schema": "parityproof.report/v2", "run_id": "20260105T000000Z-0005", "finished_at": "2026-01-05T00:00:00Z", "complete": true, "pairs": []}`)
	put(t, st, "20260106T000000Z-0006/report.json", earlierReport("20260106T000000Z-0006", true, 2, 6))
	put(t, st, "20260106T000000Z-0006/summary.md", "# not a report")
	put(t, st, "archive/20260107T000000Z-0007/report.json", earlierReport("20260107T000000Z-0007", true, 0, 8))
	put(t, st, "20261231T000000Z-9999/report.json", earlierReport("20261231T000000Z-9999", true, 0, 8))
	put(t, st, "latest.json", `{"run_id": "20261231T000000Z-9999"}`)

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	now := &Report{RunID: "20260201T000000Z-0010", FinishedAt: time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC),
		Pairs: []PairReport{*pairWith(map[ledger.Verdict]int64{ledger.Verified: 1, ledger.Deleted: 9})}}
	got, err := history(context.Background(), st, now, log)
	if err != nil {
		t.Fatal(err)
	}
	point := func(id, report string, finished time.Time, remaining, deleted Amount) HistoryPoint {
		return HistoryPoint{RunID: id, FinishedAt: finished, Report: report,
			Pairs: []PairProgress{{Name: "p", Remaining: remaining, Deleted: deleted, Unsafe: Amount{1, 30}}}}
	}
	jan1 := time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	want := []HistoryPoint{
		point("20260101T000000Z-0001", "mem://r/20260101T000000Z-0001/report.json", jan1, Amount{7, 10}, Amount{1, 20}),
		point("20260106T000000Z-0006", "mem://r/20260106T000000Z-0006/report.json", jan1, Amount{2, 10}, Amount{6, 20}),
		{RunID: now.RunID, FinishedAt: now.FinishedAt, Pairs: []PairProgress{{Name: "us-users", Remaining: Amount{1, 1024}, Deleted: Amount{9, 9 * 1024}}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("burn-down (-want +got):\n%s", diff)
	}
	for _, id := range []string{"20260102T000000Z-0002", "20260104T000000Z-0004", "20260105T000000Z-0005"} {
		if !strings.Contains(logs.String(), id) {
			t.Errorf("no warning about the report of %s:\n%s", id, logs.String())
		}
	}
	if strings.Contains(logs.String(), "0003") {
		t.Errorf("an incomplete run's report is warned about:\n%s", logs.String())
	}
}

// The burn-down holds at most MaxHistory runs: the newest.
func TestHistoryKeepsTheNewestRuns(t *testing.T) {
	st := newMemStore("mem://r/")
	var ids []string
	for i := range MaxHistory + 10 {
		id := fmt.Sprintf("20260101T%06dZ-%04d", i, i)
		ids = append(ids, id)
		put(t, st, id+"/report.json", earlierReport(id, true, 1, 1))
	}
	got, err := history(context.Background(), st, &Report{RunID: "20270101T000000Z-0000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, p := range got {
		gotIDs = append(gotIDs, p.RunID)
	}
	want := append(ids[len(ids)-(MaxHistory-1):], "20270101T000000Z-0000")
	if diff := cmp.Diff(want, gotIDs); diff != "" {
		t.Errorf("runs in the burn-down (-want +got):\n%s", diff)
	}
}
