// Command runner times rclone check (default mode and --fast-list) and
// parityproof run side by side on one seeded workload behind latencyproxy,
// in interleaved rounds, and appends one JSON line per tool run to a
// results file; with -table it turns results files into the Markdown tables
// of BENCHMARKS.md. bench/compare/run.sh drives it.
//
//	runner -parityproof BIN -rclone BIN -proxy URL -direct URL -workload a -n 100000 \
//	       -delay-ms 50 -legacy a-legacy -target a-target -expect expect.json \
//	       -work DIR -results results.jsonl
//	runner -table results.jsonl
//
// Each tool run is a child process; its wall time is measured around it and
// its CPU time and peak RSS come from the kernel (wait4). Given their
// process ids, it also records the CPU time the server and the proxy spend
// during each tool run, read from /proc. Every parityproof
// run starts from an empty state folder, so every round is a first run.
// Credentials for both tools come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Tool names, as the tables show them.
const (
	rcloneDefault  = "rclone check"
	rcloneFastList = "rclone check --fast-list"
	parityproof    = "parityproof run"
)

// Record is one line of a results file.
type Record struct {
	Kind     string `json:"kind"` // "run", or "calibration" for the proxy's measured delay
	Time     string `json:"time"`
	Workload string `json:"workload"`
	Describe string `json:"describe"`
	N        int    `json:"n"`
	DelayMS  int    `json:"delay_ms"`
	// Kind "run":
	Tool     string     `json:"tool,omitempty"`
	Round    int        `json:"round,omitempty"`
	Usage    *Usage     `json:"usage,omitempty"`
	Requests ProxyStats `json:"requests"`
	Found    Findings   `json:"found"`
	Want     Findings   `json:"want"`
	Correct  bool       `json:"correct"`
	Load1    float64    `json:"load1"`
	// ServerCPUS and ProxyCPUS are the CPU seconds the S3 server and the
	// latency proxy spent during the tool's run, when the runner was given
	// their process ids; Cores is the machine's, which all three share.
	ServerCPUS *float64 `json:"server_cpu_s,omitempty"`
	ProxyCPUS  *float64 `json:"proxy_cpu_s,omitempty"`
	Cores      int      `json:"cores,omitempty"`
	// Kind "calibration":
	AddedDelayMS float64 `json:"added_delay_ms,omitempty"`
}

type options struct {
	parityproof, rclone string
	proxy, direct       string
	workload, describe  string
	n, delayMS, rounds  int
	legacy, target      string
	expect              string
	work, results       string
	ppExtraYAML         string
	tools               []string
	timeout             time.Duration
	warmup              bool
	serverPID, proxyPID int
}

func main() {
	var o options
	var table, tools string
	flag.StringVar(&table, "table", "", "print the tables of these results files (comma-separated) and exit")
	flag.StringVar(&o.parityproof, "parityproof", "", "parityproof binary")
	flag.StringVar(&o.rclone, "rclone", "", "rclone binary")
	flag.StringVar(&o.proxy, "proxy", "", "URL of latencyproxy, which both tools talk to")
	flag.StringVar(&o.direct, "direct", "", "URL of the S3 server behind the proxy (calibration and warm-up)")
	flag.StringVar(&o.workload, "workload", "", "workload name, for the records")
	flag.StringVar(&o.describe, "describe", "", "what the workload is, for the records")
	flag.IntVar(&o.n, "n", 0, "legacy objects, for the records and CPU per object")
	flag.IntVar(&o.delayMS, "delay-ms", 0, "the proxy's delay in ms, for the records")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every tool once, in a rotating order")
	flag.StringVar(&o.legacy, "legacy", "", "legacy bucket")
	flag.StringVar(&o.target, "target", "", "target bucket")
	flag.StringVar(&o.expect, "expect", "", "the seeder's JSON of what a check must find")
	flag.StringVar(&o.work, "work", "", "folder for configurations, logs and parityproof's state")
	flag.StringVar(&o.results, "results", "", "append one JSON line per tool run to this file")
	flag.StringVar(&o.ppExtraYAML, "pp-extra-yaml", "", "YAML appended to parityproof's configuration (e.g. a run: block)")
	flag.StringVar(&tools, "tools", strings.Join([]string{rcloneDefault, rcloneFastList, parityproof}, ","), "tools to run, comma-separated")
	flag.DurationVar(&o.timeout, "timeout", time.Hour, "longest a single tool run may take")
	flag.IntVar(&o.serverPID, "server-pid", 0, "process id of the S3 server, to measure its CPU time during each tool run (0: not measured)")
	flag.IntVar(&o.proxyPID, "proxy-pid", 0, "process id of latencyproxy, to measure its CPU time during each tool run (0: not measured)")
	flag.BoolVar(&o.warmup, "warmup", true, "list both buckets once, untimed and straight to the server, before the first round")
	flag.Parse()
	if table != "" {
		if err := printTables(os.Stdout, strings.Split(table, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "runner:", err)
			os.Exit(1)
		}
		return
	}
	o.tools = strings.Split(tools, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

// tool is one way of checking the buckets.
type tool struct {
	name     string
	argv     []string
	prepare  func() error // before each run
	findings func(logFile string) (Findings, error)
}

func run(ctx context.Context, o options) error {
	for flagName, v := range map[string]string{"-parityproof": o.parityproof, "-rclone": o.rclone, "-proxy": o.proxy, "-direct": o.direct,
		"-workload": o.workload, "-legacy": o.legacy, "-target": o.target, "-expect": o.expect, "-work": o.work, "-results": o.results} {
		if v == "" {
			return fmt.Errorf("%s is required", flagName)
		}
	}
	if o.n < 1 || o.rounds < 1 {
		return errors.New("-n and -rounds must be at least 1")
	}
	var want Expect
	b, err := os.ReadFile(o.expect)
	if err != nil {
		return fmt.Errorf("reading what a check must find: %w", err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		return fmt.Errorf("decoding %s: %w", o.expect, err)
	}
	if want.Keys != o.n {
		return fmt.Errorf("%s describes %d keys, -n says %d", o.expect, want.Keys, o.n)
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", o.work, err)
	}
	all, err := tools(o)
	if err != nil {
		return err
	}
	var chosen []tool
	for _, name := range o.tools {
		i := -1
		for j, t := range all {
			if t.name == name {
				i = j
			}
		}
		if i < 0 {
			return fmt.Errorf("-tools: unknown tool %q", name)
		}
		chosen = append(chosen, all[i])
	}
	out, err := os.OpenFile(o.results, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", o.results, err)
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	record := func(r Record) error {
		r.Time = time.Now().UTC().Format(time.RFC3339)
		r.Workload, r.Describe, r.N, r.DelayMS = o.workload, o.describe, o.n, o.delayMS
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("writing %s: %w", o.results, err)
		}
		return nil
	}

	added, err := addedDelay(ctx, o.proxy, o.direct, 21)
	if err != nil {
		return err
	}
	fmt.Printf("workload %s (%s), %d objects, proxy delay %d ms: the proxy adds %.1f ms per request (median of 21)\n",
		o.workload, o.describe, o.n, o.delayMS, float64(added.Microseconds())/1000)
	if err := record(Record{Kind: "calibration", AddedDelayMS: float64(added.Microseconds()) / 1000}); err != nil {
		return err
	}
	if o.warmup {
		// Server caches warm, so that no tool pays for being first.
		logFile := filepath.Join(o.work, "warmup.log")
		argv := []string{o.rclone, "--config", filepath.Join(o.work, "rclone.conf"), "check", "--fast-list", "direct:" + o.legacy, "direct:" + o.target}
		if _, err := measure(ctx, argv, os.Environ(), logFile); err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
	}

	for round := 1; round <= o.rounds; round++ {
		for k := range chosen {
			t := chosen[(round-1+k)%len(chosen)] // rotate who goes first
			if t.prepare != nil {
				if err := t.prepare(); err != nil {
					return err
				}
			}
			tctx, cancel := context.WithTimeout(ctx, o.timeout)
			before, err := proxyStats(tctx, o.proxy)
			if err != nil {
				cancel()
				return err
			}
			load := load1()
			sideBefore, err := sideCPU(o)
			if err != nil {
				cancel()
				return err
			}
			logFile := filepath.Join(o.work, fmt.Sprintf("%s-r%d.log", strings.NewReplacer(" ", "_", "-", "").Replace(t.name), round))
			u, err := measure(tctx, t.argv, os.Environ(), logFile)
			if err != nil {
				cancel()
				return err
			}
			sideAfter, err := sideCPU(o)
			if err != nil {
				cancel()
				return err
			}
			after, err := proxyStats(tctx, o.proxy)
			cancel()
			if err != nil {
				return err
			}
			found, err := t.findings(logFile)
			if err != nil {
				return err
			}
			r := Record{Kind: "run", Tool: t.name, Round: round, Usage: &u, Requests: after.minus(before),
				Found: found, Want: want.Findings(), Correct: found == want.Findings(), Load1: load, Cores: runtime.NumCPU()}
			r.ServerCPUS, r.ProxyCPUS = sideAfter.minus(sideBefore)
			if err := record(r); err != nil {
				return err
			}
			verdict := "as planted"
			if !r.Correct {
				verdict = fmt.Sprintf("NOT as planted (want %+v)", r.Want)
			}
			fmt.Printf("  round %d  %-25s %7.2f s wall  %6.2f s CPU  %6.1f MiB  %6d requests (%d list, %d head, %d get)  server/proxy CPU %s s  exit %d  found %+v %s\n",
				round, t.name, u.WallS, u.CPUS(), float64(u.MaxRSSKiB)/1024, r.Requests.Requests, r.Requests.List, r.Requests.Head, r.Requests.Get,
				sideCell(r), u.Exit, found, verdict)
		}
	}
	return nil
}

// side is the CPU seconds the server and the proxy have used so far; a
// nil field was not measured.
type side struct{ server, proxy *float64 }

// sideCPU reads the server's and the proxy's CPU time, where the options
// give their process ids.
func sideCPU(o options) (side, error) {
	var s side
	for _, p := range []struct {
		pid int
		to  **float64
	}{{o.serverPID, &s.server}, {o.proxyPID, &s.proxy}} {
		if p.pid == 0 {
			continue
		}
		v, err := processCPU(p.pid)
		if err != nil {
			return s, err
		}
		*p.to = &v
	}
	return s, nil
}

// minus returns what was spent from earlier to s, field by field.
func (s side) minus(earlier side) (server, proxy *float64) {
	diff := func(a, b *float64) *float64 {
		if a == nil || b == nil {
			return nil
		}
		d := *a - *b
		return &d
	}
	return diff(s.server, earlier.server), diff(s.proxy, earlier.proxy)
}

// tools writes both tools' configurations under o.work and returns the
// three ways of checking.
func tools(o options) ([]tool, error) {
	rcloneConf := filepath.Join(o.work, "rclone.conf")
	remote := func(name, endpoint string) string {
		return fmt.Sprintf("[%s]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\nregion = us-east-1\nendpoint = %s\nforce_path_style = true\n\n",
			name, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), endpoint)
	}
	if err := os.WriteFile(rcloneConf, []byte(remote("bench", o.proxy)+remote("direct", o.direct)), 0o600); err != nil {
		return nil, fmt.Errorf("writing rclone's configuration: %w", err)
	}
	state, reports := filepath.Join(o.work, "pp-state"), filepath.Join(o.work, "pp-reports")
	ppConf := filepath.Join(o.work, "parityproof.yaml")
	store := func(bucket string) string {
		return fmt.Sprintf("    type: s3\n    bucket: %s\n    region: us-east-1\n    endpoint: %s\n    path_style: true\n", bucket, o.proxy)
	}
	yaml := "stores:\n  legacy:\n" + store(o.legacy) + "  target:\n" + store(o.target) +
		"pairs:\n  - name: bench\n    legacy: [legacy]\n    target: target\n" +
		"state: file://" + state + "\nreports: file://" + reports + "\n" + o.ppExtraYAML
	if !strings.HasSuffix(yaml, "\n") {
		yaml += "\n"
	}
	if err := os.WriteFile(ppConf, []byte(yaml), 0o644); err != nil {
		return nil, fmt.Errorf("writing parityproof's configuration: %w", err)
	}
	rcloneFindingsFn := func(logFile string) (Findings, error) { return rcloneFindings(logFile, o.legacy, o.target) }
	check := []string{o.rclone, "--config", rcloneConf, "check", "bench:" + o.legacy, "bench:" + o.target}
	return []tool{
		{name: rcloneDefault, argv: check, findings: rcloneFindingsFn},
		{name: rcloneFastList, argv: append(check[:len(check):len(check)], "--fast-list"), findings: rcloneFindingsFn},
		{
			name: parityproof,
			argv: []string{o.parityproof, "run", "--config", ppConf},
			prepare: func() error { // a first run every time
				for _, d := range []string{state, reports} {
					if err := os.RemoveAll(d); err != nil {
						return fmt.Errorf("emptying %s: %w", d, err)
					}
				}
				return nil
			},
			findings: func(string) (Findings, error) { return ppFindings(reports) },
		},
	}, nil
}
