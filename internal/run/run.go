// Package run runs verifications end to end: it plans a run's shards,
// verifies them with the engine through a bounded pool of workers,
// checkpoints each shard's ledger as it goes, and writes the manifest when
// every shard is done. The command line and the Lambda functions share it.
//
// A run survives being killed at any moment: its record, checkpoints and
// ledger parts are written atomically, a shard's ledger parts end at fixed
// entry counts, and a resumed run continues from the last checkpoint with
// the run's own clock, so it ends with the manifest an uninterrupted run
// would have written.
package run

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/parity"
	"github.com/parityproof/parityproof/internal/storage"
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

// Options configure a Runner.
type Options struct {
	Config *config.Config
	Open   StoreOpener
	// State is where ledgers, checkpoints and manifests go.
	State storage.Store
	// Now is the clock; nil means time.Now.
	Now         func() time.Time
	Logger      *slog.Logger
	Progress    Progress
	ToolVersion string
	// RanBy describes who runs it (JSON), recorded in a new run's record.
	RanBy json.RawMessage
}

// Runner runs verifications of one configuration.
type Runner struct {
	opts   Options
	cfg    *config.Config
	st     storage.Store
	log    *slog.Logger
	budget budget

	mu     sync.Mutex
	stores map[string]inventory.Store
}

// New returns a Runner.
func New(opts Options) *Runner {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{opts: opts, cfg: opts.Config, st: opts.State, log: opts.Logger, stores: map[string]inventory.Store{}}
}

// ErrConfigChanged is returned by Begin when a run in progress was started
// with another configuration.
var ErrConfigChanged = errors.New("the run in progress was started with another configuration")

// Begin resumes the run in progress, or plans and records a new one. With
// restart, a run in progress is left as it is and a new one begins.
func (r *Runner) Begin(ctx context.Context, restart bool) (*Record, error) {
	var cur pointer
	if _, err := getJSON(ctx, r.st, "current.json", &cur); err != nil {
		return nil, err
	}
	if cur.RunID != "" && !restart {
		rec, err := r.Resume(ctx, cur.RunID)
		if errors.Is(err, ErrConfigChanged) {
			return nil, fmt.Errorf("%w (rerun with --restart to begin a new run)", err)
		}
		if err != nil {
			return nil, fmt.Errorf("resuming run %s: %w", cur.RunID, err)
		}
		r.log.Info("resuming run", "run_id", rec.RunID, "started_at", rec.StartedAt)
		return rec, nil
	}
	now := r.opts.Now().UTC().Truncate(time.Second)
	rec := &Record{
		Schema:       RecordSchema,
		RunID:        NewRunID(now),
		StartedAt:    now,
		ConfigDigest: r.cfg.Digest,
		ToolVersion:  r.opts.ToolVersion,
		RanBy:        r.opts.RanBy,
	}
	prev, err := LatestRunID(ctx, r.st)
	if err != nil {
		return nil, err
	}
	rec.PreviousRunID = prev
	if rec.Pairs, err = r.plan(ctx, prev); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, r.st, recordName(rec.RunID), rec); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, r.st, "current.json", pointer{RunID: rec.RunID}); err != nil {
		return nil, err
	}
	r.budget.left.Store(r.cfg.Policy.DeepVerifyBudget)
	r.log.Info("run begins", "run_id", rec.RunID, "previous_run_id", prev, "shards", countShards(rec))
	return rec, nil
}

// spent sums the deep verification bytes the run's checkpoints recorded.
func (r *Runner) spent(ctx context.Context, rec *Record) int64 {
	var n int64
	for _, p := range rec.Pairs {
		for _, s := range p.Shards {
			var cp Checkpoint
			if ok, err := getJSON(ctx, r.st, checkpointName(rec.RunID, p.Name, s.ID), &cp); ok && err == nil {
				n += cp.DeepBytes
			}
		}
	}
	return n
}

func countShards(rec *Record) int {
	n := 0
	for _, p := range rec.Pairs {
		n += len(p.Shards)
	}
	return n
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
	Record         *Record
	ManifestURL    string
	ManifestSHA256 string
	// Tallies holds each pair's counts, in the configuration's order.
	Tallies map[string]*ledger.Tally
}

// Run resumes or begins a run and verifies every shard, restart as in
// Begin. It returns when the run is complete, or with an error that leaves
// it resumable.
func (r *Runner) Run(ctx context.Context, restart bool) (*Result, error) {
	rec, err := r.Begin(ctx, restart)
	if err != nil {
		return nil, err
	}
	if r.opts.Progress != nil {
		r.opts.Progress.Planned(countShards(rec))
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
		return nil, fmt.Errorf("run %s could not complete (it resumes where it stopped): %w", rec.RunID, firstErr)
	}
	return r.Finish(ctx, rec)
}

// ShardResult is the outcome of one invocation of RunShard.
type ShardResult struct {
	Done   bool
	Cursor string
	Tally  ledger.Tally
}

// findShard returns the planned shard.
func findShard(rec *Record, pair, shard string) (PlannedShard, error) {
	for _, p := range rec.Pairs {
		if p.Name != pair {
			continue
		}
		for _, s := range p.Shards {
			if s.ID == shard {
				return s, nil
			}
		}
	}
	return PlannedShard{}, fmt.Errorf("run %s has no shard %s of pair %q", rec.RunID, shard, pair)
}

// ShardByRange returns the id of the planned shard of pair covering
// exactly [start, end), as Distributed Map items name them.
func ShardByRange(rec *Record, pair string, r inventory.KeyRange) (string, error) {
	for _, p := range rec.Pairs {
		if p.Name != pair {
			continue
		}
		for _, s := range p.Shards {
			if s.Range == r {
				return s.ID, nil
			}
		}
		return "", fmt.Errorf("run %s: pair %q has no shard %s", rec.RunID, pair, r)
	}
	return "", fmt.Errorf("run %s has no pair %q", rec.RunID, pair)
}

// openStore returns the named store, opening it once per Runner.
func (r *Runner) openStore(ctx context.Context, name string) (inventory.Store, error) {
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
		return nil, fmt.Errorf("opening store %s: %w", name, err)
	}
	r.stores[name] = s
	return s, nil
}

// engineFor builds the engine of a pair, opening its stores.
func (r *Runner) engineFor(ctx context.Context, rec *Record, pair config.Pair, res *resolver) (*parity.Engine, []inventory.Store, inventory.Store, error) {
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
		Now:      rec.StartedAt,
		Resolver: res,
	})
	return e, legacy, target, err
}

// Finish writes the manifest of a run whose shards are all done, points
// latest.json at it and clears current.json.
func (r *Runner) Finish(ctx context.Context, rec *Record) (*Result, error) {
	m := &ledger.Manifest{Schema: ledger.ManifestSchema}
	res := &Result{Record: rec, Tallies: map[string]*ledger.Tally{}}
	for _, p := range rec.Pairs {
		mp := ledger.ManifestPair{Name: p.Name}
		for _, s := range p.Shards {
			var cp Checkpoint
			ok, err := getJSON(ctx, r.st, checkpointName(rec.RunID, p.Name, s.ID), &cp)
			if err != nil {
				return nil, err
			}
			if !ok || !cp.Done {
				return nil, fmt.Errorf("run %s: shard %s of pair %s is not done", rec.RunID, s.ID, p.Name)
			}
			mp.Shards = append(mp.Shards, ledger.ManifestShard{ID: s.ID, Range: s.Range, Files: cp.Parts})
		}
		m.Pairs = append(m.Pairs, mp)
	}
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if err := r.st.Put(ctx, manifestName(rec.RunID), bytes.NewReader(b), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, r.st, finishedName(rec.RunID), finished{FinishedAt: r.opts.Now().UTC().Truncate(time.Second)}); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, r.st, "latest.json", pointer{RunID: rec.RunID}); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, r.st, "current.json", pointer{}); err != nil {
		return nil, err
	}
	res.ManifestURL = ManifestURL(r.st, rec.RunID)
	res.ManifestSHA256 = ledger.ManifestDigest(b)
	r.log.Info("run complete", "run_id", rec.RunID, "manifest", res.ManifestURL, "sha256", res.ManifestSHA256)
	return res, nil
}
