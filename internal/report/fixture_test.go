package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

// memStore is a storage.Store in memory whose URLs do not depend on where
// the test runs, so that golden files can hold them.
type memStore struct {
	root  string
	mu    sync.Mutex
	files map[string][]byte
	puts  []storage.PutOptions
}

func newMemStore(root string) *memStore { return &memStore{root: root, files: map[string][]byte{}} }

func (m *memStore) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = b
	m.puts = append(m.puts, o)
	return nil
}

func (m *memStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("reading %s: %w", m.URL(name), storage.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) List(ctx context.Context, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n := range m.files {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (m *memStore) URL(name string) string { return m.root + name }

// demoYAML is a configuration like the demo's: a US bucket and its
// Singapore replica migrated to OCI in Ashburn, and an on-premises
// S3-compatible archive migrated to OCI in Phoenix.
const demoYAML = `
stores:
  legacy-us: {type: s3, bucket: legacy-us-backups, prefix: users/, region: us-east-1}
  legacy-sg: {type: s3, bucket: legacy-sg-backups, prefix: users/, region: ap-southeast-1}
  legacy-dc: {type: s3, bucket: archive, region: us-east-1, endpoint: "https://s3.dc1.example.internal", path_style: true}
  oci-us: {type: oci, namespace: acmecorp, bucket: us-users, prefix: migrated/users/, region: us-ashburn-1}
  oci-phx: {type: oci, namespace: acmecorp, bucket: archive, region: us-phoenix-1}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
  - {name: dc-archive, legacy: [legacy-dc], target: oci-phx}
state: file:///srv/parityproof/state
reports: file:///srv/parityproof/reports
policy: {deep_verify_budget: 1GiB, allowed_target_regions: [us-ashburn-1, us-phoenix-1]}
run: {checkpoint_every: 4}
`

// demoIdentity is who the fixture's runs are recorded as run by.
var demoIdentity = &state.Identity{
	AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/compliance-bot", UserID: "AIDAEXAMPLEEXAMPLE"},
	OCI: []state.OCIIdentity{{Auth: "api_key", User: "ocid1.user.oc1..aaaacompliancebot", Tenancy: "ocid1.tenancy.oc1..aaaaacmecorp", Profile: "DEFAULT", ConfigFile: "~/.oci/config"}},
}

// demo is the fixture's world: its stores, the state and reports
// locations, and the runs made so far.
type demo struct {
	t       testing.TB
	cfg     *config.Config
	stores  map[string]*memory.Store
	state   storage.Store
	reports storage.Store
	runs    []string
	reps    []*Report
}

// content returns n bytes derived from key, so that sizes differ.
func content(key string, n int) []byte {
	return bytes.Repeat([]byte(key+"\n"), n/(len(key)+1)+1)[:n]
}

// newDemo seeds the stores as they are on the first day: every legacy
// object migrated, with faults planted (one object never copied, one
// copied wrong, one copied without a checksum, one that appeared only in
// the target). state and reports are where the runs keep their files.
func newDemo(t testing.TB, state, reports storage.Store) *demo {
	t.Helper()
	cfg, err := config.Parse(filepath.Join("/srv/parityproof", "parityproof.yaml"), []byte(demoYAML))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC) }
	d := &demo{t: t, cfg: cfg, stores: map[string]*memory.Store{}, state: state, reports: reports}
	for _, name := range cfg.StoreNames {
		d.stores[name] = memory.New(name, memory.WithClock(clock))
	}
	for i := range 12 {
		key := fmt.Sprintf("%05d/backup.tar", i)
		body := content(key, 40_000+i*7_919)
		d.stores["legacy-us"].Put(key, body)
		d.stores["legacy-sg"].Put(key, body)
		d.stores["oci-us"].Put(key, body)
	}
	for i := range 6 {
		key := fmt.Sprintf("2019/%02d/ledger.db", i+1)
		body := content(key, 250_000+i*31_337)
		d.stores["legacy-dc"].Put(key, body)
		d.stores["oci-phx"].Put(key, body)
	}
	d.stores["oci-us"].Delete("00003/backup.tar")
	d.stores["oci-us"].Put("00007/backup.tar", content("00007/backup.tar corrupted", 40_000+7*7_919))
	d.stores["oci-us"].Put("tmp/upload-test.bin", content("tmp", 1_000))
	// Copied without any checksum the target can show, and unreadable.
	d.stores["legacy-us"].Put("00012/notes.txt", content("notes", 2_000))
	d.stores["legacy-sg"].Put("00012/notes.txt", content("notes", 2_000))
	d.stores["oci-us"].Set(memory.Object{Listed: inventory.Fingerprint{Key: "00012/notes.txt", Size: 2_000, Modified: clock()}})
	return d
}

// run verifies every pair on day and publishes the report.
func (d *demo) run(day int) *Report {
	d.t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, day, 22, 0, 0, 0, time.UTC)
	r := verify.New(verify.Options{Config: d.cfg, State: state.New(d.state), Now: func() time.Time { return at }, ToolVersion: "v0.9.0-test",
		RanBy: func(context.Context) *state.Identity { return demoIdentity },
		Open: func(ctx context.Context, s config.Store, _ int) (inventory.Store, error) {
			return d.stores[s.Name], nil
		}})
	res, err := r.Run(ctx, false)
	if err != nil {
		d.t.Fatal(err)
	}
	rep, err := Build(ctx, d.cfg, state.New(d.state), res.Record.RunID, WithHistory(d.reports))
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := Publish(ctx, d.reports, rep); err != nil {
		d.t.Fatal(err)
	}
	d.runs = append(d.runs, rep.RunID)
	d.reps = append(d.reps, rep)
	return rep
}

// deleteLegacy deletes key from the named legacy stores.
func (d *demo) deleteLegacy(key string, stores ...string) {
	for _, s := range stores {
		d.stores[s].Delete(key)
	}
}

// lifeCycle runs the demo's three weeks: the first verification, the
// on-premises archive deleted, then most of the US users' legacy copies,
// including one that was never copied and one whose copy is since lost.
// It returns the last report.
func (d *demo) lifeCycle() *Report {
	d.run(1)
	for i := range 6 {
		d.deleteLegacy(fmt.Sprintf("2019/%02d/ledger.db", i+1), "legacy-dc")
	}
	for _, k := range []string{"00000/backup.tar", "00002/backup.tar"} {
		d.deleteLegacy(k, "legacy-us", "legacy-sg")
	}
	d.run(8)
	for _, k := range []string{"00001/backup.tar", "00003/backup.tar", "00004/backup.tar", "00005/backup.tar"} {
		d.deleteLegacy(k, "legacy-us", "legacy-sg")
	}
	d.deleteLegacy("00006/backup.tar", "legacy-us")
	d.stores["oci-us"].Delete("00001/backup.tar")
	return d.run(15)
}
