package main

// Whole runs of the binary through injected faults: S3 traffic (the legacy
// stores and, where it is in S3, the state location) passes through
// faultproxy in front of moto_server; the OCI target and state are
// ocilocal's, with its own faults. Every faulted run ends with the ledger
// digest of the run that was never faulted, or with exit 3 and an error
// naming the store or location — never with a wrong verdict. The soak adds
// random kill -9 points and runs each case to its end.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
)

var (
	soakRuns    = flag.Int("soak.runs", 6, "runs of TestSoak (the full soak: 200)")
	soakTimeout = flag.Duration("soak.timeout", 8*time.Minute, "TestSoak stops beginning runs after this long")
	soakSeed    = flag.Uint64("soak.seed", 0, "TestSoak's random seed (0: from the clock; the test logs it)")
)

// faultWorld is an e2e world whose S3 traffic goes through a fault proxy.
type faultWorld struct {
	*e2e
	proxy *faultproxy.Proxy
	// ref is the uninterrupted, unfaulted run's report.
	ref *report.Report
}

const faultNow = "2026-11-28T22:00:00Z"

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	e := newE2E(t)
	ctx := context.Background()
	for i := range 60 {
		k := fmt.Sprintf("p%d/%03d.bin", i%3, i)
		e.putLegacy(e2eLegacyUS, k, "content of "+k, "")
		e.putLegacy(e2eLegacySG, k, "content of "+k, "")
		switch i {
		case 7: // never copied
		case 11:
			e.putTarget(k, "CONTENT of "+k, false) // copied wrong
		default:
			e.putTarget(k, "content of "+k, false)
		}
	}
	e.putTarget("p9/extra.bin", "only in the target", false)
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pp-state")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ociClient.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: common.String(e2eNS),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String("pp-oci-state"), CompartmentId: common.String("ocid1.compartment.oc1..e2e")}}); err != nil {
		t.Fatal(err)
	}
	w := &faultWorld{e2e: e, proxy: faultproxy.Start(t, e.moto.URL, faultproxy.Options{Seed: 1})}
	dir := filepath.Join(e.dir, "reference")
	if code, out, errOut := e.runCLI(faultNow, "run", "--quiet", "--config", w.config(dir, "file")); code != 1 {
		t.Fatalf("the reference run: exit %d\n%s\n%s", code, out, errOut)
	}
	w.ref, _ = readReport(t, dir)
	return w
}

// config writes the configuration of a case in dir, its S3 traffic
// through the proxy and its state at a location of the kind given.
func (w *faultWorld) config(dir, stateKind string) string {
	w.t.Helper()
	path := w.e2e.config(dir, "run: {checkpoint_every: 4, page_size: 5, workers: 2, lease_ttl: 10s}\n")
	b, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("endpoint: "+w.moto.URL), []byte("endpoint: "+w.proxy.URL))
	prefix := strings.NewReplacer("/", "-", " ", "-").Replace(strings.TrimPrefix(dir, w.dir+"/"))
	switch stateKind {
	case "s3":
		b = bytes.Replace(b, []byte("state: file://./state"), []byte("state: s3://pp-state/"+prefix+"/?region=us-east-1&path_style=true&endpoint="+w.proxy.URL), 1)
	case "oci":
		b = bytes.Replace(b, []byte("state: file://./state"), []byte(fmt.Sprintf("state: oci://pp-oci-state@%s/%s/?region=us-ashburn-1&profile=E2E&config_file=%s&endpoint=%s", e2eNS, prefix, w.ociConfig, w.oci.Endpoint)), 1)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// invocation is one run of the binary.
type invocation struct {
	code           int
	stdout, stderr string
	killed         bool
	took           time.Duration
}

// invoke runs the binary on path; killAfter > 0 kills it with SIGKILL
// then if it is still running. An invocation that outlives 2 minutes is
// killed and fails the test.
func (w *faultWorld) invoke(t *testing.T, path string, killAfter time.Duration) invocation {
	t.Helper()
	cmd := w.command(faultNow, "run", "--quiet", "--config", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var kill <-chan time.Time
	if killAfter > 0 {
		kill = time.After(killAfter)
	}
	var inv invocation
	var err error
	select {
	case err = <-done:
	case <-kill:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = <-done
		inv.killed = true
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Fatalf("an invocation hung for 2 minutes\nstderr:\n%s", stderr.String())
	}
	inv.took = time.Since(start)
	inv.stdout, inv.stderr = stdout.String(), stderr.String()
	if ee, ok := err.(*exec.ExitError); ok {
		inv.code = ee.ExitCode()
		if inv.killed && inv.code == -1 {
			inv.code = 137
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return inv
}

// firstReport returns the report of the first complete run published in
// dir's reports folder, nil if none is.
func firstReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "report.json"))
	if len(paths) == 0 {
		return nil
	}
	slices.Sort(paths)
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// checkVerdicts fails t if got holds a verdict that is wrong: one that
// differs from the reference but is not an error naming a store.
func (w *faultWorld) checkVerdicts(t *testing.T, got *report.Report) {
	t.Helper()
	want := map[string]ledger.Verdict{}
	for _, x := range w.ref.Exceptions {
		want[x.Key] = x.Verdict
	}
	for _, x := range got.Exceptions {
		if x.Verdict == want[x.Key] {
			continue
		}
		if x.Verdict == ledger.Error && (strings.Contains(x.Detail, "legacy-") || strings.Contains(x.Detail, "oci-us")) {
			continue
		}
		t.Errorf("a wrong verdict through faults: %s is %s (%s), the unfaulted run says %q", x.Key, x.Verdict, x.Detail, want[x.Key])
	}
	if got.Totals.Objects != w.ref.Totals.Objects {
		t.Errorf("%d keys through faults, %d without", got.Totals.Objects, w.ref.Totals.Objects)
	}
}

// namesAStore reports whether a failed invocation's message names the
// store or location that failed.
func namesAStore(stderr string) bool {
	for _, s := range []string{"legacy-us", "legacy-sg", "oci-us", "s3://pp-state/", "oci://pp-oci-state@", "store "} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// The fault kinds of the S3 side, on every request the proxy sees (the
// legacy stores' listings and the state location's reads and writes).
var s3Faults = []struct {
	name string
	rule faultproxy.Rule
}{
	{"503 SlowDown", faultproxy.Rule{Probability: 0.15, Limit: 25, Fault: faultproxy.SlowDown(time.Second)}},
	{"429", faultproxy.Rule{Probability: 0.15, Limit: 25, Fault: faultproxy.TooManyRequests(0)}},
	{"503 ServiceUnavailable", faultproxy.Rule{Probability: 0.15, Limit: 25, Fault: faultproxy.Unavailable(0)}},
	{"connection reset", faultproxy.Rule{Probability: 0.1, Limit: 15, Fault: faultproxy.Reset()}},
	{"answer dropped after the write", faultproxy.Rule{Method: "PUT", Probability: 0.3, Limit: 10, Fault: faultproxy.DropAnswer()}},
	{"truncated body", faultproxy.Rule{Method: "GET", Probability: 0.15, Limit: 15, Fault: faultproxy.Truncate(64)}},
	{"malformed XML", faultproxy.Rule{Method: "GET", Probability: 0.2, Limit: 15, Fault: faultproxy.MalformedXML()}},
	{"stall", faultproxy.Rule{Probability: 0.05, Limit: 3, Fault: faultproxy.Stall(1500 * time.Millisecond)}},
}

// Each kind of fault during a whole run: the run ends with the unfaulted
// run's digest, or exits 3 naming a store (and a rerun without faults
// then ends with that digest).
func TestFaultInjectedRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal")
	}
	t.Parallel() // its own servers and folders; most of its time is spent waiting
	w := newFaultWorld(t)
	type outcome struct{ name, state, faults, result string }
	var outcomes []outcome
	type faultCase struct {
		name  string
		state string
		rules []faultproxy.Rule
		oci   ocilocal.Faults
	}
	var cases []faultCase
	for i, f := range s3Faults {
		state := []string{"s3", "file", "oci"}[i%3]
		if f.rule.Method == "PUT" {
			state = "s3" // dropped answers to the state location's writes
		}
		cases = append(cases, faultCase{f.name, state, []faultproxy.Rule{f.rule}, ocilocal.Faults{}})
	}
	cases = append(cases,
		faultCase{"OCI 429/500/503 and resets", "oci", nil, ocilocal.Faults{Rate429: 0.05, Rate500: 0.05, Rate503: 0.05, ResetRate: 0.05, Seed: 3}},
		faultCase{"every kind at once", "s3", func() []faultproxy.Rule {
			var rs []faultproxy.Rule
			for _, f := range s3Faults {
				r := f.rule
				r.Probability /= 2
				rs = append(rs, r)
			}
			return rs
		}(), ocilocal.Faults{Rate429: 0.03, Rate503: 0.03, ResetRate: 0.03, Seed: 4}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(w.dir, "faults", strings.ReplaceAll(c.name, " ", "-"))
			path := w.config(dir, c.state)
			before := w.proxy.Stats()
			ociBefore := w.oci.FaultStats()
			if err := w.proxy.SetRules(c.rules...); err != nil {
				t.Fatal(err)
			}
			w.oci.SetFaults(c.oci)
			inv := w.invoke(t, path, 0)
			w.oci.SetFaults(ocilocal.Faults{})
			if err := w.proxy.SetRules(); err != nil {
				t.Fatal(err)
			}
			faults := faultDelta(before, w.proxy.Stats(), ociBefore, w.oci.FaultStats())
			var result string
			switch inv.code {
			case 0, 1:
				got, _ := readReport(t, dir)
				w.checkVerdicts(t, got)
				if got.Ledger.SHA256 != w.ref.Ledger.SHA256 {
					t.Errorf("the faulted run ends with ledger %s, the unfaulted run's is %s", got.Ledger.SHA256, w.ref.Ledger.SHA256)
				}
				result = "same digest"
			case 3:
				if !namesAStore(inv.stderr) {
					t.Errorf("exit 3 without naming the store:\n%s", inv.stderr)
				}
				again := w.invoke(t, path, 0)
				// A lease the faulted run could not give up (the write
				// that releases it was among the faulted requests) holds
				// the state location until it expires, as the rerun's
				// message says: wait it out, as TestSoak does. lease_ttl
				// is 10s, so a few waits at most.
				waits := 0
				for ; waits < 10 && again.code == 3 && strings.Contains(again.stderr, "another run holds the state location"); waits++ {
					time.Sleep(2 * time.Second)
					again = w.invoke(t, path, 0)
				}
				got := firstReport(t, dir)
				if again.code > 1 || got == nil || got.Ledger.SHA256 != w.ref.Ledger.SHA256 {
					t.Errorf("rerun without faults: exit %d\n%s", again.code, again.stderr)
				}
				result = "exit 3 naming the store; the rerun ends with the same digest"
				if waits > 0 {
					result = fmt.Sprintf("exit 3 naming the store; the rerun, once the faulted run's lease expired (%d waits of 2 s), ends with the same digest", waits)
				}
				t.Logf("exit 3: %s", messageOf(inv.stderr))
			default:
				t.Errorf("exit %d\nstderr:\n%s", inv.code, inv.stderr)
				result = fmt.Sprintf("exit %d", inv.code)
			}
			if faults == "none" {
				t.Errorf("no fault was injected")
			}
			outcomes = append(outcomes, outcome{c.name, c.state, faults, result})
		})
	}
	var b strings.Builder
	b.WriteString("| faults | state | injected | outcome |\n| --- | --- | --- | --- |\n")
	for _, o := range outcomes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", o.name, o.state, o.faults, o.result)
	}
	t.Logf("fault-injected runs (reference ledger %s):\n%s", w.ref.Ledger.SHA256, b.String())
}

// faultDelta says which faults were injected between two readings of the
// proxy's and ocilocal's counts.
func faultDelta(before, after faultproxy.Stats, ociBefore, ociAfter ocilocal.FaultStats) string {
	m := map[string]int{}
	for k, v := range after.Faults {
		if d := v - before.Faults[k]; d > 0 {
			m["s3 "+k] = d
		}
	}
	for name, d := range map[string]int64{
		"oci 429": ociAfter.TooManyRequests - ociBefore.TooManyRequests, "oci 500": ociAfter.InternalError - ociBefore.InternalError,
		"oci 503": ociAfter.ServiceUnavailable - ociBefore.ServiceUnavailable, "oci reset": ociAfter.Resets - ociBefore.Resets,
	} {
		if d > 0 {
			m[name] = int(d)
		}
	}
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// The soak: runs, each to its end, through random faults and random
// kill -9 points, on state locations of every kind: every run's first
// report has the unfaulted run's ledger digest. -soak.runs=200 is the
// full soak (CI runs a few); -soak.timeout bounds it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and ocilocal")
	}
	t.Parallel() // its own servers and folders; most of its time is spent waiting
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -soak.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	w := newFaultWorld(t)
	refTook := w.timeReference(t)
	deadline := time.Now().Add(*soakTimeout)
	start := time.Now()
	var (
		runs, equal, invocations, kills, waits int
		exits                                  = map[int]int{}
		states                                 = map[string]int{}
	)
	before, ociBefore := w.proxy.Stats(), w.oci.FaultStats()
	for i := range *soakRuns {
		if time.Now().After(deadline) {
			t.Logf("the soak's time is up after %d of %d runs", i, *soakRuns)
			break
		}
		state := []string{"file", "file", "file", "s3", "oci"}[rng.IntN(5)]
		states[state]++
		dir := filepath.Join(w.dir, "soak", fmt.Sprintf("%03d", i))
		path := w.config(dir, state)
		var rules []faultproxy.Rule
		for _, f := range s3Faults {
			if rng.Float64() < 0.4 {
				r := f.rule
				r.Probability *= 0.5 + rng.Float64()
				rules = append(rules, r)
			}
		}
		if err := w.proxy.SetRules(rules...); err != nil {
			t.Fatal(err)
		}
		var of ocilocal.Faults
		if rng.Float64() < 0.5 {
			of = ocilocal.Faults{Rate429: 0.03 * rng.Float64(), Rate500: 0.03 * rng.Float64(), Rate503: 0.03 * rng.Float64(), ResetRate: 0.03 * rng.Float64(), Seed: rng.Uint64()}
		}
		w.oci.SetFaults(of)
		runs++
		var got *report.Report
		for attempt := 0; got == nil; attempt++ {
			if attempt == 40 {
				t.Fatalf("run %d (%s state) did not end in 40 invocations", i, state)
			}
			var killAfter time.Duration
			if attempt < 4 && rng.Float64() < 0.6 {
				killAfter = time.Duration(rng.Int64N(int64(refTook*3/2))) + 20*time.Millisecond
			}
			inv := w.invoke(t, path, killAfter)
			invocations++
			if inv.killed {
				kills++
			}
			exits[inv.code]++
			switch {
			case inv.killed:
			case inv.code == 3 && strings.Contains(inv.stderr, "another run holds the state location"):
				// A killed run's lease on s3:// or oci://: it expires.
				waits++
				time.Sleep(2 * time.Second)
			case inv.code == 3:
				if !namesAStore(inv.stderr) {
					t.Errorf("run %d: exit 3 without naming the store:\n%s", i, inv.stderr)
				}
			case inv.code > 1:
				t.Fatalf("run %d: exit %d\n%s", i, inv.code, inv.stderr)
			}
			got = firstReport(t, dir)
		}
		w.checkVerdicts(t, got)
		t.Logf("run %d: %s state, %d fault rules, OCI faults %v: ended with ledger %s", i, state, len(rules), of.Seed != 0, got.Ledger.SHA256[:12])
		if got.Ledger.SHA256 == w.ref.Ledger.SHA256 {
			equal++
		} else {
			t.Errorf("run %d (%s state) ends with ledger %s, the unfaulted run's is %s", i, state, got.Ledger.SHA256, w.ref.Ledger.SHA256)
		}
	}
	w.oci.SetFaults(ocilocal.Faults{})
	if err := w.proxy.SetRules(); err != nil {
		t.Fatal(err)
	}
	t.Logf("soak: %d runs (%v state), %d invocations, %d killed with SIGKILL, %d waits for a killed run's lease; exit statuses %v; faults injected: %s; %d of %d runs ended with the unfaulted ledger digest %s; %s",
		runs, states, invocations, kills, waits, exits, faultDelta(before, w.proxy.Stats(), ociBefore, w.oci.FaultStats()), equal, runs, w.ref.Ledger.SHA256, time.Since(start).Round(time.Second))
}

// timeReference times one unfaulted run, for the soak's kill points.
func (w *faultWorld) timeReference(t *testing.T) time.Duration {
	t.Helper()
	inv := w.invoke(t, w.config(filepath.Join(w.dir, "timing"), "file"), 0)
	if inv.code != 1 {
		t.Fatalf("timing run: exit %d\n%s", inv.code, inv.stderr)
	}
	return inv.took
}
