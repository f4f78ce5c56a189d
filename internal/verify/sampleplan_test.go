package verify

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// planConfig is a one-pair configuration with the given run tuning.
func planConfig(t *testing.T, workers, shardSize, pageSize int) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "c.yaml"), []byte(fmt.Sprintf(`
stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
run: {workers: %d, shard_size: %d, page_size: %d}
`, workers, shardSize, pageSize)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// layouts of keys, n of them.
var layouts = map[string]func(n int) []string{
	"one flat prefix": func(n int) []string {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("backups/backup-%08d.bin", i)
		}
		return keys
	},
	"100 folders": func(n int) []string {
		keys := make([]string, n)
		per := (n + 99) / 100
		for i := range keys {
			keys[i] = fmt.Sprintf("user-%03d/backup-%08d.bin", i/per, i%per)
		}
		return keys
	},
	"hash names": func(n int) []string {
		keys := make([]string, n)
		for i := range keys {
			sum := sha1.Sum([]byte(fmt.Sprint(i)))
			keys[i] = "objects/" + hex.EncodeToString(sum[:])
		}
		return keys
	},
	// Most keys in one folder, many in a second, the rest spread over a
	// hundred small folders named otherwise around them.
	"skewed folders": func(n int) []string {
		var keys []string
		for i := range n * 6 / 10 {
			keys = append(keys, fmt.Sprintf("m-big/%07d", i))
		}
		for i := range n * 2 / 10 {
			keys = append(keys, fmt.Sprintf("t-mid/day-%03d/%05d.log", i%40, i))
		}
		for p := range 100 {
			for i := range n * 2 / 10 / 100 {
				keys = append(keys, fmt.Sprintf("%c%02d-small/%04d", 'a'+p%26, p, i))
			}
		}
		return keys
	},
}

// planOn plans the first run of a pair whose stores open with open, and
// returns its shards.
func planOn(t *testing.T, cfg *config.Config, open StoreOpener) []state.PlannedShard {
	t.Helper()
	st, _ := storage.NewDir(t.TempDir())
	r := New(Options{Config: cfg, Open: open, State: state.New(st), Now: func() time.Time { return day1 }, ToolVersion: "test"})
	rec, err := r.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Pairs[0].Shards
}

// sizes counts the keys in each shard, checking that the shards cover the
// key space exactly once, in order.
func sizes(t *testing.T, shards []state.PlannedShard, keys []string) []int {
	t.Helper()
	if shards[0].Range.Start != "" || shards[len(shards)-1].Range.End != "" {
		t.Fatalf("the shards do not reach from the first key to the last: %v … %v", shards[0].Range, shards[len(shards)-1].Range)
	}
	for i := 1; i < len(shards); i++ {
		if prev, cur := shards[i-1].Range, shards[i].Range; prev.End != cur.Start || cur.Start <= prev.Start {
			t.Fatalf("shards %v and %v do not follow each other", prev, cur)
		}
	}
	sorted := slices.Sorted(slices.Values(keys))
	out := make([]int, len(shards))
	k := 0
	for i, sh := range shards {
		for k < len(sorted) && sh.Range.Contains(sorted[k]) {
			out[i]++
			k++
		}
	}
	if k != len(sorted) {
		t.Fatalf("key %q is in no shard", sorted[k])
	}
	return out
}

// memoryPlan plans a pair whose legacy store holds keys (and whose target
// holds target), in memory, and returns the shard sizes and the sampling
// calls each store answered.
func memoryPlan(t *testing.T, cfg *config.Config, keys, target []string) ([]int, int64, int64) {
	t.Helper()
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for _, k := range keys {
		stores["legacy-us"].Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
	}
	for _, k := range target {
		stores["oci-us"].Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
	}
	w := &world{stores: stores}
	got := sizes(t, planOn(t, cfg, w.open), append(slices.Clone(keys), target...))
	return got, stores["legacy-us"].Samples(), stores["oci-us"].Samples()
}

// spread is the largest shard over the smallest.
func spread(sizes []int) float64 {
	return float64(slices.Max(sizes)) / float64(max(1, slices.Min(sizes)))
}

// A first run cuts 100,000 keys into one shard per worker (8) within 2× of
// each other, whatever the layout, with a bounded number of listing calls.
func TestFirstRunPlanIsBalanced(t *testing.T) {
	for _, name := range []string{"one flat prefix", "100 folders", "hash names"} {
		t.Run(name, func(t *testing.T) {
			keys := layouts[name](100_000)
			got, calls, _ := memoryPlan(t, planConfig(t, 8, 100_000, 1000), keys, nil)
			t.Logf("%d listing calls; shards %v", calls, got)
			if len(got) != 8 || spread(got) > 2 {
				t.Errorf("shards %v: want 8 within 2× of each other", got)
			}
			if calls > planCalls {
				t.Errorf("%d listing calls, more than %d", calls, planCalls)
			}
		})
	}
	// Shards of run.shard_size keys when the pair holds more than one per
	// worker.
	keys := layouts["one flat prefix"](100_000)
	got, _, _ := memoryPlan(t, planConfig(t, 2, 20_000, 1000), keys, nil)
	if len(got) != 5 || spread(got) > 2 {
		t.Errorf("shards of 20,000 keys: %v, want 5 within 2× of each other", got)
	}
}

// A layout where one folder holds most keys among many small folders of
// another naming is cut unevenly on a first run (see sampleplan.go); the
// sizes are what they are, and every key is in one shard.
func TestFirstRunPlanOnSkewedFolders(t *testing.T) {
	keys := layouts["skewed folders"](100_000)
	got, calls, _ := memoryPlan(t, planConfig(t, 8, 100_000, 1000), keys, nil)
	t.Logf("%d listing calls; shards %v (spread %.1f×)", calls, got, spread(got))
	if len(got) < 2 || calls > planCalls {
		t.Errorf("shards %v after %d listing calls: want more than one, within %d calls", got, calls, planCalls)
	}
}

// A pair one sample shows whole (one listing call per store) is cut at its
// top-level folders; an empty one is one shard.
func TestFirstRunPlanOfSmallPairs(t *testing.T) {
	for _, tc := range []struct {
		name           string
		legacy, target []string
		shards         int
		calls          [2]int64
	}{
		{"empty", nil, nil, 1, [2]int64{1, 1}},
		{"60 keys in 60 folders", layouts["100 folders"](60), layouts["100 folders"](60), 60, [2]int64{1, 1}},
		{"only the target holds keys", nil, layouts["hash names"](50), 1, [2]int64{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, legacyCalls, targetCalls := memoryPlan(t, planConfig(t, 8, 100_000, 1000), tc.legacy, tc.target)
			if len(got) != tc.shards {
				t.Errorf("shards %v, want %d", got, tc.shards)
			}
			if diff := cmp.Diff(tc.calls, [2]int64{legacyCalls, targetCalls}); diff != "" {
				t.Errorf("listing calls of legacy and target (-want +got):\n%s", diff)
			}
		})
	}
	// A legacy store already emptied: the target's keys are sampled.
	keys := layouts["one flat prefix"](40_000)
	got, legacyCalls, targetCalls := memoryPlan(t, planConfig(t, 4, 100_000, 1000), nil, keys)
	if len(got) != 4 || spread(got) > 2 || legacyCalls != 1 || targetCalls < 2 {
		t.Errorf("an empty legacy store and a target of 40,000 keys: shards %v, %d and %d calls; want 4 even shards from sampling the target", got, legacyCalls, targetCalls)
	}
}

// Stores that cannot sample their keys are cut at their common prefixes.
func TestFirstRunPlanWithoutSampling(t *testing.T) {
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for _, k := range layouts["100 folders"](5000) {
		stores["legacy-us"].Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
	}
	w := &world{stores: stores, wrap: func(name string, s inventory.Store) inventory.Store { return noSampling{s} }}
	shards := planOn(t, planConfig(t, 8, 100_000, 1000), w.open)
	// noSampling hides the memory store's prefixes too: one shard.
	if len(shards) != 1 {
		t.Errorf("%d shards, want one", len(shards))
	}
}

// noSampling is a store that offers only the Store interface.
type noSampling struct{ inventory.Store }

// moto_server, for the planner on a real S3 API.
var moto motoserver.Shared

// TestMain lets the AWS SDK find moto's credentials, never the user's.
func TestMain(m *testing.M) {
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// motoBucket creates a bucket in moto holding keys and returns a store
// opener for it, listing pageSize keys a page.
func motoBucket(t *testing.T, name string, keys []string) StoreOpener {
	t.Helper()
	srv := moto.Get(t)
	ctx := context.Background()
	client := awss3.New(awss3.Options{Region: motoserver.Region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, "")})
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for k := range work {
				if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	return func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error) {
		b := name
		if s.Type != config.S3 {
			b = name + "-empty"
			client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(b)}) //nolint:errcheck // exists on the next call
		}
		return s3store.New(ctx, s3store.Config{Name: s.Name, Bucket: b, Region: motoserver.Region, Endpoint: srv.URL, PathStyle: true, PageSize: pageSize})
	}
}

// The planner's shard sizes with S3's listing (moto_server): a flat
// prefix, skewed folders and an empty bucket.
func TestFirstRunPlanOnS3(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keys   []string
		shards int // 0: only reported
	}{
		{"flat", layouts["one flat prefix"](2000), 5},
		{"skewed", layouts["skewed folders"](2000), 0},
		{"empty", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := motoBucket(t, "plan-"+tc.name, tc.keys)
			// Shards of 400 keys: sampled 100 keys at a time, as a bucket
			// of millions would be.
			got := sizes(t, planOn(t, planConfig(t, 1, 400, 1000), open), tc.keys)
			t.Logf("shards %v", got)
			if tc.shards > 0 && (len(got) != tc.shards || tc.shards > 1 && spread(got) > 2) {
				t.Errorf("shards %v: want %d within 2× of each other", got, tc.shards)
			}
		})
	}
}

// What planning cost is in the run's log.
func TestFirstRunPlanIsLogged(t *testing.T) {
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for _, k := range layouts["one flat prefix"](20_000) {
		stores["legacy-us"].Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
	}
	w := &world{stores: stores}
	var logged bytes.Buffer
	st, _ := storage.NewDir(t.TempDir())
	r := New(Options{Config: planConfig(t, 8, 100_000, 1000), Open: w.open, State: state.New(st), Now: func() time.Time { return day1 },
		Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	if _, err := r.Begin(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Msg       string `json:"msg"`
		Pair      string `json:"pair"`
		Store     string `json:"store"`
		Calls     int64  `json:"list_calls"`
		Sampled   int    `json:"keys_sampled"`
		Estimated int    `json:"keys_estimated"`
		Shards    int    `json:"shards"`
		Took      string `json:"took"`
	}
	for l := range strings.Lines(logged.String()) {
		if err := json.Unmarshal([]byte(l), &line); err == nil && line.Msg == "planned pair by sampling its keys" {
			break
		}
		line.Msg = ""
	}
	if line.Msg == "" || line.Pair != "us-users" || line.Store != "legacy-us" || line.Calls != stores["legacy-us"].Samples() ||
		line.Sampled < 100 || line.Estimated < 15_000 || line.Estimated > 25_000 || line.Shards != 2 || line.Took == "" {
		t.Errorf("the log says %+v (%d calls made); log:\n%s", line, stores["legacy-us"].Samples(), logged.String())
	}
}

// Skip samples answered from an earlier sample (sampleNested) say what the
// store would have: the same keys, as far as the earlier sample saw, and
// no end of the key space where the store has more keys. And they spare
// most of the calls on regular layouts.
func TestNestedSkipsAnswerAsTheStoreWould(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		layout   string
		maxCalls int // skip samples made, of about 25 asked
	}{
		{"one flat prefix", 10},
		{"100 folders", 14},
		{"hash names", 6},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			st := memory.New("legacy-us")
			for _, k := range layouts[tc.layout](100_000) {
				st.Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
			}
			s := &sampler{name: "legacy-us", ks: st, page: 1000, maxCalls: planCalls, skipped: map[string]bool{}}
			if err := s.sample(ctx, []sampleReq{{after: "", n: s.skipKeys()}}); err != nil {
				t.Fatal(err)
			}
			reqs := s.skips()
			before := s.calls
			if err := s.sampleNested(ctx, reqs); err != nil {
				t.Fatal(err)
			}
			if made := s.calls - before; made > tc.maxCalls || made >= len(reqs) {
				t.Errorf("%d skip samples made of %d asked, want at most %d", made, len(reqs), tc.maxCalls)
			}
			got := map[string]probe{}
			for _, p := range s.probes[1:] {
				got[p.after] = p
			}
			if len(got) != len(reqs) || len(s.probes)-1 != len(reqs) {
				t.Fatalf("%d skip samples answered (%d distinct), want each of %d once", len(s.probes)-1, len(got), len(reqs))
			}
			for _, q := range reqs {
				p := got[q.after]
				keys, more, err := st.SampleKeys(ctx, q.after, q.n)
				if err != nil {
					t.Fatal(err)
				}
				want := keys[:len(p.keys)] // as far as the earlier sample saw
				if diff := cmp.Diff(want, p.keys); diff != "" {
					t.Errorf("after %q (-store +answered):\n%s", q.after, diff)
				}
				if !p.more && (more || len(keys) > len(p.keys)) {
					t.Errorf("after %q: answered as the end of the keys, the store has more", q.after)
				}
			}
		})
	}
}

// answered takes the answer from the sample whose keys reach past the
// request's point, and none from a sample that stopped before it.
func TestAnsweredFromAnEarlierSample(t *testing.T) {
	made := []probe{
		{after: "a/", keys: []string{"a/1", "a/2", "b/1"}, more: true},
		{after: "c", keys: []string{"c/1", "c/2"}, more: false},
	}
	for _, tc := range []struct {
		after string
		want  probe
		ok    bool
	}{
		{after: "a/1", want: probe{after: "a/1", keys: []string{"a/2", "b/1"}, more: true}, ok: true},
		{after: "a0", want: probe{after: "a0", keys: []string{"b/1"}, more: true}, ok: true},
		{after: "b/1", ok: false}, // the sample saw nothing past b/1, and there is more
		{after: "b0", ok: false},  // between the two samples
		{after: "c/1", want: probe{after: "c/1", keys: []string{"c/2"}, more: false}, ok: true},
		{after: "d", want: probe{after: "d", keys: []string{}, more: false}, ok: true},
		{after: "", ok: false},
	} {
		got, ok := answered(made, sampleReq{after: tc.after, n: 100})
		if ok != tc.ok {
			t.Errorf("after %q: answered %v, want %v", tc.after, ok, tc.ok)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(probe{})); ok && diff != "" {
			t.Errorf("after %q (-want +got):\n%s", tc.after, diff)
		}
	}
}

// When no gap could hold a whole shard, refine asks one sample in each gap
// that could hold more than half of one, and none elsewhere; a gap that
// could hold several shards gets several samples.
func TestRefineSamplesEachGapPastHalfAShard(t *testing.T) {
	ctx := context.Background()
	st := memory.New("legacy-us")
	for _, k := range layouts["one flat prefix"](100_000) {
		st.Set(memory.Object{Listed: inventory.Fingerprint{Key: k}})
	}
	s := &sampler{name: "legacy-us", ks: st, page: 1000, maxCalls: planCalls, skipped: map[string]bool{}}
	if err := s.sample(ctx, []sampleReq{{after: "", n: s.skipKeys()}}); err != nil {
		t.Fatal(err)
	}
	if err := s.sampleNested(ctx, s.skips()); err != nil {
		t.Fatal(err)
	}
	if err := s.sample(ctx, s.scan()); err != nil {
		t.Fatal(err)
	}
	var certain []gap
	for _, g := range s.gaps(s.spans()) {
		if !g.uncertain && g.estimate > 0 {
			certain = append(certain, g)
		}
	}
	if len(certain) < 3 {
		t.Fatalf("%d gaps after the skips and the scan, want a few", len(certain))
	}
	sort.Slice(certain, func(i, j int) bool { return certain[i].estimate > certain[j].estimate })
	// within counts the requests in g.
	within := func(reqs []sampleReq, g gap) int {
		n := 0
		for _, q := range reqs {
			if q.after > g.lo && (g.hi == "" || q.after < g.hi) {
				n++
			}
		}
		return n
	}

	// A shard as big as the biggest gap: every gap past half of it gets one
	// sample.
	target := certain[0].estimate
	reqs := s.refine(target)
	want := 0
	for _, g := range certain {
		if g.estimate > target/2 {
			want++
			if n := within(reqs, g); n != 1 {
				t.Errorf("gap (%q, %q] of about %.0f keys, shard %.0f: %d samples, want 1", g.lo, g.hi, g.estimate, target, n)
			}
		} else if n := within(reqs, g); n != 0 {
			t.Errorf("gap (%q, %q] of about %.0f keys, shard %.0f: %d samples, want none", g.lo, g.hi, g.estimate, target, n)
		}
	}
	if len(reqs) != min(want, planRound) {
		t.Errorf("%d samples, want %d", len(reqs), min(want, planRound))
	}

	// A shard a quarter of the biggest gap: that gap gets more than one.
	if n := within(s.refine(certain[0].estimate/4), certain[0]); n < 2 {
		t.Errorf("a gap of four shards got %d samples, want several", n)
	}
}
