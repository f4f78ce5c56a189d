package report

import (
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

// bundleCopies is how many evidence files ExportBundle copies at once:
// each is a GET of the state location and a write, mostly waiting.
const bundleCopies = 8

// ExportBundle copies the published report of the run runID (from the
// reports location) and its evidence (from the state location) into the
// bundle location dest, and returns how many files it copied. The files
// are copied as they are, byte for byte (the report's digests and
// signature cover them), each streamed from its source to dest: a report
// of millions of exceptions is not held in memory. The evidence is copied
// first, bundleCopies files at once, and the report's files after it,
// report.json last: a bundle with a report.json is whole. An error names
// the first file, in the manifest's order, that could not be copied.
func ExportBundle(ctx context.Context, st *state.State, reports storage.Store, runID string, dest storage.Store) (int, error) {
	// The report is copied last; a run without one is refused before any
	// evidence is copied.
	switch published, err := IsPublished(ctx, reports, runID); {
	case err != nil:
		return 0, fmt.Errorf("bundling the report of run %s: %w", runID, err)
	case !published:
		return 0, fmt.Errorf("bundling the report of run %s: %s: %w", runID, reports.URL(runID+"/report.json"), storage.ErrNotExist)
	}
	m, _, err := st.ReadManifest(ctx, runID)
	if err != nil {
		return 0, fmt.Errorf("bundling the evidence of run %s: %w", runID, err)
	}
	names := []string{"run.json", "manifest.json"}
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			for _, f := range s.Files {
				if !localPath(f.Path) {
					return 0, fmt.Errorf("bundling the evidence of run %s: the manifest's path %q leaves the run's folder", runID, f.Path)
				}
				names = append(names, f.Path)
			}
		}
	}
	n := 0
	err = inOrder(ctx, len(names), bundleCopies, func(ctx context.Context, i int) error {
		return copyFile(ctx, st.Store(), state.RunDir(runID)+names[i], dest, BundleRun+names[i])
	}, func(_ int, err error) error {
		if err == nil {
			n++
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("bundling the evidence of run %s: %w", runID, err)
	}
	for _, f := range ReportFiles {
		err := copyFile(ctx, reports, runID+"/"+f, dest, f)
		if errors.Is(err, storage.ErrNotExist) && f != "report.json" {
			continue // an unsigned report has no attestation.json
		}
		if err != nil {
			return n, fmt.Errorf("bundling the report of run %s: %w", runID, err)
		}
		n++
	}
	return n, nil
}

// copyFile streams name at from to to at dest.
func copyFile(ctx context.Context, from storage.Store, name string, dest storage.Store, to string) error {
	rc, err := from.Get(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return dest.Put(ctx, to, &readErrorOf{r: rc, url: from.URL(name)}, storage.PutOptions{})
}

// readErrorOf names the file an error of reading it came from, as the
// error of writing its copy would not.
type readErrorOf struct {
	r   io.Reader
	url string
}

func (r *readErrorOf) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("reading %s: %w", r.url, err)
	}
	return n, err
}
