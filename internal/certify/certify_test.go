package certify_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/certify"
	"github.com/parityproof/parityproof/internal/demo"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// history is the demo's two runs (60 objects), made once: the first
// verifies the migration with planted faults, the second follows the
// deletion of the legacy copies, not all clean. Between them every
// verdict is reached.
type history struct {
	dir    string
	state  *state.State
	runs   []string
	clocks []time.Time
}

var (
	historyOnce sync.Once
	shared      *history
	sharedErr   error
)

func demoHistory(t *testing.T) *history {
	t.Helper()
	historyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certify-demo-")
		if err != nil {
			sharedErr = err
			return
		}
		start := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)
		res, err := demo.Run(context.Background(), demo.Options{Dir: filepath.Join(dir, "demo"), Objects: 60, Now: start, ToolVersion: "test"})
		if err != nil {
			sharedErr = err
			return
		}
		st, err := storage.NewDir(filepath.Join(dir, "demo", "state"))
		if err != nil {
			sharedErr = err
			return
		}
		shared = &history{dir: dir, state: state.New(st), clocks: []time.Time{start, start.Add(24 * time.Hour)}}
		for _, r := range res.Runs {
			shared.runs = append(shared.runs, r.Report.RunID)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func build(t *testing.T, h *history, subj certify.Subject) *certify.Certificate {
	t.Helper()
	c, err := certify.Build(context.Background(), h.state, subj, certify.Options{Now: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publish writes the certificate into a folder of its own and returns
// certificate.json's path.
func publish(t *testing.T, c *certify.Certificate) string {
	t.Helper()
	st, err := storage.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := certify.Publish(context.Background(), st, "", c, "parityproof")
	if err != nil {
		t.Fatal(err)
	}
	return pub.JSON
}

func verify(t *testing.T, url string) error {
	t.Helper()
	_, err := certify.Verify(context.Background(), certify.Fetcher(report.FetchFile), url)
	return err
}

// A prefix whose objects went through every verdict: the certificate
// follows each object through both runs, is not certified, and says why,
// object by object, critical first.
func TestAPrefixWithEveryVerdict(t *testing.T) {
	h := demoHistory(t)
	c := build(t, h, certify.Subject{Prefix: "0000"})
	if c.Certified {
		t.Fatalf("certified: %s", c.Statement)
	}
	seen := map[ledger.Verdict]bool{}
	for _, o := range c.Objects {
		for _, s := range o.History {
			seen[s.Verdict] = true
		}
	}
	for _, v := range ledger.Verdicts {
		if !seen[v] {
			t.Errorf("no object of the prefix was ever %s", v)
		}
	}
	want := map[ledger.Verdict]int64{ledger.Deleted: 47, ledger.Missing: 1, ledger.Mismatch: 2, ledger.DeletionIncomplete: 4,
		ledger.DeletedUnverified: 3, ledger.CopyLost: 2, ledger.Extra: 1, ledger.Error: 1, ledger.Verified: 0, ledger.Unproven: 0}
	if diff := cmp.Diff(want, c.Counts); diff != "" {
		t.Errorf("counts in the newest run (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(c.Statement, `Not certified: 13 of the 60 legacy objects of prefix "0000" are not deleted with parity proven, as run `) {
		t.Errorf("statement: %s", c.Statement)
	}
	if len(c.Reasons) != 14 || !strings.HasPrefix(c.Reasons[0], "Critical: ") || !strings.HasPrefix(c.Reasons[4], "Critical: ") || strings.HasPrefix(c.Reasons[5], "Critical: ") ||
		c.Reasons[13] != "47 objects are deleted with parity proven." {
		t.Errorf("reasons, critical first:\n%s", strings.Join(c.Reasons, "\n"))
	}
	if err := verify(t, publish(t, c)); err != nil {
		t.Errorf("the certificate does not hold: %v", err)
	}
}

// A user all of whose backups were deleted after their migration was
// proven is certified, with both proofs and the runs behind them, and
// reading only the ledger parts that cover the prefix.
func TestAFullyDeletedPrefixCertifies(t *testing.T) {
	h := demoHistory(t)
	c := build(t, h, certify.Subject{Prefix: "00005/"})
	if !c.Certified {
		t.Fatalf("not certified: %s\n%s", c.Statement, strings.Join(c.Reasons, "\n"))
	}
	want := `Certified: all 10 legacy objects of prefix "00005/" were proven identical to their copies in the target before the legacy copies were deleted; ` +
		`no legacy store holds any version of them, as run ` + h.runs[1] + ` (2026-12-01 22:00:00Z) confirmed; and the target copies still match what was proven. ` +
		`The ledgers of 2 runs back this; their digests are listed below.`
	if diff := cmp.Diff(want, c.Statement); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
	if len(c.Objects) != 10 {
		t.Fatalf("%d objects, want 10", len(c.Objects))
	}
	for _, o := range c.Objects {
		if o.Migration == nil || o.Migration.Run != h.runs[0] || !o.Migration.ProvenAt.Equal(h.clocks[0]) || o.Migration.Evidence != ledger.EvidenceMD5 {
			t.Errorf("%s: migration proof %+v, want md5 in the first run", o.Key, o.Migration)
		}
		if o.Deletion == nil || o.Deletion.Run != h.runs[1] || o.Deletion.ConfirmedBy != h.runs[1] || !o.Deletion.DeletedAt.Equal(h.clocks[1]) {
			t.Errorf("%s: deletion proof %+v, want the second run", o.Key, o.Deletion)
		}
		var stores []string
		for _, l := range o.Legacy {
			stores = append(stores, l.Store)
			if l.LastSeen != h.runs[0] || l.Gone != h.runs[1] || l.StillHeld || len(l.Versions) != 1 {
				t.Errorf("%s in %s: last seen %s, gone %s, still held %v, versions %+v", o.Key, l.Store, l.LastSeen, l.Gone, l.StillHeld, l.Versions)
			}
		}
		if diff := cmp.Diff([]string{"legacy-us", "legacy-sg"}, stores); diff != "" {
			t.Errorf("%s: legacy stores (-want +got):\n%s", o.Key, diff)
		}
	}
	// Only the parts that cover the prefix: one per run here, of several.
	for _, r := range c.Runs {
		m, _, err := h.state.ReadManifest(context.Background(), r.RunID)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, p := range m.Pairs {
			for _, s := range p.Shards {
				total += len(s.Files)
			}
		}
		if len(r.Parts) != 1 || total < 3 {
			t.Errorf("run %s: read %d of its %d parts, want 1", r.RunID, len(r.Parts), total)
		}
	}
	if err := verify(t, publish(t, c)); err != nil {
		t.Errorf("the certificate does not hold: %v", err)
	}
}

// A user whose deletion went wrong is not certified, and the certificate
// says why, object by object.
func TestAPrefixThatDoesNotCertifySaysWhy(t *testing.T) {
	h := demoHistory(t)
	c := build(t, h, certify.Subject{Prefix: "00000/"})
	want := []string{
		"Critical: 00000/backup-3.bin (pair us-users): deleted_unverified: every legacy copy is gone but parity was never proven (previous verdict: missing).",
		"Critical: 00000/backup-9.bin (pair us-users): copy_lost: every legacy copy is gone and the copy in oci-us, proven at 2026-11-30T22:00:00Z, is gone too.",
		"00000/backup-5.bin (pair us-users): mismatch: size differs: legacy-us has 1690 bytes, oci-us has 1590; size differs: legacy-sg has 1690 bytes, oci-us has 1590.",
		"00000/backup-7.bin (pair us-users): deletion_incomplete: deletion has begun but a copy remains: legacy-us no longer holds it.",
		"00000/backup-8.bin (pair us-users): deletion_incomplete: deletion has begun but a copy remains: legacy-us hides it behind a delete marker over 1 noncurrent version; legacy-sg no longer holds it.",
		"5 objects are deleted with parity proven.",
	}
	if c.Certified {
		t.Fatal("certified")
	}
	if diff := cmp.Diff(want, c.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	// The Singapore copy of backup-7 is still held; the US copy is gone.
	for _, o := range c.Objects {
		if o.Key != "00000/backup-7.bin" {
			continue
		}
		got := map[string]bool{}
		for _, l := range o.Legacy {
			got[l.Store] = l.StillHeld
		}
		if diff := cmp.Diff(map[string]bool{"legacy-us": false, "legacy-sg": true}, got); diff != "" {
			t.Errorf("still held (-want +got):\n%s", diff)
		}
	}
	if err := verify(t, publish(t, c)); err != nil {
		t.Errorf("the certificate does not hold: %v", err)
	}
	// One key alone.
	k := build(t, h, certify.Subject{Key: "00000/backup-9.bin"})
	if k.Certified || len(k.Objects) != 1 || k.Objects[0].Verdict != ledger.CopyLost {
		t.Errorf("the certificate of one key: %+v", k)
	}
	// Nothing under the prefix.
	n := build(t, h, certify.Subject{Prefix: "99999/"})
	if n.Certified || !strings.HasPrefix(n.Statement, `Not certified: no legacy object of prefix "99999/" is in the ledger of any of the 2 complete runs`) {
		t.Errorf("nothing certified: %s", n.Statement)
	}
}

// attest verify catches a ledger part that was changed after the
// certificate was issued, and a certificate that was changed.
func TestTamperingIsCaught(t *testing.T) {
	h := demoHistory(t)
	c := build(t, h, certify.Subject{Prefix: "00005/"})
	url := publish(t, c)
	// Edit the certificate: claim a proof the ledger does not hold.
	b, err := os.ReadFile(strings.TrimPrefix(url, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	var edited map[string]any
	if err := json.Unmarshal(b, &edited); err != nil {
		t.Fatal(err)
	}
	edited["objects"].([]any)[0].(map[string]any)["verdict"] = "verified"
	eb, _ := json.Marshal(edited)
	editedPath := filepath.Join(t.TempDir(), "certificate.json")
	if err := os.WriteFile(editedPath, eb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := verify(t, editedPath); err == nil || !strings.Contains(err.Error(), "differs from what the ledgers say") {
		t.Errorf("an edited certificate: %v", err)
	}

	// Edit a ledger part: one entry's verdict, well-formed and
	// recompressed, on a copy of the state.
	tampered := filepath.Join(t.TempDir(), "state")
	if err := os.CopyFS(tampered, os.DirFS(filepath.Join(h.dir, "demo", "state"))); err != nil {
		t.Fatal(err)
	}
	part := c.Runs[1].Parts[0]
	path := filepath.Join(tampered, "runs", c.Runs[1].RunID, filepath.FromSlash(part.Path))
	rewriteLedger(t, path, func(line string) string {
		return strings.Replace(line, `"verdict":"deleted"`, `"verdict":"copy_lost"`, 1)
	})
	moved := strings.ReplaceAll(string(b), filepath.Join(h.dir, "demo", "state"), tampered)
	movedPath := filepath.Join(t.TempDir(), "certificate.json")
	if err := os.WriteFile(movedPath, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	err = verify(t, movedPath)
	if err == nil || !strings.Contains(err.Error(), part.Path) || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a tampered ledger part: %v", err)
	}
}

// rewriteLedger changes every line of a gzip JSON Lines file.
func rewriteLedger(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		io.WriteString(zw, edit(line))
	}
	zw.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// explain gives one key's history across the runs, newest first.
func TestExplain(t *testing.T) {
	h := demoHistory(t)
	hs, err := certify.Explain(context.Background(), h.state, "", "00000/backup-9.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Pair != "us-users" || len(hs[0].Runs) != 2 {
		t.Fatalf("histories: %+v", hs)
	}
	var verdicts []ledger.Verdict
	for _, r := range hs[0].Runs {
		verdicts = append(verdicts, r.Entry.Verdict)
	}
	if diff := cmp.Diff([]ledger.Verdict{ledger.CopyLost, ledger.Verified}, verdicts); diff != "" {
		t.Errorf("verdicts, newest first (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := certify.WriteExplanation(&b, hs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`key "00000/backup-9.bin", pair us-users: in 2 of the 2 runs read, newest first`,
		"run " + h.runs[1] + " (2026-12-01 22:00:00Z), simulated clock: copy_lost (critical), evidence md5",
		"run " + h.runs[0] + " (2026-11-30 22:00:00Z), simulated clock: verified (ok), evidence md5",
		"  proven:   2026-11-30 22:00:00Z by md5: target size 1690",
		"  legacy  legacy-us  gone (held it before)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the explanation lacks %q:\n%s", want, b.String())
		}
	}
	none, err := certify.Explain(context.Background(), h.state, "", "no/such/key", 1)
	if err != nil || len(none) != 0 {
		t.Errorf("a key no ledger holds: %v, %v", none, err)
	}
	if slices.ContainsFunc(hs[0].Runs, func(r certify.KeyInRun) bool { return r.Part == "" }) {
		t.Error("a run's ledger part is not named")
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// certificate.html is one page that loads nothing and shows the
// statement, every object and every run's digest.
func TestCertificateHTML(t *testing.T) {
	h := demoHistory(t)
	c := build(t, h, certify.Subject{Prefix: "00000/"})
	b, err := c.HTML("parityproof attest verify /x/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	wants := []string{`content="default-src 'none'; style-src 'unsafe-inline'`, "parityproof attest verify /x/certificate.json", "Not certified: 5 of the 10 legacy objects"}
	for _, o := range c.Objects {
		wants = append(wants, `data-key="`+o.Key+`"`)
	}
	for _, r := range c.Runs {
		wants = append(wants, r.SHA256)
		for _, p := range r.Parts {
			wants = append(wants, p.SHA256)
		}
	}
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("certificate.html lacks %q", w)
		}
	}
	for _, bad := range []string{"<script", "src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("certificate.html holds %q: it must load nothing", bad)
		}
	}
}

// IsCertificate tells a certificate from a report by the schema each
// writes first, reading no further: a report's exceptions after it are
// never read.
func TestIsCertificate(t *testing.T) {
	endless := func(head string) io.Reader {
		return io.MultiReader(strings.NewReader(head), readerFunc(func(p []byte) (int, error) {
			for i := range p {
				p[i] = ' '
			}
			return len(p), nil
		}))
	}
	got := map[string]bool{}
	for name, r := range map[string]io.Reader{
		"certificate":                 strings.NewReader(`{"schema": "` + certify.Schema + `", "subject": {}}`),
		"certificate, schema last":    strings.NewReader(`{"subject": {"prefix": "a/"}, "Schema": "` + certify.Schema + `"}`),
		"report, exceptions unending": endless(`{"schema": "parityproof.report/v1", "exceptions": [`),
		"certificate, rest unending":  endless(`{"schema": "` + certify.Schema + `", "subject": `),
		"schema not a string":         strings.NewReader(`{"schema": 1}`),
		"no schema":                   strings.NewReader(`{"subject": {}}`),
		"not an object":               strings.NewReader(`["` + certify.Schema + `"]`),
		"not JSON":                    strings.NewReader(`certificate`),
		"empty":                       strings.NewReader(``),
	} {
		got[name] = certify.IsCertificate(r)
	}
	want := map[string]bool{
		"certificate": true, "certificate, schema last": true, "certificate, rest unending": true,
		"report, exceptions unending": false, "schema not a string": false, "no schema": false,
		"not an object": false, "not JSON": false, "empty": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IsCertificate (-want +got):\n%s", diff)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
