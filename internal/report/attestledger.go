package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/parityproof/parityproof/internal/ledger"
)

// readReport fetches report.json at u and scans it (scanReport), giving
// fn each of its exceptions.
func readReport(ctx context.Context, fetch Fetcher, u string, fn func(pair, key string, v ledger.Verdict) error) (*Report, string, error) {
	rc, err := fetch(ctx, u)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	return scanReport(rc, fn)
}

// ledgerFile is one ledger file of a manifest, as attest verify reads it.
type ledgerFile struct {
	pair int // in the manifest's pairs
	file ledger.ManifestFile
	url  string
}

// ledgerFiles are a manifest's ledger files, in its order.
type ledgerFiles []ledgerFile

// ledgerFilesOf lists m's ledger files, under runDir.
func ledgerFilesOf(m *ledger.Manifest, runDir string) ledgerFiles {
	var files ledgerFiles
	for i, mp := range m.Pairs {
		for _, s := range mp.Shards {
			for _, f := range s.Files {
				files = append(files, ledgerFile{pair: i, file: f, url: runDir + f.Path})
			}
		}
	}
	return files
}

// ledgerCount is what one ledger file holds: its entries counted, its
// exceptions in order, its entry count and SHA-256, or why it could not
// be read.
type ledgerCount struct {
	tally      ledger.Tally
	exceptions []exceptionRef // Pair unset: the file's
	n          int64
	sum        string
	fetchErr   error // opening the file
	err        error // reading it
}

// exceptionRef names an exception: its pair, its key, its verdict.
type exceptionRef struct {
	Pair, Key string
	Verdict   ledger.Verdict
}

// count returns the work that counts files[i] (see inOrder). A file whose
// path leaves the run's folder is not read.
func (files ledgerFiles) count(fetch Fetcher) func(ctx context.Context, i int) ledgerCount {
	return func(ctx context.Context, i int) ledgerCount {
		f := files[i]
		c := ledgerCount{tally: ledger.NewTally()}
		if !localPath(f.file.Path) {
			return c
		}
		c.n, c.sum, c.err = readLedger(ctx, fetch, f.url, func(e *ledger.Entry) {
			c.tally.Add(e)
			if e.Verdict.IsException() {
				c.exceptions = append(c.exceptions, exceptionRef{Key: e.Key, Verdict: e.Verdict})
			}
		})
		var fe *fetchError
		if errors.As(c.err, &fe) {
			c.fetchErr, c.err = fe.err, nil
		}
		return c
	}
}

// problem says why f, counted as c, does not hold; "" if it does.
func (c *ledgerCount) problem(f ledgerFile) string {
	switch {
	case !localPath(f.file.Path):
		return fmt.Sprintf("the ledger path %q leaves the run's folder", f.file.Path)
	case c.fetchErr != nil:
		return c.fetchErr.Error()
	case c.err != nil:
		return c.err.Error()
	case c.sum != f.file.SHA256:
		return fmt.Sprintf("SHA-256 is %s, the manifest says %s", c.sum, f.file.SHA256)
	case c.n != f.file.Entries:
		return fmt.Sprintf("%d entries, the manifest says %d", c.n, f.file.Entries)
	}
	return ""
}

// problemAt is what a problem of f is reported against: the manifest for
// a path that leaves the run's folder, the file otherwise.
func (f ledgerFile) problemAt(manifestURL string) string {
	if !localPath(f.file.Path) {
		return manifestURL
	}
	return f.url
}

// firstExceptionDifference names the first exception where report.json
// and the ledger differ, reading both again side by side: the report's
// exceptions as its bytes give them (which must be the bytes read before,
// reportSHA256), the ledger's from files.
func firstExceptionDifference(ctx context.Context, fetch Fetcher, reportURL, reportSHA256 string, m *ledger.Manifest, files ledgerFiles) string {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fromReport := make(chan exceptionRef, 1024)
	var scanErr error
	scanned := make(chan struct{})
	defer func() {
		cancel()
		<-scanned
	}()
	go func() {
		defer close(scanned)
		defer close(fromReport)
		_, sum, err := readReport(ctx, fetch, reportURL, func(pair, key string, v ledger.Verdict) error {
			select {
			case fromReport <- exceptionRef{pair, key, v}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err == nil && sum != reportSHA256 {
			err = fmt.Errorf("it changed while it was read: SHA-256 %s, then %s", reportSHA256, sum)
		}
		scanErr = err
	}()
	var where string
	errFound := errors.New("found")
	err := inOrder(ctx, len(files), exceptionReaders(), files.count(fetch), func(i int, c ledgerCount) error {
		if problem := c.problem(files[i]); problem != "" {
			return errors.New(problem)
		}
		for _, x := range c.exceptions {
			x.Pair = m.Pairs[files[i].pair].Name
			y, more := <-fromReport
			if !more {
				where = fmt.Sprintf("%+v, missing from the report", x)
				return errFound
			}
			if x != y {
				where = fmt.Sprintf("%+v in the ledger, %+v in the report", x, y)
				return errFound
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return where
	case err != nil:
		return "an unknown place: the ledger could not be read again: " + err.Error()
	}
	if y, more := <-fromReport; more {
		return fmt.Sprintf("%+v, not in the ledger", y)
	}
	<-scanned
	if scanErr != nil {
		return "an unknown place: report.json could not be read again: " + scanErr.Error()
	}
	return "an unknown place: reading both again found none"
}
