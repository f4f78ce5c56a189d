package report

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

const cfgYAML = `
stores:
  legacy-us: {type: s3, bucket: legacy-us, region: us-east-1}
  oci-us: {type: oci, namespace: acme, bucket: us-users, region: us-ashburn-1}
pairs:
  - {name: us-users, legacy: [legacy-us], target: oci-us}
run: {checkpoint_every: 4}
`

// fixture runs a small pair once, with planted faults, and returns its
// configuration, state and run id.
func fixture(t *testing.T) (*config.Config, *state.State, string) {
	t.Helper()
	return fixtureRanBy(t, nil)
}

// fixtureRanBy is fixture, its run begun by ranBy (nil for nobody).
func fixtureRanBy(t *testing.T, ranBy *state.Identity) (*config.Config, *state.State, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "c.yaml"), []byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*memory.Store{"legacy-us": memory.New("legacy-us"), "oci-us": memory.New("oci-us")}
	for i := range 10 {
		key := fmt.Sprintf("users/%05d/backup.bin", i)
		stores["legacy-us"].Put(key, []byte("content "+key))
		stores["oci-us"].Put(key, []byte("content "+key))
	}
	stores["oci-us"].Delete("users/00003/backup.bin")
	stores["oci-us"].Put("users/00007/backup.bin", []byte("content users/00007/backup.biN"))
	stores["oci-us"].Put("users/extra.bin", []byte("extra"))
	dirStore, _ := storage.NewDir(filepath.Join(dir, "state"))
	st := state.New(dirStore)
	at := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	r := verify.New(verify.Options{Config: cfg, State: st, Now: func() time.Time { return at }, ToolVersion: "test",
		RanBy: func(context.Context) *state.Identity { return ranBy },
		Open:  func(ctx context.Context, s config.Store, _ int) (inventory.Store, error) { return stores[s.Name], nil }})
	res, err := r.Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, st, res.Record.RunID
}

// allExceptions reads every exception of a report, streamed from the state
// for a report Build made.
func allExceptions(t testing.TB, r *Report) []Exception {
	t.Helper()
	var out []Exception
	if err := r.EachException(context.Background(), func(x *Exception) error {
		out = append(out, *x)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildCountsAndExceptions(t *testing.T) {
	cfg, st, runID := fixture(t)
	rep, err := Build(context.Background(), cfg, st, runID)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := func(m map[ledger.Verdict]int64) map[ledger.Verdict]int64 {
		out := map[ledger.Verdict]int64{}
		for _, v := range ledger.Verdicts {
			out[v] = m[v]
		}
		return out
	}
	want := verdicts(map[ledger.Verdict]int64{ledger.Verified: 8, ledger.Missing: 1, ledger.Mismatch: 1, ledger.Extra: 1})
	if diff := cmp.Diff(want, rep.Totals.Verdicts); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	type ex struct {
		Key     string
		Verdict ledger.Verdict
		Detail  string
	}
	var got []ex
	for _, x := range allExceptions(t, rep) {
		got = append(got, ex{x.Key, x.Verdict, x.Detail})
	}
	wantEx := []ex{
		{"users/00003/backup.bin", ledger.Missing, "no copy in oci-us"},
		{"users/00007/backup.bin", ledger.Mismatch, "md5 differs: legacy-us has md5:" + md5hex("content users/00007/backup.bin") + ", oci-us has md5:" + md5hex("content users/00007/backup.biN")},
	}
	if diff := cmp.Diff(wantEx, got); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	if rep.Pairs[0].Attested {
		t.Error("a pair with legacy copies left is attested")
	}
}

func TestAttestHoldsAndCatchesAFlippedByte(t *testing.T) {
	ctx := context.Background()
	cfg, st, runID := fixture(t)
	rep, err := Build(ctx, cfg, st, runID)
	if err != nil {
		t.Fatal(err)
	}
	reports, _ := storage.NewDir(t.TempDir())
	pub, err := Publish(ctx, reports, rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, FetchFile, pub.ReportURL); err != nil {
		t.Fatalf("a fresh report does not hold: %v", err)
	}
	m, _, err := st.ReadManifest(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	files := m.Pairs[0].Shards[0].Files
	if len(files) < 2 {
		t.Fatalf("want several ledger files, got %d", len(files))
	}
	for _, f := range files {
		path := st.Store().(*storage.Dir).Path(state.RunDir(runID) + f.Path)
		orig, _ := os.ReadFile(path)
		for _, at := range []int{0, len(orig) / 2, len(orig) - 1} {
			flipped := bytes.Clone(orig)
			flipped[at] ^= 0x04
			os.WriteFile(path, flipped, 0o644)
			_, err := Attest(ctx, FetchFile, pub.ReportURL)
			if err == nil || !strings.Contains(err.Error(), f.Path) {
				t.Errorf("a byte flipped at %d of %s: %v, want an error naming the file", at, f.Path, err)
			}
		}
		os.WriteFile(path, orig, 0o644)
	}
	if _, err := Attest(ctx, FetchFile, pub.ReportURL); err != nil {
		t.Fatalf("restored report does not hold: %v", err)
	}
	// A report whose numbers were edited does not hold either.
	rp := strings.TrimPrefix(pub.ReportURL, "file://")
	orig, _ := os.ReadFile(rp)
	os.WriteFile(rp, bytes.Replace(orig, []byte(`"missing": 1`), []byte(`"missing": 0`), 1), 0o644)
	if _, err := Attest(ctx, FetchFile, pub.ReportURL); err == nil || !strings.Contains(err.Error(), "missing: report 0, ledger 1") {
		t.Errorf("an edited count: %v", err)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A run that is not there is a storage.ErrNotExist, which the command
// line turns into a usage error.
func TestBuildOfAnUnknownRun(t *testing.T) {
	cfg, st, _ := fixture(t)
	_, err := Build(context.Background(), cfg, st, "20991231T000000Z-0000")
	if !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping storage.ErrNotExist", err)
	}
}

// A report names who began the run, as the run's record says, even when
// someone else rebuilds it: Build takes no identity of its own.
func TestBuildNamesWhoBeganTheRun(t *testing.T) {
	starter := &state.Identity{AWS: &state.AWSIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/parityproof/scheduler", UserID: "AROA:scheduler"}}
	cfg, st, runID := fixtureRanBy(t, starter)
	for range 2 {
		rep, err := Build(context.Background(), cfg, st, runID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(starter, rep.RanBy); diff != "" {
			t.Errorf("ran_by (-want +got):\n%s", diff)
		}
	}
	// A run begun by nobody known names nobody.
	cfg, st, runID = fixture(t)
	if rep, err := Build(context.Background(), cfg, st, runID); err != nil || rep.RanBy != nil {
		t.Errorf("ran_by of a run without one: %+v, %v", rep.RanBy, err)
	}
}
