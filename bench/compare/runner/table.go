package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// caseKey identifies one cell of the matrix: a workload at a size and a
// delay.
type caseKey struct {
	workload string
	n        int
	delayMS  int
}

// caseResults holds a case's records.
type caseResults struct {
	key      caseKey
	describe string
	addedMS  []float64
	runs     map[string][]Record // by tool
}

// readResults reads results files, keeping the cases in the order they
// first appear.
func readResults(files []string) ([]*caseResults, error) {
	var cases []*caseResults
	byKey := map[caseKey]*caseResults{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("opening results: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for line := 1; sc.Scan(); line++ {
			var r Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: %w", file, line, err)
			}
			k := caseKey{r.Workload, r.N, r.DelayMS}
			c := byKey[k]
			if c == nil {
				c = &caseResults{key: k, describe: r.Describe, runs: map[string][]Record{}}
				byKey[k] = c
				cases = append(cases, c)
			}
			switch r.Kind {
			case "calibration":
				c.addedMS = append(c.addedMS, r.AddedDelayMS)
			case "run":
				if r.Usage == nil {
					f.Close()
					return nil, fmt.Errorf("%s:%d: a run without usage", file, line)
				}
				c.runs[r.Tool] = append(c.runs[r.Tool], r)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
	}
	return cases, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// stat collects one figure of a tool's runs.
func stat(runs []Record, f func(Record) float64) []float64 {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, f(r))
	}
	return xs
}

func wall(r Record) float64   { return r.Usage.WallS }
func cpu(r Record) float64    { return r.Usage.CPUS() }
func rssMiB(r Record) float64 { return float64(r.Usage.MaxRSSKiB) / 1024 }

// sideCPUs returns the CPU seconds the server and the proxy spent in each
// of runs, and false if any run did not measure them.
func sideCPUs(runs []Record) (server, proxy []float64, ok bool) {
	for _, r := range runs {
		if r.ServerCPUS == nil || r.ProxyCPUS == nil {
			return nil, nil, false
		}
		server, proxy = append(server, *r.ServerCPUS), append(proxy, *r.ProxyCPUS)
	}
	return server, proxy, len(runs) > 0
}

// sideCell formats the server's and the proxy's CPU seconds in one run.
func sideCell(r Record) string {
	if r.ServerCPUS == nil || r.ProxyCPUS == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f / %.2f", *r.ServerCPUS, *r.ProxyCPUS)
}

// floor is the shortest wall time that run r could have taken on its
// machine: the CPU seconds spent by the tool, the server and the proxy
// together, spread over every core. A tool cannot finish sooner however
// it schedules its requests; withTool false leaves the tool's own CPU out.
// It is 0 where the run did not measure the server and the proxy.
func floor(r Record, withTool bool) float64 {
	if r.ServerCPUS == nil || r.ProxyCPUS == nil || r.Cores < 1 {
		return 0
	}
	s := *r.ServerCPUS + *r.ProxyCPUS
	if withTool {
		s += r.Usage.CPUS()
	}
	return s / float64(r.Cores)
}

// best returns the rclone mode with the smaller median of f, and that
// median.
func best(c *caseResults, f func(Record) float64) (string, float64) {
	name, v := "", 0.0
	for _, t := range []string{rcloneDefault, rcloneFastList} {
		runs := c.runs[t]
		if len(runs) == 0 {
			continue
		}
		if m := median(stat(runs, f)); name == "" || m < v {
			name, v = t, m
		}
	}
	return name, v
}

// printTables writes the per-tool table and the ratios table in Markdown.
func printTables(w io.Writer, files []string) error {
	cases, err := readResults(files)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "| workload | objects | delay | tool | wall s, median (range) | CPU s | CPU µs/object | peak RSS MiB | requests (list / head / get) | server / proxy CPU s | found as planted |")
	fmt.Fprintln(w, "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | --- | --- | --- |")
	for _, c := range cases {
		for _, t := range []string{rcloneDefault, rcloneFastList, parityproof} {
			runs := c.runs[t]
			if len(runs) == 0 {
				continue
			}
			walls := stat(runs, wall)
			correct := 0
			for _, r := range runs {
				if r.Correct {
					correct++
				}
			}
			req := func(f func(ProxyStats) int64) float64 {
				return median(stat(runs, func(r Record) float64 { return float64(f(r.Requests)) }))
			}
			side := "–"
			if server, proxy, ok := sideCPUs(runs); ok {
				side = fmt.Sprintf("%.2f / %.2f", median(server), median(proxy))
			}
			fmt.Fprintf(w, "| %s (%s) | %d | %d ms | `%s` | %.2f (%.2f–%.2f) | %.2f | %.1f | %.0f | %.0f (%.0f / %.0f / %.0f) | %s | %d of %d |\n",
				c.key.workload, c.describe, c.key.n, c.key.delayMS, t,
				median(walls), slices.Min(walls), slices.Max(walls),
				median(stat(runs, cpu)), median(stat(runs, cpu))/float64(c.key.n)*1e6, median(stat(runs, rssMiB)),
				req(func(s ProxyStats) int64 { return s.Requests }), req(func(s ProxyStats) int64 { return s.List }),
				req(func(s ProxyStats) int64 { return s.Head }), req(func(s ProxyStats) int64 { return s.Get }),
				side, correct, len(runs))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | objects | delay (measured) | wall: parityproof / rclone best | CPU per object: parityproof / rclone best | peak RSS: parityproof / rclone default | parityproof's CPU floor / rclone best wall (server and proxy alone) | load (1 min) |")
	fmt.Fprintln(w, "| --- | ---: | --- | --- | --- | --- | --- | --- |")
	short := map[string]string{rcloneDefault: "default", rcloneFastList: "--fast-list"}
	for _, c := range cases {
		pp := c.runs[parityproof]
		if len(pp) == 0 {
			continue
		}
		cell := func(f func(Record) float64) string {
			name, v := best(c, f)
			if name == "" || v == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f× (vs %s)", median(stat(pp, f))/v, short[name])
		}
		rss := "–"
		if d := c.runs[rcloneDefault]; len(d) > 0 {
			rss = fmt.Sprintf("%.2f×", median(stat(pp, rssMiB))/median(stat(d, rssMiB)))
		}
		floorCell := "–"
		if _, _, ok := sideCPUs(pp); ok {
			if _, v := best(c, wall); v > 0 {
				all := median(stat(pp, func(r Record) float64 { return floor(r, true) }))
				side := median(stat(pp, func(r Record) float64 { return floor(r, false) }))
				floorCell = fmt.Sprintf("%.2f× (%.2f×)", all/v, side/v)
			}
		}
		var loads []float64
		for _, runs := range c.runs {
			loads = append(loads, stat(runs, func(r Record) float64 { return r.Load1 })...)
		}
		fmt.Fprintf(w, "| %s | %d | %d ms (%.1f ms) | %s | %s | %s | %s | %.1f–%.1f |\n",
			c.key.workload, c.key.n, c.key.delayMS, median(c.addedMS),
			cell(wall), cell(cpu), rss, floorCell, slices.Min(loads), slices.Max(loads))
	}
	return nil
}
