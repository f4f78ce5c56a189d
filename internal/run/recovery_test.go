package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/verify"
)

// runFolders lists the run folders at the world's state location.
func (w *world) runFolders() []string {
	w.t.Helper()
	entries, err := os.ReadDir(filepath.Join(w.dir, "state", "runs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// firstPart is the path of the first ledger part of a complete run.
func (w *world) firstPart(runID string) string {
	w.t.Helper()
	st, err := storage.NewDir(filepath.Join(w.dir, "state"))
	if err != nil {
		w.t.Fatal(err)
	}
	m, _, err := state.New(st).ReadManifest(context.Background(), runID)
	if err != nil {
		w.t.Fatal(err)
	}
	return filepath.Join(w.dir, "state", "runs", runID, filepath.FromSlash(m.Pairs[0].Shards[0].Files[0].Path))
}

// A previous ledger truncated: the next run stops before it begins (no run
// folder), naming the part and the way out; --restart too; --rebase
// begins a run from the listings alone, whose record and report say which
// evidence was not used and why.
func TestTruncatedPreviousLedger(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.runAndPublish(w.runner(day(1), starter, Options{}))
	part := w.firstPart(first.Report.RunID)
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, restart := range []bool{false, true} {
		_, err := w.runner(day(2), starter, Options{}).Execute(ctx, restart)
		if !errors.Is(err, verify.ErrPreviousLedger) || !errors.Is(err, state.ErrLedgerDamaged) || !Permanent(err) {
			t.Fatalf("restart=%v: %v, want a permanent ErrPreviousLedger", restart, err)
		}
		for _, want := range []string{filepath.ToSlash(part), "bytes, but the manifest says", "parityproof run --rebase"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("restart=%v: the error does not say %q: %v", restart, want, err)
			}
		}
	}
	if diff := cmp.Diff([]string{first.Report.RunID}, w.runFolders()); diff != "" {
		t.Errorf("failed starts left run folders (-want +got):\n%s", diff)
	}
	r := w.runner(day(2), starter, Options{})
	res, err := r.ExecuteWith(ctx, StartOptions{Rebase: true})
	if err != nil {
		t.Fatalf("--rebase: %v", err)
	}
	want := &state.Rebase{RunID: first.Report.RunID}
	if got := res.Record.Rebased; got == nil || got.RunID != want.RunID || !strings.Contains(got.Reason, "bytes, but the manifest says") || res.Record.PreviousRunID != "" {
		t.Errorf("the rebased run's record: previous %q, rebased %+v", res.Record.PreviousRunID, got)
	}
	pub, err := r.Publish(ctx, res.Record.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Record.Rebased, pub.Report.Rebased); diff != "" {
		t.Errorf("report.json's rebased (-record +report):\n%s", diff)
	}
	if _, err := report.Attest(ctx, report.FetchFile, pub.Published.ReportURL); err != nil {
		t.Errorf("the rebased run's report: %v", err)
	}
	// The run after it continues the rebased run.
	third, err := w.runner(day(3), starter, Options{}).Execute(ctx, false)
	if err != nil || third.Record.PreviousRunID != res.Record.RunID {
		t.Errorf("the next run: %v, previous %q, want %q", err, third.Record.PreviousRunID, res.Record.RunID)
	}
}

// A previous ledger part changed in place (same size): found by the shard
// that reads it, recorded in damaged.json, and every later start stops
// before it begins.
func TestChangedPreviousLedgerIsRemembered(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.runAndPublish(w.runner(day(1), starter, Options{}))
	part := w.firstPart(first.Report.RunID)
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(part, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = w.runner(day(2), starter, Options{}).Execute(ctx, false)
	if !errors.Is(err, verify.ErrPreviousLedger) || !Permanent(err) || !strings.Contains(err.Error(), "--rebase") {
		t.Fatalf("the run that finds the damage: %v", err)
	}
	folders := w.runFolders()
	if len(folders) != 2 {
		t.Fatalf("run folders %v: want the first run's and the one that found the damage", folders)
	}
	st, _ := storage.NewDir(filepath.Join(w.dir, "state"))
	d, err := state.New(st).Damaged(ctx, first.Report.RunID)
	if err != nil || d == nil || d.File != "file://"+filepath.ToSlash(part) {
		t.Fatalf("damaged.json: %+v, %v", d, err)
	}
	for _, restart := range []bool{false, true} {
		_, err := w.runner(day(3), starter, Options{}).Execute(ctx, restart)
		if !errors.Is(err, verify.ErrPreviousLedger) || !strings.Contains(err.Error(), filepath.ToSlash(part)) {
			t.Errorf("restart=%v after the damage was found: %v", restart, err)
		}
	}
	if diff := cmp.Diff(folders, w.runFolders()); diff != "" {
		t.Errorf("later starts left run folders (-want +got):\n%s", diff)
	}
	res, err := w.runner(day(3), starter, Options{}).ExecuteWith(ctx, StartOptions{Rebase: true})
	if err != nil || res.Record.Rebased == nil || !strings.Contains(res.Record.Rebased.Reason, "its ledger is damaged: ledger file://"+filepath.ToSlash(part)) {
		t.Fatalf("--rebase: %+v, %v", res.Record.Rebased, err)
	}
}

// A complete run whose report could not be published: the next
// invocation publishes it before anything else.
func TestPendingReportPublishedFirst(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	res, err := w.runner(day(1), starter, Options{}).Execute(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Its report was never published (the process died, or the reports
	// location refused it).
	n := &recordingNotifier{}
	r := w.runner(day(2), starter, Options{Notifier: n})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Pending(); p == nil || p.Report.RunID != res.Record.RunID {
		t.Fatalf("the pending report published first: %+v", p)
	}
	if rec.PreviousRunID != res.Record.RunID {
		t.Errorf("the new run continues %q, want %q", rec.PreviousRunID, res.Record.RunID)
	}
	if diff := cmp.Diff([]string{res.Record.RunID}, n.runs); diff != "" {
		t.Errorf("announced (-want +got):\n%s", diff)
	}
	if ok, err := report.IsPublished(ctx, r.Reports(), res.Record.RunID); !ok || err != nil {
		t.Errorf("the pending report is not published: %v", err)
	}
	// Nothing is pending any more.
	r2 := w.runner(day(2), starter, Options{Notifier: n})
	if _, err := r2.Begin(ctx, false); err != nil || r2.Pending() != nil {
		t.Errorf("a second begin: pending %+v, %v", r2.Pending(), err)
	}
}

// Two runners on one state location: exactly one runs, the other is told
// who holds the location; once the first is done, the second can run.
func TestOneWriterPerStateLocation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.runner(day(1), starter, Options{Holder: "runner one"})
	held := make(chan struct{})
	release := make(chan struct{})
	// Hold the lease as a run does, from the first runner.
	go func() {
		_, done, err := first.acquire(ctx, "running a run")
		if err != nil {
			t.Error(err)
			close(held)
			return
		}
		close(held)
		<-release
		done()
	}()
	<-held
	second := w.runner(day(1), starter, Options{Holder: "runner two"})
	_, err := second.Execute(ctx, false)
	var he *storage.HeldError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &he) || Permanent(err) {
		t.Fatalf("a second run: %v, want ErrBusy with a HeldError, not permanent", err)
	}
	if !strings.Contains(err.Error(), "runner one, running a run") {
		t.Errorf("the error does not name the holder: %v", err)
	}
	if len(w.runFolders()) != 0 {
		t.Errorf("a refused run left %v", w.runFolders())
	}
	close(release)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			if _, err := w.runner(day(1), starter, Options{Holder: "runner two"}).Execute(ctx, false); err == nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Error("the second run never got the lease")
	})
	wg.Wait()
}

// A shard whose lease another writer holds is not verified by this one.
func TestShardLease(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := w.runner(day(1), starter, Options{Holder: "invocation A"})
	rec, err := r.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := rec.Pairs[0].Shards[0]
	st, _ := storage.NewDir(filepath.Join(w.dir, "state"))
	l, err := state.New(st).AcquireShardLease(ctx, rec.RunID, "us-users", sh.ID, storage.LeaseOptions{Holder: "invocation B", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.RunShard(ctx, rec.RunID, "us-users", sh.Range)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "invocation B") {
		t.Errorf("a shard held by another: %v", err)
	}
	if cp, _ := state.New(st).ReadCheckpoint(ctx, rec.RunID, "us-users", sh.ID); len(cp.Parts) != 0 {
		t.Errorf("a shard held by another was written: %+v", cp)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, res, err := r.RunShard(ctx, rec.RunID, "us-users", sh.Range); err != nil || !res.Done {
		t.Errorf("the shard once free: %+v, %v", res, err)
	}
}

// A report signed with a KMS key (moto's KMS) is checked by attest verify
// with the key's public half alone.
func TestKMSSignedReport(t *testing.T) {
	srv := motoEnv(t)
	ctx := context.Background()
	client := kms.New(kms.Options{Region: motoserver.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(motoserver.AccessKeyID, motoserver.SecretAccessKey, "")})
	for _, spec := range []kmstypes.KeySpec{kmstypes.KeySpecEccNistP256, kmstypes.KeySpecRsa2048} {
		t.Run(string(spec), func(t *testing.T) {
			key, err := client.CreateKey(ctx, &kms.CreateKeyInput{KeyUsage: kmstypes.KeyUsageTypeSignVerify, KeySpec: spec})
			if err != nil {
				t.Fatal(err)
			}
			signer, err := NewSigner(ctx, config.Signing{KMSKey: aws.ToString(key.KeyMetadata.Arn), Region: motoserver.Region, Endpoint: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			w := newWorld(t)
			pubs := w.lifeCycle(Options{Signer: signer})
			pk, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: key.KeyMetadata.KeyId})
			if err != nil {
				t.Fatal(err)
			}
			checks, err := report.AttestWith(ctx, report.FetchFile, pubs[1].Published.ReportURL, report.AttestOptions{PublicKey: pk.PublicKey})
			if err != nil {
				t.Fatalf("%v\n%+v", err, checks)
			}
			last := checks[len(checks)-1]
			if !strings.Contains(last.What, aws.ToString(key.KeyMetadata.KeyId)) || !strings.HasSuffix(last.What, "the trusted key") {
				t.Errorf("the signature check: %+v", last)
			}
		})
	}
	// A key that cannot sign is refused before anything is written.
	sym, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(ctx, config.Signing{KMSKey: aws.ToString(sym.KeyMetadata.Arn), Region: motoserver.Region, Endpoint: srv.URL}); !errors.Is(err, ErrSigning) || !Permanent(err) {
		t.Errorf("a symmetric key: %v, want a permanent ErrSigning", err)
	}
}
