// Package report builds a run's report from its evidence ledger — every
// number in it is recomputed from the ledger files the manifest lists — and
// renders it as report.json (parityproof.report/v1), exceptions.csv,
// summary.md and a self-contained report.html, writes the four files to
// the reports location, and attests a report against its ledger. It reads
// a run's files through internal/state and knows nothing of how runs are
// carried out (internal/run) or announced.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// Schema names the report format.
const Schema = "parityproof.report/v1"

// Report is report.json. Its field names are a contract (DESIGN.md):
// scripts and auditors depend on them. Fields are only ever added.
type Report struct {
	Schema        string    `json:"schema"`
	RunID         string    `json:"run_id"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	ToolVersion   string    `json:"tool_version"`
	Complete      bool      `json:"complete"`
	ConfigDigest  string    `json:"config_digest"`
	PreviousRunID string    `json:"previous_run_id,omitempty"`
	// Clock says how the run's clock was not the wall clock (the demo's
	// simulated days), as its record says; empty for a real run.
	Clock string `json:"clock,omitempty"`
	// RanBy is who began the run, as its record says, where known.
	RanBy *state.Identity `json:"ran_by,omitempty"`
	// Rebased is set when the run did not continue the previous run's
	// ledger (parityproof run --rebase): which run's evidence was not
	// used, and why.
	Rebased *state.Rebase `json:"rebased,omitempty"`
	Totals  Totals        `json:"totals"`
	Pairs   []PairReport  `json:"pairs"`
	// Scope is what the configuration put in scope: the stores of every
	// pair and the verification policy.
	Scope Scope `json:"scope"`
	// History is the burn-down: one point per earlier complete run whose
	// report.json is at the reports location (the newest MaxHistory), then
	// this run's, oldest first.
	History []HistoryPoint `json:"history,omitempty"`
	// UnverifiedShards are the shards of a run that is not complete, whose
	// keys this report does not count: they were not verified (the state
	// machine tolerated their failure, or caught it).
	UnverifiedShards []UnverifiedShard `json:"unverified_shards,omitempty"`
	// Failure is what stopped a run that is not complete, as the state
	// machine caught it, when it was stopped.
	Failure *RunFailure `json:"failure,omitempty"`
	// Exceptions lists every key whose verdict is an exception or critical,
	// in ledger order (pair, then key): Attest checks them in that order.
	// A report Build makes leaves it empty and streams them from the run's
	// exception files instead (EachException, WriteJSON, WriteCSV): there
	// may be millions.
	Exceptions []Exception `json:"exceptions"`
	Ledger     LedgerRef   `json:"ledger"`

	// stream, when set, yields the exceptions in ledger order from the
	// state; exceptions counts them and worst holds the first
	// htmlExceptionsShown of them, critical first.
	stream     func(ctx context.Context, fn func(*Exception) error) error
	exceptions int64
	worst      []Exception
}

// RunFailure is what stopped a run: the state that failed and the error
// Step Functions caught.
type RunFailure struct {
	State string `json:"state"`
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// UnverifiedShard is a shard a report does not cover.
type UnverifiedShard struct {
	Pair  string `json:"pair"`
	Shard string `json:"shard"`
	Start string `json:"start"`
	End   string `json:"end"`
	// Cursor is the last key of its last checkpoint: the keys up to it were
	// judged, but are not counted until the shard is done.
	Cursor string `json:"cursor,omitempty"`
	// Error and Cause say why its last attempt failed, as Step Functions
	// told it; empty when no failure was recorded.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// Totals counts every key of the run.
type Totals struct {
	Objects  int64                    `json:"objects"`
	Bytes    int64                    `json:"bytes"`
	Verdicts map[ledger.Verdict]int64 `json:"verdicts"`
}

// PairReport is one pair's counts and attestation.
type PairReport struct {
	Name     string                   `json:"name"`
	Legacy   []string                 `json:"legacy"`
	Target   string                   `json:"target"`
	Objects  int64                    `json:"objects"`
	Verdicts map[ledger.Verdict]int64 `json:"verdicts"`
	Bytes    map[ledger.Verdict]int64 `json:"bytes"`
	// Evidence counts the keys resting on each kind of evidence.
	Evidence map[ledger.Evidence]int64 `json:"evidence"`
	Attested bool                      `json:"attested"`
	// Statement says in words whether the pair is attested, and why not.
	Statement string `json:"statement"`
	// UnverifiedShards counts the pair's shards the run did not verify.
	UnverifiedShards int `json:"unverified_shards,omitempty"`
	// Baseline says which of the pair's verdicts were judged from S3
	// Inventories of its legacy stores taken before its first run (keys
	// deleted before any run saw them); nil when the pair has none.
	Baseline *BaselineReport `json:"baseline,omitempty"`
}

// BaselineReport is what a pair's verdicts owe to baselines.
type BaselineReport struct {
	// Inventories are the S3 Inventories the pair's ledger rests on.
	Inventories []BaselineInventory `json:"inventories"`
	// Verdicts counts, for every verdict, the keys judged from them.
	Verdicts map[ledger.Verdict]int64 `json:"verdicts"`
}

// BaselineInventory is one legacy store's S3 Inventory.
type BaselineInventory struct {
	Store string `json:"store"`
	// Inventory is the manifest's location; Date its creation time.
	Inventory string    `json:"inventory"`
	Date      time.Time `json:"date"`
	// ReadBy is the run that read it: the pair's first.
	ReadBy string `json:"read_by"`
}

// Exception is one key whose verdict is an exception or critical.
type Exception struct {
	Pair     string          `json:"pair"`
	Key      string          `json:"key"`
	Verdict  ledger.Verdict  `json:"verdict"`
	Severity ledger.Severity `json:"severity"`
	Evidence ledger.Evidence `json:"evidence"`
	Detail   string          `json:"detail"`
	// Stores holds what each store listed of the key: the legacy stores in
	// the pair's order, then the target. A store that did not list the key
	// is left out.
	Stores []ExceptionStore `json:"stores,omitempty"`
}

// ExceptionStore is what one store held of an exception's key.
type ExceptionStore struct {
	Store    string `json:"store"`
	Role     string `json:"role"`
	Presence string `json:"presence"`
	Size     int64  `json:"size"`
	// Checksums are "algorithm:value[-parts] (source)".
	Checksums []string `json:"checksums,omitempty"`
}

// LedgerRef points at the evidence: the manifest and its SHA-256, and the
// run's record and its SHA-256, where the run left them at the state
// location; and where they are in a run bundle (Bundle), relative to
// report.json, so that a bundle copied or moved anywhere is checked where
// it is.
type LedgerRef struct {
	Manifest string `json:"manifest"`
	SHA256   string `json:"sha256"`
	// Record is run.json's location, RecordSHA256 the SHA-256 of its
	// bytes: who ran the run, the configuration's digest, the previous
	// run, the plan.
	Record       string `json:"record,omitempty"`
	RecordSHA256 string `json:"record_sha256,omitempty"`
	// Bundle is the run's folder in a bundle, relative to report.json
	// ("run/"): it holds run.json, manifest.json and the ledger parts
	// under the paths the manifest names.
	Bundle string `json:"bundle,omitempty"`
}

// BundleRun is the run's folder in a bundle, relative to report.json.
const BundleRun = "run/"

// Option adds to what Build reports beyond the ledger.
type Option func(*options)

type options struct {
	reports storage.Store
	log     *slog.Logger
	partial *state.Partial
	failure *RunFailure
}

// WithHistory makes the burn-down from the earlier reports at the reports
// location st. Without it the burn-down holds this run alone.
func WithHistory(st storage.Store) Option { return func(o *options) { o.reports = st } }

// FromPartial builds the report of a run that is not complete from the
// manifest of its done shards (state.FinishPartial): complete false, every
// pair not attested, the shards not done named as not verified.
func FromPartial(p *state.Partial) Option { return func(o *options) { o.partial = p } }

// WithFailure records what stopped a run that is not complete.
func WithFailure(f *RunFailure) Option { return func(o *options) { o.failure = f } }

// WithLogger receives warnings, such as an earlier report that cannot be
// read for the burn-down; without it they are discarded.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Build makes the report of a complete run from its manifest at the state
// location — each shard's tally and evidence as the shard recorded them,
// its exceptions from the exception files it wrote — reading the pairs'
// stores and the policy from cfg. Shards of a manifest written before
// shards recorded their tallies are recounted from their ledger files. Who
// began the run is its record's, whoever builds the report.
//
// The report holds the first exceptions the HTML shows, critical first,
// and streams the rest from the state when rendered: its memory does not
// grow with the number of keys or exceptions. Every file read is checked
// against its digest.
func Build(ctx context.Context, cfg *config.Config, st *state.State, runID string, opts ...Option) (*Report, error) {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, fn := range opts {
		fn(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if cfg == nil || st == nil || runID == "" {
		return nil, errors.New("building a report needs a configuration, a state location and a run id")
	}
	rec, recordDigest, err := st.ReadRecordDigest(ctx, runID)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Schema:        Schema,
		RunID:         rec.RunID,
		StartedAt:     rec.StartedAt,
		ToolVersion:   rec.ToolVersion,
		Complete:      o.partial == nil,
		ConfigDigest:  rec.ConfigDigest,
		PreviousRunID: rec.PreviousRunID,
		Clock:         rec.Clock,
		RanBy:         rec.RanBy,
		Rebased:       rec.Rebased,
		Exceptions:    []Exception{},
	}
	if !rep.Complete {
		rep.Failure = o.failure
	}
	manifest := state.ManifestName(runID)
	if o.partial != nil {
		manifest, rep.FinishedAt = o.partial.ManifestName, o.partial.At
		rep.Ledger = LedgerRef{Manifest: o.partial.ManifestURL, SHA256: o.partial.ManifestSHA256}
		for _, p := range o.partial.Pending {
			u := UnverifiedShard{Pair: p.Pair, Shard: p.Shard.ID, Start: p.Shard.Range.Start, End: p.Shard.Range.End, Cursor: p.Cursor}
			if p.Failure != nil {
				u.Error, u.Cause = p.Failure.Error, p.Failure.Cause
			}
			rep.UnverifiedShards = append(rep.UnverifiedShards, u)
		}
	} else {
		if rep.FinishedAt, err = st.FinishedAt(ctx, runID); err != nil {
			return nil, fmt.Errorf("run %s is not complete: %w", runID, err)
		}
		rep.Ledger = LedgerRef{Manifest: st.ManifestURL(runID), SHA256: ""}
	}
	rep.Ledger.Record, rep.Ledger.RecordSHA256 = st.URL(state.RecordName(runID)), recordDigest
	if o.partial == nil {
		rep.Ledger.Bundle = BundleRun // a complete run's bundle: parityproof bundle
	}

	// One pass over the manifest: the tallies, and the exceptions the HTML
	// shows (the first of each severity, in ledger order). A shard whose
	// tally says it has no exception, or none that could still be shown,
	// is not read: once the page's rows are all taken, only a critical
	// exception can still take one, and a shard's tally counts those.
	// (Publish reads every exception file, and checks each, as it streams
	// them into exceptions.csv and report.json.)
	tallies := map[string]*ledger.Tally{}
	evidence := map[string]map[ledger.Evidence]int64{}
	var worst worstExceptions
	digest, err := st.WalkManifest(ctx, manifest, func(pair string, sh *ledger.ManifestShard) error {
		if tallies[pair] == nil {
			t := ledger.NewTally()
			tallies[pair], evidence[pair] = &t, map[ledger.Evidence]int64{}
		}
		if sh.Tally == nil {
			// A manifest from before shards recorded their tallies: every
			// entry is counted from the ledger files.
			return eachShardException(ctx, st, runID, pair, sh, func(e *ledger.Entry) {
				tallies[pair].Add(e)
				evidence[pair][e.Evidence]++
			}, func(x *Exception) error {
				worst.add(x)
				return nil
			})
		}
		tallies[pair].Merge(*sh.Tally)
		for ev, n := range sh.Evidence {
			evidence[pair][ev] += n
		}
		critical := sh.Tally.Critical() // those of the shard not yet read
		if sh.Tally.Exceptions() == 0 || worst.settled(critical) {
			return nil
		}
		err := eachShardException(ctx, st, runID, pair, sh, nil, func(x *Exception) error {
			worst.add(x)
			if x.Severity == ledger.Critical {
				critical--
			}
			if worst.settled(critical) {
				return errShown
			}
			return nil
		})
		if errors.Is(err, errShown) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the ledger of run %s: %w", runID, err)
	}
	if o.partial == nil {
		rep.Ledger.SHA256 = digest
	} else if digest != o.partial.ManifestSHA256 {
		return nil, fmt.Errorf("the manifest %s has SHA-256 %s, not %s", o.partial.ManifestURL, digest, o.partial.ManifestSHA256)
	}

	total := ledger.NewTally()
	for _, p := range rec.Pairs {
		pr := PairReport{Name: p.Name, Evidence: evidence[p.Name]}
		if pr.Evidence == nil {
			pr.Evidence = map[ledger.Evidence]int64{}
		}
		if cp, err := cfg.Pair(p.Name); err == nil {
			pr.Legacy, pr.Target = cp.Legacy, cp.Target
		}
		for _, u := range rep.UnverifiedShards {
			if u.Pair == p.Name {
				pr.UnverifiedShards++
			}
		}
		t := ledger.NewTally()
		if tallies[p.Name] != nil {
			t = *tallies[p.Name]
		}
		pr.Objects, pr.Verdicts, pr.Bytes = t.Objects, t.Verdicts(), t.VerdictBytes()
		pr.Baseline = baselineOf(rec, p.Name, &t)
		pr.Attested, pr.Statement = attestation(&pr, rep.Complete)
		total.Merge(t)
		rep.Pairs = append(rep.Pairs, pr)
	}
	rep.Totals = Totals{Objects: total.Objects, Bytes: total.Bytes, Verdicts: total.Verdicts()}
	rep.exceptions = total.Exceptions()
	rep.worst = worst.list()
	rep.stream = func(ctx context.Context, fn func(*Exception) error) error {
		d, err := walkExceptions(ctx, st, runID, manifest, exceptionReaders(), fn)
		if err == nil && d != digest {
			err = fmt.Errorf("the manifest of run %s changed while its report was written (SHA-256 %s, then %s)", runID, digest, d)
		}
		return err
	}
	rep.Scope = scopeOf(cfg, rep.Pairs)
	if rep.History, err = history(ctx, o.reports, rep, o.log); err != nil {
		return nil, err
	}
	return rep, nil
}

// eachShardException calls fn with each exception of a manifest shard, in
// key order: from the shard's exception files, or, for a shard of a
// manifest written before shards recorded them, from its ledger files,
// each entry of which goes to all as well.
func eachShardException(ctx context.Context, st *state.State, runID, pair string, sh *ledger.ManifestShard,
	all func(*ledger.Entry), fn func(*Exception) error) error {
	for _, f := range shardExceptionFiles(sh) {
		err := st.ReadLedger(ctx, runID, f, func(e *ledger.Entry) error {
			if all != nil {
				all(e)
			}
			if !e.Verdict.IsException() {
				return nil
			}
			x := exceptionOf(pair, e)
			return fn(&x)
		})
		if err != nil {
			return fmt.Errorf("pair %s: %w", pair, err)
		}
	}
	return nil
}

// shardExceptionFiles are the files that hold a manifest shard's
// exceptions: its exception files, or, for a shard of a manifest written
// before shards recorded them, its ledger files.
func shardExceptionFiles(sh *ledger.ManifestShard) []ledger.ManifestFile {
	if sh.Tally == nil {
		return sh.Files
	}
	return sh.Exceptions
}

// worstExceptions keeps the first htmlExceptionsShown exceptions of each
// severity, to show the worst first.
type worstExceptions struct {
	critical, other []Exception
}

func (w *worstExceptions) add(x *Exception) {
	if x.Severity == ledger.Critical {
		if len(w.critical) < htmlExceptionsShown {
			w.critical = append(w.critical, *x)
		}
	} else if len(w.other) < htmlExceptionsShown {
		w.other = append(w.other, *x)
	}
}

// settled reports whether what list returns is final, when at most
// critical more critical exceptions are to come: every row is taken, and
// only a critical exception could still displace a non-critical one.
func (w *worstExceptions) settled(critical int64) bool {
	return len(w.critical) >= htmlExceptionsShown || critical == 0 && len(w.critical)+len(w.other) >= htmlExceptionsShown
}

// errShown stops reading a shard's exceptions once the rows shown are
// settled.
var errShown = errors.New("the exceptions shown are settled")

// list returns the first htmlExceptionsShown exceptions, critical first,
// each group in ledger order: what WorstFirst of them all would begin with.
func (w *worstExceptions) list() []Exception {
	out := append(w.critical, w.other...)
	return out[:min(len(out), htmlExceptionsShown)]
}

// EachException calls fn with every exception of the report in ledger
// order, streamed from the run's exception files for a report Build made.
func (r *Report) EachException(ctx context.Context, fn func(*Exception) error) error {
	if r.stream != nil {
		return r.stream(ctx, fn)
	}
	for i := range r.Exceptions {
		if err := fn(&r.Exceptions[i]); err != nil {
			return err
		}
	}
	return nil
}

// ExceptionCount counts the report's exceptions.
func (r *Report) ExceptionCount() int64 {
	if r.stream != nil {
		return r.exceptions
	}
	return int64(len(r.Exceptions))
}

// Worst returns the report's first n exceptions, critical first, each
// group in ledger order (n at most htmlExceptionsShown for a report Build
// made).
func (r *Report) Worst(n int) []Exception {
	if r.stream != nil {
		return r.worst[:min(n, len(r.worst))]
	}
	var w worstExceptions
	for i := range r.Exceptions {
		w.add(&r.Exceptions[i])
	}
	if n <= htmlExceptionsShown {
		l := w.list()
		return l[:min(n, len(l))]
	}
	all := WorstFirst(r.Exceptions)
	return all[:min(n, len(all))]
}

func exceptionOf(pair string, e *ledger.Entry) Exception {
	x := Exception{Pair: pair, Key: e.Key, Verdict: e.Verdict, Severity: e.Verdict.Severity(), Evidence: e.Evidence, Detail: e.Detail}
	for _, s := range e.Stores {
		es := ExceptionStore{Store: s.Store, Role: string(s.Role), Presence: s.Presence.String(), Size: s.Size}
		for _, c := range s.Checksums {
			es.Checksums = append(es.Checksums, ledger.ChecksumValue(c).String()+" ("+string(c.Source)+")")
		}
		x.Stores = append(x.Stores, es)
	}
	return x
}

// AttestedPairs counts the pairs the report attests.
func (r *Report) AttestedPairs() int {
	n := 0
	for _, p := range r.Pairs {
		if p.Attested {
			n++
		}
	}
	return n
}

// Critical counts the keys whose verdicts are critical.
func (r *Report) Critical() int64 {
	var n int64
	for _, v := range ledger.Verdicts {
		if v.Severity() == ledger.Critical {
			n += r.Totals.Verdicts[v]
		}
	}
	return n
}

// baselineOf is what pair's verdicts owe to baselines: the inventories the
// run's record names and the keys its ledger says were judged from them.
func baselineOf(rec *state.Record, pair string, t *ledger.Tally) *BaselineReport {
	var b BaselineReport
	for _, x := range rec.Baselines {
		if x.Pair == pair {
			b.Inventories = append(b.Inventories, BaselineInventory{Store: x.Store, Inventory: x.Inventory, Date: x.Date, ReadBy: x.ReadBy})
		}
	}
	b.Verdicts = t.BaselineVerdicts()
	if b.Inventories == nil && b.Verdicts == nil {
		return nil
	}
	if b.Inventories == nil {
		b.Inventories = []BaselineInventory{}
	}
	if b.Verdicts == nil {
		b.Verdicts = zeroVerdicts()
	}
	return &b
}

// zeroVerdicts is every verdict with the count 0.
func zeroVerdicts() map[ledger.Verdict]int64 {
	m := make(map[ledger.Verdict]int64, len(ledger.Verdicts))
	for _, v := range ledger.Verdicts {
		m[v] = 0
	}
	return m
}
