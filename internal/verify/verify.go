// Package verify carries out a run's verification: it plans the run's
// shards, verifies them with the engine through a bounded pool of workers,
// checkpoints each shard's ledger as it goes, and writes the manifest when
// every shard is done. It is the working part of a run; internal/run, the
// one API every entry point calls, wraps it with who runs it, the report
// and its announcements.
//
// A run survives being killed at any moment: its record, checkpoints and
// ledger parts are written atomically, a shard's ledger parts end at fixed
// entry counts, and a resumed run continues from the last checkpoint with
// the run's own clock, so it ends with the manifest an uninterrupted run
// would have written.
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// StoreOpener opens the inventory.Store a store's configuration describes.
type StoreOpener func(ctx context.Context, s config.Store, pageSize int) (inventory.Store, error)

// Progress receives a run's progress, for terminals and logs. Its methods
// are called from several goroutines.
type Progress interface {
	// Planned is called once the shards are known.
	Planned(shards int)
	// Judged is called for each batch of entries written.
	Judged(entries, bytes int64)
	// ShardDone is called when a shard is complete.
	ShardDone(pair, shard string)
}

// Options configure a Verifier.
type Options struct {
	Config *config.Config
	Open   StoreOpener
	// State is where ledgers, checkpoints and manifests go.
	State *state.State
	// Now is the clock; nil means time.Now.
	Now         func() time.Time
	Logger      *slog.Logger
	Progress    Progress
	ToolVersion string
	// ClockNote, when the clock is not the wall clock (the demo's), says
	// so; it goes into the records of the runs begun.
	ClockNote string
	// RanBy says who runs a new run, for its record; nil records nobody.
	// It is asked only when a run begins.
	RanBy func(ctx context.Context) *state.Identity
	// ShardLease, when set, takes a shard's lease before the shard is
	// verified: its holder alone writes the shard's ledger parts and
	// checkpoint. nil verifies without one (tests).
	ShardLease func(ctx context.Context, runID, pair, shard string) (*ShardHold, error)
	// OpenBaseline opens the S3 Inventories of legacy stores' baselines;
	// nil refuses a configuration that names one.
	OpenBaseline BaselineOpener
}

// ShardHold is a shard's lease, held while one invocation verifies it.
type ShardHold struct {
	// Ctx, derived from the context the lease was taken with, ends when
	// the lease is lost.
	Ctx context.Context
	// Err is nil while the lease is held; it is checked before every
	// write of the shard's parts and checkpoint.
	Err func() error
	// Release gives the lease up.
	Release func()
}

// BeginOptions qualify BeginWith.
type BeginOptions struct {
	// Restart leaves a run in progress as it is and begins a new one.
	Restart bool
	// Rebase, when set, begins a new run (as Restart does) without the
	// previous run's ledger: keys are judged from the listings alone, and
	// the record says which run's evidence was not used and why.
	Rebase *state.Rebase
}

// ErrPreviousLedger is wrapped by Begin's error when the ledger of the run
// a new or resumed run continues is damaged (it also wraps
// state.ErrLedgerDamaged): a run must not rest on it.
var ErrPreviousLedger = errors.New("the previous run's ledger cannot be used")

// Verifier verifies the runs of one configuration.
type Verifier struct {
	opts   Options
	cfg    *config.Config
	st     *state.State
	log    *slog.Logger
	budget budget

	// reading bounds the bytes of content reads in flight, across shards.
	reading *semaphore.Weighted

	mu     sync.Mutex
	stores map[string]inventory.Store
}

// New returns a Verifier.
func New(opts Options) *Verifier {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{opts: opts, cfg: opts.Config, st: opts.State, log: opts.Logger, stores: map[string]inventory.Store{},
		reading: semaphore.NewWeighted(max(1, opts.Config.Run.ReadBytesInFlight))}
}

// ErrConfigChanged is returned by Begin when a run in progress was started
// with another configuration.
var ErrConfigChanged = errors.New("the run in progress was started with another configuration")

// Begin resumes the run in progress, or plans and records a new one. With
// restart, a run in progress is left as it is and a new one begins.
func (r *Verifier) Begin(ctx context.Context, restart bool) (*state.Record, error) {
	return r.BeginWith(ctx, BeginOptions{Restart: restart})
}

// checkPrevious returns an error wrapping ErrPreviousLedger when the
// ledger of the complete run prev is known to be damaged, or its manifest
// fails its digest. Nothing is written when it fails.
func (r *Verifier) checkPrevious(ctx context.Context, prev string) error {
	if prev == "" {
		return nil
	}
	d, err := r.st.Damaged(ctx, prev)
	if err != nil {
		return err
	}
	if d != nil {
		return fmt.Errorf("%w: run %s: %w", ErrPreviousLedger, prev, d.Err())
	}
	for _, check := range []func(context.Context, string) error{r.st.CheckManifest, r.st.CheckLedgerSizes} {
		if err := check(ctx, prev); err != nil {
			if errors.Is(err, state.ErrLedgerDamaged) {
				return fmt.Errorf("%w: run %s: %w", ErrPreviousLedger, prev, err)
			}
			return err
		}
	}
	return nil
}

// BeginWith resumes the run in progress, or plans and records a new one,
// as o says. Nothing is written before everything a new run needs is
// known: a failed start leaves no run behind.
func (r *Verifier) BeginWith(ctx context.Context, o BeginOptions) (*state.Record, error) {
	restart := o.Restart || o.Rebase != nil
	cur, err := r.st.Current(ctx)
	if err != nil {
		return nil, err
	}
	if cur != "" && !restart {
		rec, err := r.Resume(ctx, cur)
		if errors.Is(err, ErrConfigChanged) {
			return nil, fmt.Errorf("%w (rerun with --restart to begin a new run)", err)
		}
		if err != nil {
			return nil, fmt.Errorf("resuming run %s: %w", cur, err)
		}
		if err := r.checkPrevious(ctx, rec.PreviousRunID); err != nil {
			return nil, fmt.Errorf("resuming run %s: %w", cur, err)
		}
		r.log.Info("resuming run", "run_id", rec.RunID, "started_at", rec.StartedAt)
		return rec, nil
	}
	now := r.opts.Now().UTC().Truncate(time.Second)
	rec := &state.Record{
		Schema:       state.RecordSchema,
		RunID:        NewRunID(now),
		StartedAt:    now,
		ConfigDigest: r.cfg.Digest,
		ToolVersion:  r.opts.ToolVersion,
		Clock:        r.opts.ClockNote,
	}
	if r.opts.RanBy != nil {
		rec.RanBy = r.opts.RanBy(ctx)
	}
	prev, err := r.st.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if o.Rebase != nil {
		rec.Rebased, prev = o.Rebase, ""
	} else if err := r.checkPrevious(ctx, prev); err != nil {
		return nil, err
	}
	rec.PreviousRunID = prev
	if rec.Pairs, err = r.plan(ctx, prev); err != nil {
		return nil, err
	}
	if rec.Baselines, err = r.baselines(ctx, rec); err != nil {
		return nil, err
	}
	if err := r.st.WriteRecord(ctx, rec); err != nil {
		return nil, err
	}
	if err := r.st.SetCurrent(ctx, rec.RunID); err != nil {
		return nil, err
	}
	r.budget.left.Store(r.cfg.Policy.DeepVerifyBudget)
	r.log.Info("run begins", "run_id", rec.RunID, "previous_run_id", prev, "shards", rec.CountShards())
	return rec, nil
}

// NewRunID returns a run id: the start time and a random suffix, which
// sort in time order.
func NewRunID(t time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Result is what a complete run wrote.
type Result struct {
	Record *state.Record
	*state.Finished
}

// Run resumes or begins a run and verifies every shard, restart as in
// Begin. It returns when the run is complete, or with an error that leaves
// it resumable.
func (r *Verifier) Run(ctx context.Context, restart bool) (*Result, error) {
	rec, err := r.Begin(ctx, restart)
	if err != nil {
		return nil, err
	}
	if err := r.RunShards(ctx, rec); err != nil {
		return nil, err
	}
	return r.Finish(ctx, rec)
}

// RunShards verifies every shard of the run rec through the configured
// number of workers, each from its checkpoint. It returns when every shard
// is done, or with an error that leaves the run resumable.
func (r *Verifier) RunShards(ctx context.Context, rec *state.Record) error {
	if r.opts.Progress != nil {
		r.opts.Progress.Planned(rec.CountShards())
	}
	type job struct{ pair, shard string }
	jobs := make(chan job)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range max(1, r.cfg.Run.Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := r.RunShard(ctx, rec, j.pair, j.shard); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			select {
			case jobs <- job{p.Name, s.ID}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = parent.Err() // interrupted: shards stopped at their checkpoints
	}
	if firstErr != nil {
		return fmt.Errorf("run %s could not complete (it resumes where it stopped): %w", rec.RunID, firstErr)
	}
	return nil
}

// ShardResult is the outcome of one invocation of RunShard.
type ShardResult struct {
	Done   bool
	Cursor string
	Tally  ledger.Tally
}

// openStore returns the named store, opening it once per Verifier.
func (r *Verifier) openStore(ctx context.Context, name string) (inventory.Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.stores[name]; ok {
		return s, nil
	}
	sc, ok := r.cfg.Stores[name]
	if !ok {
		return nil, fmt.Errorf("no store named %q in %s", name, r.cfg.Path)
	}
	s, err := r.opts.Open(ctx, sc, r.cfg.Run.PageSize)
	if err != nil {
		if strings.Contains(err.Error(), name) {
			return nil, err // the backends' errors name the store already
		}
		return nil, fmt.Errorf("opening store %s: %w", name, err)
	}
	r.stores[name] = s
	return s, nil
}

// newResolver returns a resolver whose content reads share the process's
// bound on bytes in flight.
func (r *Verifier) newResolver() *resolver {
	return &resolver{stores: map[string]inventory.Store{}, reading: r.reading, limit: r.cfg.Run.ReadBytesInFlight}
}

// engineFor builds the engine of a pair, opening its stores: it resolves
// keys through res, concurrency requests at a time, taking content reads
// from b.
func (r *Verifier) engineFor(ctx context.Context, now time.Time, pair config.Pair, res *resolver, b parity.Budget, concurrency int) (*parity.Engine, []inventory.Store, inventory.Store, error) {
	p := parity.Pair{Name: pair.Name}
	var legacy []inventory.Store
	for _, name := range pair.Legacy {
		s, err := r.openStore(ctx, name)
		if err != nil {
			return nil, nil, nil, err
		}
		legacy = append(legacy, s)
		p.Legacy = append(p.Legacy, parity.StoreInfo{Name: name, Features: s.Features()})
		res.stores[name] = s
	}
	target, err := r.openStore(ctx, pair.Target)
	if err != nil {
		return nil, nil, nil, err
	}
	res.stores[pair.Target] = target
	p.Target = parity.StoreInfo{Name: pair.Target, Features: target.Features()}
	e, err := parity.New(parity.Config{
		Pair: p,
		Policy: parity.Policy{
			AcceptAssertedChecksums: r.cfg.Policy.AcceptAssertedChecksums,
			DeepVerify:              r.cfg.Policy.DeepVerifyBudget > 0,
		},
		Now:         now,
		Resolver:    res,
		Budget:      b,
		Concurrency: concurrency,
	})
	return e, legacy, target, err
}

// Finish writes the manifest of a run whose shards are all done, points
// latest.json at it and clears current.json.
func (r *Verifier) Finish(ctx context.Context, rec *state.Record) (*Result, error) {
	f, err := r.st.Finish(ctx, rec, r.opts.Now())
	if err != nil {
		return nil, err
	}
	r.log.Info("run complete", "run_id", rec.RunID, "manifest", f.ManifestURL, "sha256", f.ManifestSHA256)
	return &Result{Record: rec, Finished: f}, nil
}

// Store returns the configured store called name, opened once per
// Verifier (the preflight opens every store this way, so that the run
// reuses what it opened).
func (r *Verifier) Store(ctx context.Context, name string) (inventory.Store, error) {
	return r.openStore(ctx, name)
}
