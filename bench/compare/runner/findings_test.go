package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rcloneLog is the end of a real rclone v1.76.0 check log (workload c,
// 2,000 keys).
const rcloneLog = `2026/12/01 02:08:34 ERROR : user-007/backup-00000003.bin: md5 differ
2026/12/01 02:08:35 ERROR : S3 bucket c-target: 1 differences found
2026/12/01 02:08:35 NOTICE: S3 bucket c-target: 1 files missing
2026/12/01 02:08:35 NOTICE: S3 bucket c-legacy: 1 files missing
2026/12/01 02:08:35 NOTICE: S3 bucket c-target: 203 differences found
2026/12/01 02:08:35 NOTICE: S3 bucket c-target: 205 errors while checking
2026/12/01 02:08:35 NOTICE: S3 bucket c-target: 1798 matching files
2026/12/01 02:08:35 NOTICE: Failed to check with 203 errors: last error was: 203 differences found
`

func TestRcloneFindingsSplitsDifferencesBySide(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rclone.log")
	if err := os.WriteFile(path, []byte(rcloneLog), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := rcloneFindings(path, "c-legacy", "c-target")
	if err != nil {
		t.Fatal(err)
	}
	// Two errors beyond the differences are Other.
	if diff := cmp.Diff(Findings{Missing: 1, Changed: 201, Extra: 1, Matching: 1798, Other: 2}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestRcloneFindingsWithoutASummaryIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rclone.log")
	if err := os.WriteFile(path, []byte("2026/12/01 02:08:35 ERROR : connection refused\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rcloneFindings(path, "c-legacy", "c-target"); err == nil {
		t.Error("a log without a summary gave findings")
	}
}

func TestPPFindingsReadsTheVerdictCounts(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "20261201T020835Z-9353")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	report := `{"totals": {"objects": 2001, "verdicts": {"verified": 1798, "deleted": 0, "missing": 1, "mismatch": 201,
	  "unproven": 3, "deletion_incomplete": 0, "deleted_unverified": 0, "copy_lost": 0, "extra": 1, "error": 2}}}`
	if err := os.WriteFile(filepath.Join(run, "report.json"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ppFindings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Findings{Missing: 1, Changed: 201, Extra: 1, Matching: 1798, Other: 5}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestMedian(t *testing.T) {
	got := []float64{median([]float64{3, 1, 2}), median([]float64{4, 1, 3, 2}), median(nil)}
	if diff := cmp.Diff([]float64{2, 2.5, 0}, got); diff != "" {
		t.Errorf("medians (-want +got):\n%s", diff)
	}
}
