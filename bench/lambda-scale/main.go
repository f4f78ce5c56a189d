// Command lambda-scale drives the real Lambda handlers the way the state
// machine does — Plan, the Distributed Map's items read from the JSON Lines
// file Plan wrote, each shard invoked again from its cursor until done (a
// failed one recorded with shard_failed, as the Catch does), then the
// report — over a generated pair of any number of objects with planted
// exceptions, each invocation in a process of its own under a deadline
// and a memory cap, as Lambda runs them. It prints one line of JSON per
// run: the invocations' time and peak RSS per kind, Plan's answer size,
// the report's size and time.
//
//	go run ./bench/lambda-scale -objects 10000000
//
// The functions' processes are their packages' test binaries (go test -c
// ./functions/verify ./functions/report), whose TestMain serves one
// invocation with the handler main builds when synthetic.EnvInvocation
// asks (internal/synthetic), over stores that generate their listings page
// by page. Every process runs with GOMEMLIMIT at the cap and is killed if
// its resident set passes it; its peak RSS is the kernel's (getrusage's
// ru_maxrss of the process).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parityproof/parityproof/internal/synthetic"
)

func main() {
	objects := flag.Int("objects", 1_000_000, "objects in each legacy store of the pair")
	prefixes := flag.Int("prefixes", 10, "top-level prefixes the keys are under (the first run's shards)")
	missingEvery := flag.Int("missing-every", 20, "object i is missing from the target when i % this == 1")
	mismatchEvery := flag.Int("mismatch-every", 20, "object i differs in the target when i % this == 2")
	shardSize := flag.Int("shard-size", 100_000, "run.shard_size")
	checkpointEvery := flag.Int("checkpoint-every", 5_000, "run.checkpoint_every")
	timeout := flag.Duration("timeout", 3*time.Minute, "each invocation's deadline (Lambda's function timeout)")
	margin := flag.Duration("margin", 30*time.Second, "PARITYPROOF_DEADLINE_MARGIN")
	memCap := flag.Int64("memory-mib", 1024, "each process's memory cap, MiB (GOMEMLIMIT, and killed past it)")
	concurrency := flag.Int("concurrency", 2, "shards invoked at once (the Map's MaxConcurrency)")
	runs := flag.Int("runs", 2, "runs one after the other (the second plans from the first's split points)")
	pageLatency := flag.Duration("page-latency", 0, "delay of every listing page, as a LIST round trip")
	dir := flag.String("dir", "", "where the state, reports and binaries go (default: a temporary folder, removed)")
	flag.Parse()

	h := &harness{
		timeout: *timeout, margin: *margin, memCap: *memCap << 20, concurrency: *concurrency,
		spec: synthetic.Spec{Objects: *objects, Prefixes: *prefixes, MissingEvery: *missingEvery, MismatchEvery: *mismatchEvery, PageLatency: *pageLatency},
	}
	h.dir = *dir
	if h.dir == "" {
		d, err := os.MkdirTemp("", "lambda-scale-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		h.dir = d
	}
	if err := h.setup(*shardSize, *checkpointEvery); err != nil {
		log.Fatal(err)
	}
	for i := range *runs {
		sum, err := h.run(i + 1)
		if err != nil {
			log.Fatal(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(sum); err != nil {
			log.Fatal(err)
		}
	}
}

type harness struct {
	dir         string
	config      string
	verifyBin   string
	reportBin   string
	timeout     time.Duration
	margin      time.Duration
	memCap      int64
	concurrency int
	spec        synthetic.Spec

	mu     sync.Mutex
	seq    int
	logs   *os.File
	record *json.Encoder
}

// setup builds the functions' test binaries and writes the configuration.
func (h *harness) setup(shardSize, checkpointEvery int) error {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil || strings.TrimSpace(string(root)) == "" {
		return fmt.Errorf("finding the module (run lambda-scale from the repository: go run ./bench/lambda-scale): %v", err)
	}
	h.verifyBin, h.reportBin = filepath.Join(h.dir, "verify.test"), filepath.Join(h.dir, "report.test")
	for pkg, bin := range map[string]string{"./functions/verify": h.verifyBin, "./functions/report": h.reportBin} {
		cmd := exec.Command("go", "test", "-c", "-o", bin, pkg)
		cmd.Dir = strings.TrimSpace(string(root))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	h.config = filepath.Join(h.dir, "parityproof.yaml")
	cfg := fmt.Sprintf(`stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, region: us-east-1}
  legacy-sg: {type: s3, bucket: legacy-sg-backups, region: ap-southeast-1}
  oci-us: {type: oci, namespace: acmecorp, bucket: us-users, region: us-ashburn-1}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
state: file://%[1]s/state
reports: file://%[1]s/reports
run: {workers: 1, shard_size: %[2]d, checkpoint_every: %[3]d}
`, h.dir, shardSize, checkpointEvery)
	if err := os.WriteFile(h.config, []byte(cfg), 0o644); err != nil {
		return err
	}
	if h.logs, err = os.Create(filepath.Join(h.dir, "functions.log")); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(h.dir, "invocations.jsonl"))
	if err != nil {
		return err
	}
	h.record = json.NewEncoder(f)
	return nil
}

// call is one invocation as measured.
type call struct {
	Run      int     `json:"run"`
	Kind     string  `json:"kind"`
	Item     string  `json:"item,omitempty"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	PeakRSS  int64   `json:"peak_rss_bytes"`
	OverCap  bool    `json:"over_cap"`
	Deadline bool    `json:"within_deadline"`
	Error    string  `json:"error,omitempty"`
	Type     string  `json:"error_type,omitempty"`

	answer json.RawMessage
}

// invoke runs one invocation of bin in a process of its own.
func (h *harness) invoke(run int, kind, item, bin string, payload any) (*call, error) {
	h.mu.Lock()
	h.seq++
	n := h.seq
	h.mu.Unlock()
	base := filepath.Join(h.dir, "calls", strconv.Itoa(n))
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return nil, err
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(base+".payload.json", b, 0o644); err != nil {
		return nil, err
	}
	inv, err := json.Marshal(synthetic.Invocation{Config: h.config, Payload: base + ".payload.json", Outcome: base + ".outcome.json",
		Timeout: h.timeout, Margin: h.margin, Stores: h.spec, RequestID: fmt.Sprintf("%s-%d", kind, n)})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-test.run", "^$")
	cmd.Env = append(os.Environ(), synthetic.EnvInvocation+"="+string(inv), "GOMEMLIMIT="+strconv.FormatInt(h.memCap, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	over := make(chan bool, 1)
	done := make(chan struct{})
	go func() { over <- h.watch(cmd.Process.Pid, done, cmd.Process) }()
	werr := cmd.Wait()
	close(done)
	c := &call{Run: run, Kind: kind, Item: item, Seconds: time.Since(started).Seconds(), OverCap: <-over}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		c.PeakRSS = ru.Maxrss << 10 // KiB on Linux
	}
	c.CPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	h.mu.Lock()
	_, lerr := h.logs.Write(stderr.Bytes())
	h.mu.Unlock()
	if lerr != nil {
		return nil, fmt.Errorf("keeping the functions' log: %w", lerr)
	}
	if werr != nil {
		return nil, fmt.Errorf("%s invocation %d (%s): %v (over the memory cap: %v)\n%s", kind, n, item, werr, c.OverCap, lastLines(stderr.String(), 20))
	}
	ob, err := os.ReadFile(base + ".outcome.json")
	if err != nil {
		return nil, err
	}
	var o synthetic.Outcome
	if err := json.Unmarshal(ob, &o); err != nil {
		return nil, err
	}
	c.Deadline = !o.PastDeadline && c.Seconds <= h.timeout.Seconds()
	c.Error, c.Type, c.answer = o.Error, o.ErrorType, o.Answer
	h.mu.Lock()
	err = h.record.Encode(c)
	h.mu.Unlock()
	return c, err
}

// watch kills the process when its resident set passes the cap, as Lambda
// does, and reports whether it did.
func (h *harness) watch(pid int, done <-chan struct{}, p *os.Process) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return false
		case <-tick.C:
			if rss := residentSet(pid); rss > h.memCap {
				// Wait reports the process killed; an error here means it
				// had already exited.
				_ = p.Kill()
				return true
			}
		}
	}
}

func residentSet(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// task is a line of the shard list, as the Map passes it.
type task struct {
	Action  string `json:"action"`
	RunID   string `json:"run_id"`
	Pair    string `json:"pair"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Cursor  string `json:"cursor"`
	Stalled int    `json:"stalled"`
}

// kindSummary sums up the invocations of one kind.
type kindSummary struct {
	Invocations    int     `json:"invocations"`
	MaxSeconds     float64 `json:"max_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	MaxPeakRSSMiB  float64 `json:"max_peak_rss_mib"`
	WithinDeadline bool    `json:"all_within_deadline"`
	OverCap        int     `json:"over_memory_cap"`
}

// summary is one run's line of output.
type summary struct {
	Run             int                     `json:"run"`
	RunID           string                  `json:"run_id"`
	Objects         int                     `json:"objects_per_legacy_store"`
	Keys            int64                   `json:"keys_judged"`
	Exceptions      int64                   `json:"exceptions"`
	Shards          int                     `json:"shards"`
	PlanAnswerBytes int                     `json:"plan_answer_bytes"`
	ShardListBytes  int                     `json:"shard_list_bytes"`
	FailedShards    []string                `json:"failed_shards,omitempty"`
	Kinds           map[string]*kindSummary `json:"kinds"`
	ReportSeconds   float64                 `json:"report_seconds"`
	ReportFiles     map[string]int64        `json:"report_file_bytes"`
	WallSeconds     float64                 `json:"wall_seconds"`
	TimeoutSeconds  float64                 `json:"timeout_seconds"`
	MemoryCapMiB    int64                   `json:"memory_cap_mib"`
	GOMAXPROCS      int                     `json:"host_cpus"`
}

// run carries out one run as the state machine does.
func (h *harness) run(n int) (*summary, error) {
	started := time.Now()
	sum := &summary{Run: n, Objects: h.spec.Objects, Kinds: map[string]*kindSummary{}, ReportFiles: map[string]int64{},
		TimeoutSeconds: h.timeout.Seconds(), MemoryCapMiB: h.memCap >> 20, GOMAXPROCS: runtime.NumCPU()}
	var mu sync.Mutex
	count := func(c *call) {
		mu.Lock()
		defer mu.Unlock()
		k := sum.Kinds[c.Kind]
		if k == nil {
			k = &kindSummary{WithinDeadline: true}
			sum.Kinds[c.Kind] = k
		}
		k.Invocations++
		k.MaxSeconds = max(k.MaxSeconds, c.Seconds)
		k.CPUSeconds += c.CPU
		k.MaxPeakRSSMiB = max(k.MaxPeakRSSMiB, float64(c.PeakRSS)/(1<<20))
		k.WithinDeadline = k.WithinDeadline && c.Deadline
		if c.OverCap {
			k.OverCap++
		}
	}

	// Plan.
	c, err := h.invoke(n, "plan", "", h.verifyBin, map[string]string{"action": "plan", "run_id": "new"})
	if err != nil {
		return nil, err
	}
	count(c)
	if c.Error != "" {
		return nil, fmt.Errorf("plan: %s", c.Error)
	}
	var plan struct {
		RunID    string `json:"run_id"`
		Count    int    `json:"count"`
		Location struct {
			URL string `json:"url"`
		} `json:"location"`
	}
	if err := json.Unmarshal(c.answer, &plan); err != nil {
		return nil, err
	}
	sum.RunID, sum.Shards, sum.PlanAnswerBytes = plan.RunID, plan.Count, len(c.answer)
	list, err := os.ReadFile(strings.TrimPrefix(plan.Location.URL, "file://"))
	if err != nil {
		return nil, err
	}
	sum.ShardListBytes = len(list)
	var tasks []task
	for _, line := range bytes.Split(bytes.TrimSpace(list), []byte("\n")) {
		var t task
		if err := json.Unmarshal(line, &t); err != nil {
			return nil, fmt.Errorf("a line of the shard list: %w", err)
		}
		tasks = append(tasks, t)
	}
	if len(tasks) != plan.Count {
		return nil, fmt.Errorf("the shard list holds %d tasks, the plan says %d", len(tasks), plan.Count)
	}

	// The Map: each item invoked again from its cursor until done; a
	// failed item recorded as the Catch does.
	items := make(chan task)
	var wg sync.WaitGroup
	var firstErr error
	for range h.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range items {
				if err := h.shard(n, t, count, &mu, sum); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, t := range tasks {
		items <- t
	}
	close(items)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}

	// The report.
	c, err = h.invoke(n, "report", "", h.reportBin, map[string]string{"run_id": plan.RunID})
	if err != nil {
		return nil, err
	}
	count(c)
	if c.Error != "" {
		return nil, fmt.Errorf("report: %s", c.Error)
	}
	var rep struct {
		Exceptions int64 `json:"exceptions"`
		Counts     struct {
			Objects int64 `json:"objects"`
		} `json:"counts"`
	}
	if err := json.Unmarshal(c.answer, &rep); err != nil {
		return nil, err
	}
	sum.Keys, sum.Exceptions, sum.ReportSeconds = rep.Counts.Objects, rep.Exceptions, c.Seconds
	for _, f := range []string{"report.json", "exceptions.csv", "report.html", "summary.md"} {
		if fi, err := os.Stat(filepath.Join(h.dir, "reports", plan.RunID, f)); err == nil {
			sum.ReportFiles[f] = fi.Size()
		}
	}
	slices.Sort(sum.FailedShards)
	sum.WallSeconds = time.Since(started).Seconds()
	return sum, nil
}

// shard invokes one Map item until it is done, or records its failure.
func (h *harness) shard(run int, t task, count func(*call), mu *sync.Mutex, sum *summary) error {
	item := t.Start + ".." + t.End
	for {
		c, err := h.invoke(run, "shard", item, h.verifyBin, t)
		if err != nil {
			return err
		}
		count(c)
		if c.Error != "" {
			f, err := h.invoke(run, "shard_failed", item, h.verifyBin, map[string]string{
				"action": "shard_failed", "run_id": t.RunID, "pair": t.Pair, "start": t.Start, "end": t.End, "error": c.Type, "cause": c.Error,
			})
			if err != nil {
				return err
			}
			count(f)
			mu.Lock()
			sum.FailedShards = append(sum.FailedShards, item+": "+c.Type)
			mu.Unlock()
			return nil
		}
		var a struct {
			Done    bool   `json:"done"`
			Cursor  string `json:"cursor"`
			Stalled int    `json:"stalled"`
		}
		if err := json.Unmarshal(c.answer, &a); err != nil {
			return err
		}
		if a.Done {
			return nil
		}
		t.Cursor, t.Stalled = a.Cursor, a.Stalled
	}
}
