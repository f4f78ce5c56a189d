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
	// Exceptions lists every key whose verdict is an exception or critical,
	// in ledger order (pair, then key): Attest checks them in that order.
	Exceptions []Exception `json:"exceptions"`
	Ledger     LedgerRef   `json:"ledger"`
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
}

// WithHistory makes the burn-down from the earlier reports at the reports
// location st. Without it the burn-down holds this run alone.
func WithHistory(st storage.Store) Option { return func(o *options) { o.reports = st } }

// WithLogger receives warnings, such as an earlier report that cannot be
// read for the burn-down; without it they are discarded.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Build recomputes the report of a complete run from its ledger at the
// state location, reading the pairs' stores and the policy from cfg. Who
// began the run is its record's, whoever builds the report.
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
	m, digest, err := st.ReadManifest(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("run %s is not complete: %w", runID, err)
	}
	finished, err := st.FinishedAt(ctx, runID)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Schema:        Schema,
		RunID:         rec.RunID,
		StartedAt:     rec.StartedAt,
		FinishedAt:    finished,
		ToolVersion:   rec.ToolVersion,
		Complete:      true,
		ConfigDigest:  rec.ConfigDigest,
		PreviousRunID: rec.PreviousRunID,
		Clock:         rec.Clock,
		RanBy:         rec.RanBy,
		Rebased:       rec.Rebased,
		Ledger: LedgerRef{Manifest: st.ManifestURL(runID), SHA256: digest,
			Record: st.URL(state.RecordName(runID)), RecordSHA256: recordDigest, Bundle: BundleRun},
		Exceptions: []Exception{},
	}
	total := ledger.NewTally()
	for _, mp := range m.Pairs {
		pr := PairReport{Name: mp.Name, Evidence: map[ledger.Evidence]int64{}}
		if p, err := cfg.Pair(mp.Name); err == nil {
			pr.Legacy, pr.Target = p.Legacy, p.Target
		}
		t := ledger.NewTally()
		for _, s := range mp.Shards {
			for _, f := range s.Files {
				err := st.ReadLedger(ctx, runID, f, func(e *ledger.Entry) error {
					t.Add(e)
					pr.Evidence[e.Evidence]++
					if e.Verdict.IsException() {
						rep.Exceptions = append(rep.Exceptions, exceptionOf(mp.Name, e))
					}
					return nil
				})
				if err != nil {
					return nil, fmt.Errorf("reading the ledger of run %s, pair %s: %w", runID, mp.Name, err)
				}
			}
		}
		pr.Objects, pr.Verdicts, pr.Bytes = t.Objects, t.Verdicts(), t.VerdictBytes()
		pr.Attested, pr.Statement = attestation(&pr, rep.Complete)
		total.Merge(t)
		rep.Pairs = append(rep.Pairs, pr)
	}
	rep.Totals = Totals{Objects: total.Objects, Bytes: total.Bytes, Verdicts: total.Verdicts()}
	rep.Scope = scopeOf(cfg, rep.Pairs)
	if rep.History, err = history(ctx, o.reports, rep, o.log); err != nil {
		return nil, err
	}
	return rep, nil
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
