package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// previousLedger streams the previous run's entries of a pair over a range:
// the ledger files whose keys overlap it, one after the other, each checked
// against its manifest digest when it ends.
type previousLedger struct {
	ctx   context.Context
	st    storage.Store
	runID string
	files []ledger.ManifestFile
	cur   *ledger.Reader
	body  io.ReadCloser
	hash  *hashingReader
	file  ledger.ManifestFile
	n     int64
}

// previousLedger opens the previous run's ledger of pair over r.
func (r *Runner) previousLedger(ctx context.Context, prevRunID, pair string, rng inventory.KeyRange) (*previousLedger, error) {
	m, _, err := ReadManifest(ctx, r.st, prevRunID)
	if err != nil {
		return nil, fmt.Errorf("reading the previous run's manifest: %w", err)
	}
	p := &previousLedger{ctx: ctx, st: r.st, runID: prevRunID}
	for _, mp := range m.Pairs {
		if mp.Name != pair {
			continue
		}
		for _, s := range mp.Shards {
			for _, f := range s.Files {
				if f.Entries > 0 && (rng.End == "" || f.First < rng.End) && f.Last >= rng.Start {
					p.files = append(p.files, f)
				}
			}
		}
	}
	return p, nil
}

// NextPage implements parity.EntryStream.
func (p *previousLedger) NextPage() ([]ledger.Entry, error) {
	for {
		if p.cur == nil {
			if len(p.files) == 0 {
				return nil, io.EOF
			}
			if err := p.open(); err != nil {
				return nil, err
			}
		}
		page, err := p.cur.NextPage()
		if err == nil {
			p.n += int64(len(page))
			return page, nil
		}
		if err != io.EOF {
			return nil, err
		}
		if err := p.finish(); err != nil {
			return nil, err
		}
	}
}

func (p *previousLedger) open() error {
	p.file, p.files = p.files[0], p.files[1:]
	rc, err := OpenLedgerFile(p.ctx, p.st, p.runID, p.file.Path)
	if err != nil {
		return fmt.Errorf("opening the previous ledger: %w", err)
	}
	p.body, p.hash, p.n = rc, newHashingReader(rc), 0
	p.cur, err = ledger.NewReader(p.hash, p.st.URL(runDir(p.runID)+p.file.Path))
	if err != nil {
		rc.Close()
		p.cur = nil
		return err
	}
	return nil
}

// finish checks the file just read against its digest.
func (p *previousLedger) finish() error {
	defer func() { p.body.Close(); p.cur = nil }()
	if err := p.hash.check(p.st.URL(runDir(p.runID)+p.file.Path), p.file, p.n); err != nil {
		return fmt.Errorf("previous %w", err)
	}
	return nil
}

// Close releases the file being read.
func (p *previousLedger) Close() error {
	if p.cur != nil {
		p.body.Close()
		p.cur = nil
	}
	return nil
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func newHashingReader(r io.Reader) *hashingReader {
	return &hashingReader{r: r, h: sha256.New()}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// drain reads what is left, so the hash covers the whole file.
func (h *hashingReader) drain() error {
	_, err := io.Copy(io.Discard, h)
	return err
}

func (h *hashingReader) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// check reads what is left of the ledger file at url and compares what was
// read, n entries, with the file's manifest digest.
func (h *hashingReader) check(url string, f ledger.ManifestFile, n int64) error {
	if err := h.drain(); err != nil {
		return fmt.Errorf("ledger %s: %w", url, err)
	}
	if got := h.sum(); got != f.SHA256 || n != f.Entries {
		return fmt.Errorf("ledger %s: %d entries with SHA-256 %s, but the manifest says %d entries with %s", url, n, got, f.Entries, f.SHA256)
	}
	return nil
}
