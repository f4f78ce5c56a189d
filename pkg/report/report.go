// Package report builds a run's report from its evidence ledger — every
// number in it is recomputed from the ledger files the manifest lists — and
// renders it as report.json (parityproof.report/v1), exceptions.csv,
// summary.md and report.html. The command line and the report Lambda share
// it.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/pkg/config"
	"github.com/parityproof/parityproof/pkg/ledger"
	"github.com/parityproof/parityproof/pkg/run"
	"github.com/parityproof/parityproof/pkg/storage"
)

// Schema names the report format.
const Schema = "parityproof.report/v1"

// Report is report.json. Its field names are a contract (DESIGN.md):
// scripts and auditors depend on them.
type Report struct {
	Schema        string       `json:"schema"`
	RunID         string       `json:"run_id"`
	StartedAt     time.Time    `json:"started_at"`
	FinishedAt    time.Time    `json:"finished_at"`
	ToolVersion   string       `json:"tool_version"`
	Complete      bool         `json:"complete"`
	ConfigDigest  string       `json:"config_digest"`
	PreviousRunID string       `json:"previous_run_id,omitempty"`
	Totals        Totals       `json:"totals"`
	Pairs         []PairReport `json:"pairs"`
	Exceptions    []Exception  `json:"exceptions"`
	Ledger        LedgerRef    `json:"ledger"`
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
	// Sizes and Checksums per store, as exceptions.csv shows them.
	Stores []ExceptionStore `json:"stores,omitempty"`
}

// ExceptionStore is what one store held of an exception's key.
type ExceptionStore struct {
	Store     string   `json:"store"`
	Role      string   `json:"role"`
	Presence  string   `json:"presence"`
	Size      int64    `json:"size"`
	Checksums []string `json:"checksums,omitempty"`
}

// LedgerRef points at the evidence: the manifest and its SHA-256.
type LedgerRef struct {
	Manifest string `json:"manifest"`
	SHA256   string `json:"sha256"`
}

// Build recomputes a complete run's report from its ledger.
func Build(ctx context.Context, cfg *config.Config, state storage.Store, runID string) (*Report, error) {
	rec, err := run.ReadRecord(ctx, state, runID)
	if err != nil {
		return nil, err
	}
	m, digest, err := run.ReadManifest(ctx, state, runID)
	if err != nil {
		return nil, fmt.Errorf("run %s is not complete: %w", runID, err)
	}
	finished, err := run.FinishedAt(ctx, state, runID)
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
		Ledger:        LedgerRef{Manifest: run.ManifestURL(state, runID), SHA256: digest},
		Exceptions:    []Exception{},
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
				err := run.ReadLedger(ctx, state, runID, f, func(e *ledger.Entry) error {
					t.Add(e)
					pr.Evidence[e.Evidence]++
					if e.Verdict.IsException() {
						rep.Exceptions = append(rep.Exceptions, exceptionOf(mp.Name, e))
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
			}
		}
		pr.Objects, pr.Verdicts, pr.Bytes = t.Objects, t.Verdicts(), t.VerdictBytes()
		pr.Attested, pr.Statement = attestation(&pr, rep.Complete)
		total.Merge(t)
		rep.Pairs = append(rep.Pairs, pr)
	}
	rep.Totals = Totals{Objects: total.Objects, Bytes: total.Bytes, Verdicts: total.Verdicts()}
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

// attestation says whether a pair is attested: every key deleted (or extra)
// in a run that covered the whole scope.
func attestation(p *PairReport, complete bool) (bool, string) {
	remaining := p.Objects - p.Verdicts[ledger.Deleted] - p.Verdicts[ledger.Extra]
	switch {
	case !complete:
		return false, fmt.Sprintf("Pair %s is not attested: the run did not cover its whole scope.", p.Name)
	case p.Objects == 0:
		return false, fmt.Sprintf("Pair %s is not attested: no key was found in its scope.", p.Name)
	case remaining == 0:
		return true, fmt.Sprintf("Pair %s is attested: all %d legacy objects were proven to have identical copies in %s before they were deleted, the deletion of every legacy copy (all versions, every legacy store) is confirmed, and the copies in %s still match what was proven.",
			p.Name, p.Verdicts[ledger.Deleted], p.Target, p.Target)
	}
	crit := p.Verdicts[ledger.DeletedUnverified] + p.Verdicts[ledger.CopyLost]
	msg := fmt.Sprintf("Pair %s is not attested: %d of %d keys are not yet deleted with parity proven", p.Name, remaining, p.Objects)
	if crit > 0 {
		msg += fmt.Sprintf(", and %d are critical (legacy copies deleted without proven parity, or proven copies since lost)", crit)
	}
	return false, msg + "."
}
