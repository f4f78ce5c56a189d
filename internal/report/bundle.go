package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
)

// A run bundle is what an auditor receives: one folder (or prefix) that
// holds a run's report and all the evidence behind it, checked by attest
// verify wherever it is copied or moved:
//
//	report.json report.html exceptions.csv summary.md [attestation.json]
//	run/run.json                       the run record
//	run/manifest.json                  the manifest
//	run/<path>                         every ledger part, under the path the manifest names
//
// report.json names the run folder (LedgerRef.Bundle) relative to itself.

// ReportFiles are the files Publish writes under <run_id>/, report.json
// last.
var ReportFiles = []string{"exceptions.csv", "summary.md", "report.html", AttestationName, "report.json"}

// IsPublished reports whether the report of the run runID is published at
// the reports location st (its report.json, written last, is there).
func IsPublished(ctx context.Context, st storage.Store, runID string) (bool, error) {
	rc, err := st.Get(ctx, runID+"/report.json")
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rc.Close()
	return true, nil
}

// ExportBundle copies the published report of the run runID (from the
// reports location) and its evidence (from the state location) into the
// bundle location dest, and returns how many files it copied. The files
// are copied as they are, byte for byte: the report's digests and
// signature cover them.
func ExportBundle(ctx context.Context, st *state.State, reports storage.Store, runID string, dest storage.Store) (int, error) {
	n := 0
	cp := func(from storage.Store, name, to string) error {
		rc, err := from.Get(ctx, name)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return fmt.Errorf("reading %s: %w", from.URL(name), err)
		}
		if err := dest.Put(ctx, to, bytes.NewReader(b), storage.PutOptions{}); err != nil {
			return err
		}
		n++
		return nil
	}
	for _, f := range ReportFiles {
		err := cp(reports, runID+"/"+f, f)
		if errors.Is(err, storage.ErrNotExist) && f != "report.json" {
			continue // an unsigned report has no attestation.json
		}
		if err != nil {
			return n, fmt.Errorf("bundling the report of run %s: %w", runID, err)
		}
	}
	m, _, err := st.ReadManifest(ctx, runID)
	if err != nil {
		return n, fmt.Errorf("bundling the evidence of run %s: %w", runID, err)
	}
	names := []string{"run.json", "manifest.json"}
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			for _, f := range s.Files {
				if !localPath(f.Path) {
					return n, fmt.Errorf("bundling the evidence of run %s: the manifest's path %q leaves the run's folder", runID, f.Path)
				}
				names = append(names, f.Path)
			}
		}
	}
	for _, name := range names {
		if err := cp(st.Store(), state.RunDir(runID)+name, BundleRun+name); err != nil {
			return n, fmt.Errorf("bundling the evidence of run %s: %w", runID, err)
		}
	}
	return n, nil
}
