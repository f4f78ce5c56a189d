package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// Findings is what a tool reported, in the workload's terms: keys missing
// from the target, target copies that differ, keys in the target only, and
// keys found equal. Other counts what fits none of these (parityproof's
// unproven and error verdicts, rclone's unchecked hashes and errors).
type Findings struct {
	Missing  int `json:"missing"`
	Changed  int `json:"changed"`
	Extra    int `json:"extra"`
	Matching int `json:"matching"`
	Other    int `json:"other"`
}

// Expect is what the seeder says a check must find (workload.Expect).
type Expect struct {
	Keys     int `json:"keys"`
	Missing  int `json:"missing"`
	Changed  int `json:"changed"`
	Extra    int `json:"extra"`
	Matching int `json:"matching"`
}

// Findings returns the findings a correct check reports.
func (e Expect) Findings() Findings {
	return Findings{Missing: e.Missing, Changed: e.Changed, Extra: e.Extra, Matching: e.Matching}
}

// rcloneSummary matches the counts rclone check logs at the end, such as
// "NOTICE: S3 bucket a-target: 50 files missing".
var rcloneSummary = regexp.MustCompile(`(?m)NOTICE: S3 bucket ([^ :]+)(?: path [^:]*)?: (\d+) (files missing|differences found|errors while checking|hashes could not be checked|matching files)$`)

// rcloneFindings reads rclone check's log. rclone counts a key missing on
// either side as a difference too, and every difference as an error:
// only errors beyond the differences are Other.
func rcloneFindings(logFile, legacy, target string) (Findings, error) {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return Findings{}, fmt.Errorf("reading rclone's log: %w", err)
	}
	var f Findings
	differences, errs := -1, 0
	for _, m := range rcloneSummary.FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(m[2])
		switch {
		case m[3] == "files missing" && m[1] == target:
			f.Missing = n
		case m[3] == "files missing" && m[1] == legacy:
			f.Extra = n
		case m[3] == "differences found":
			differences = n
		case m[3] == "matching files":
			f.Matching = n
		case m[3] == "errors while checking":
			errs = n
		default:
			f.Other += n
		}
	}
	if differences < 0 {
		return f, fmt.Errorf("rclone's log %s has no \"differences found\" line:\n%s", logFile, tail(logFile, 10))
	}
	f.Changed = differences - f.Missing - f.Extra
	f.Other += max(0, errs-differences)
	return f, nil
}

// ppFindings reads the verdict counts of the one report.json under
// reportsDir.
func ppFindings(reportsDir string) (Findings, error) {
	var reports []string
	err := filepath.WalkDir(reportsDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "report.json" {
			reports = append(reports, path)
		}
		return err
	})
	if err != nil {
		return Findings{}, fmt.Errorf("looking for parityproof's report: %w", err)
	}
	if len(reports) != 1 {
		return Findings{}, fmt.Errorf("found %d report.json files under %s; want 1", len(reports), reportsDir)
	}
	b, err := os.ReadFile(reports[0])
	if err != nil {
		return Findings{}, fmt.Errorf("reading parityproof's report: %w", err)
	}
	var r struct {
		Totals struct {
			Verdicts map[string]int `json:"verdicts"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return Findings{}, fmt.Errorf("decoding %s: %w", reports[0], err)
	}
	v := r.Totals.Verdicts
	if v == nil {
		return Findings{}, errors.New("parityproof's report has no verdict counts")
	}
	f := Findings{Missing: v["missing"], Changed: v["mismatch"], Extra: v["extra"], Matching: v["verified"]}
	for name, n := range v {
		switch name {
		case "missing", "mismatch", "extra", "verified":
		default:
			f.Other += n
		}
	}
	return f, nil
}
