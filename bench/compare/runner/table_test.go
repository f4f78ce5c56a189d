package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTablesShowServerCPUAndFloor writes a results file with one case
// whose runs measured the server and the proxy, and one from before they
// were measured, and checks the rows the tables print for them.
func TestTablesShowServerCPUAndFloor(t *testing.T) {
	want := Findings{Missing: 1}
	run := func(workload, tool string, wallS, userS float64, rssKiB int64, server, proxy *float64) Record {
		return Record{Kind: "run", Workload: workload, Describe: "d", N: 1000, DelayMS: 50, Tool: tool, Round: 1,
			Usage: &Usage{WallS: wallS, UserS: userS, SysS: 0.5, MaxRSSKiB: rssKiB}, Requests: ProxyStats{Requests: 3, List: 2, Head: 1},
			Found: want, Want: want, Correct: true, Load1: 1, ServerCPUS: server, ProxyCPUS: proxy, Cores: 2}
	}
	records := []Record{
		{Kind: "calibration", Workload: "a", Describe: "d", N: 1000, DelayMS: 50, AddedDelayMS: 50.5},
		run("a", rcloneDefault, 8, 5.5, 102400, new(6.0), new(0.5)),
		run("a", rcloneFastList, 10, 5.5, 204800, new(6.0), new(0.5)),
		run("a", parityproof, 5, 1.5, 51200, new(6.5), new(0.5)),
		{Kind: "calibration", Workload: "old", Describe: "d", N: 1000, DelayMS: 50, AddedDelayMS: 50.5},
		run("old", rcloneDefault, 8, 5.5, 102400, nil, nil),
		run("old", parityproof, 4, 1.5, 51200, nil, nil),
	}
	path := filepath.Join(t.TempDir(), "results.jsonl")
	var b strings.Builder
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := printTables(&out, []string{path}); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "| a ") || strings.HasPrefix(l, "| old ") {
			rows = append(rows, l)
		}
	}
	wantRows := []string{
		"| a (d) | 1000 | 50 ms | `rclone check` | 8.00 (8.00–8.00) | 6.00 | 6000.0 | 100 | 3 (2 / 1 / 0) | 6.00 / 0.50 | 1 of 1 |",
		"| a (d) | 1000 | 50 ms | `rclone check --fast-list` | 10.00 (10.00–10.00) | 6.00 | 6000.0 | 200 | 3 (2 / 1 / 0) | 6.00 / 0.50 | 1 of 1 |",
		"| a (d) | 1000 | 50 ms | `parityproof run` | 5.00 (5.00–5.00) | 2.00 | 2000.0 | 50 | 3 (2 / 1 / 0) | 6.50 / 0.50 | 1 of 1 |",
		"| old (d) | 1000 | 50 ms | `rclone check` | 8.00 (8.00–8.00) | 6.00 | 6000.0 | 100 | 3 (2 / 1 / 0) | – | 1 of 1 |",
		"| old (d) | 1000 | 50 ms | `parityproof run` | 4.00 (4.00–4.00) | 2.00 | 2000.0 | 50 | 3 (2 / 1 / 0) | – | 1 of 1 |",
		// parityproof's floor: (2 + 6.5 + 0.5) / 2 cores = 4.5 s, 0.56× of
		// rclone's best wall (8 s); without its own CPU, 3.5 s, 0.44×.
		"| a | 1000 | 50 ms (50.5 ms) | 0.62× (vs default) | 0.33× (vs default) | 0.50× | 0.56× (0.44×) | 1.0–1.0 |",
		"| old | 1000 | 50 ms (50.5 ms) | 0.50× (vs default) | 0.33× (vs default) | 0.50× | – | 1.0–1.0 |",
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}
