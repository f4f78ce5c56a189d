package run

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

const worldYAML = `
stores:
  legacy-us: {type: s3, bucket: legacy-us, prefix: users/, region: us-east-1, endpoint: "http://127.0.0.1:1"}
  legacy-sg: {type: s3, bucket: legacy-sg, prefix: users/, region: ap-southeast-1, endpoint: "http://127.0.0.1:1"}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1, endpoint: "http://127.0.0.1:1"}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
state: file://./state
reports: file://./reports
run: {checkpoint_every: 3}
`

// world is a pair of memory legacy stores and a memory target, with the
// state and reports in a temporary folder.
type world struct {
	t      testing.TB
	dir    string
	cfg    *config.Config
	stores map[string]*memory.Store
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "parityproof.yaml"), []byte(worldYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, dir: dir, cfg: cfg, stores: map[string]*memory.Store{}}
	for _, name := range cfg.StoreNames {
		w.stores[name] = memory.New(name)
	}
	for i := range 10 {
		key := fmt.Sprintf("%05d/backup.bin", i)
		body := []byte("backup of " + key)
		for _, s := range w.stores {
			s.Put(key, body)
		}
	}
	w.stores["oci-us"].Delete("00003/backup.bin")                                    // never copied
	w.stores["oci-us"].Put("00007/backup.bin", []byte("backup of 00007/BACKUP.bin")) // copied wrong
	return w
}

func (w *world) open(ctx context.Context, s config.Store, _ int) (inventory.Store, error) {
	return w.stores[s.Name], nil
}

// runner opens a Runner of the world with the clock at, o's hooks, and
// who as the identity of anyone beginning a run.
func (w *world) runner(at time.Time, who *state.Identity, o Options) *Runner {
	w.t.Helper()
	st, err := storage.NewDir(filepath.Join(w.dir, "state"))
	if err != nil {
		w.t.Fatal(err)
	}
	reports, err := storage.NewDir(filepath.Join(w.dir, "reports"))
	if err != nil {
		w.t.Fatal(err)
	}
	o.Config, o.State, o.Reports, o.Stores = w.cfg, st, reports, w.open
	o.Now = func() time.Time { return at }
	o.ToolVersion = "test"
	if o.Identify == nil {
		o.Identify = func(context.Context) *state.Identity { return who }
	}
	r, err := Open(context.Background(), o)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// day is 22:00 UTC on a day of November 2026.
func day(d int) time.Time { return time.Date(2026, 11, d, 22, 0, 0, 0, time.UTC) }

// runAndPublish executes a run and publishes its report.
func (w *world) runAndPublish(r *Runner) *Publication {
	w.t.Helper()
	ctx := context.Background()
	res, err := r.Execute(ctx, false)
	if err != nil {
		w.t.Fatal(err)
	}
	pub, err := r.Publish(ctx, res.Record.RunID)
	if err != nil {
		w.t.Fatal(err)
	}
	return pub
}

// lifeCycle runs twice: the migration verified (one key missing, one
// mismatched), then the legacy copies deleted — the missing key's too, and
// one whose target copy is since lost — and returns both publications.
func (w *world) lifeCycle(o Options) []*Publication {
	w.t.Helper()
	first := w.runAndPublish(w.runner(day(1), starter, o))
	for i := range 6 {
		key := fmt.Sprintf("%05d/backup.bin", i)
		w.stores["legacy-us"].Delete(key)
		w.stores["legacy-sg"].Delete(key)
	}
	w.stores["oci-us"].Delete("00001/backup.bin")
	second := w.runAndPublish(w.runner(day(2), starter, o))
	return []*Publication{first, second}
}

// starter is who begins the world's runs.
var starter = &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/parityproof/scheduler", UserID: "AROA:scheduler"}}

// countingMetrics records what the Metrics hook receives.
type countingMetrics struct {
	mu   sync.Mutex
	docs []string
}

func (m *countingMetrics) Verdicts(pair string, counts map[ledger.Verdict]int64, props map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs = append(m.docs, fmt.Sprintf("%s %s %s: verified %d, missing %d, mismatch %d", props["source"], props["run_id"], pair,
		counts[ledger.Verified], counts[ledger.Missing], counts[ledger.Mismatch]))
	return nil
}

// recordingNotifier records the reports it announces, failing with err.
type recordingNotifier struct {
	runs []string
	err  error
}

func (n *recordingNotifier) Notify(ctx context.Context, r *report.Report, pub report.Published) (string, error) {
	n.runs = append(n.runs, r.RunID)
	if n.err != nil {
		return "", n.err
	}
	return "msg-" + r.RunID, nil
}
