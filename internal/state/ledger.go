package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// LedgerURL returns where one of a run's ledger parts is, by its manifest
// path.
func (s *State) LedgerURL(runID, path string) string { return s.st.URL(RunDir(runID) + path) }

// ReadLedger streams the entries of one of a run's ledger parts to fn,
// checking the part's SHA-256 and entry count against its manifest digest.
func (s *State) ReadLedger(ctx context.Context, runID string, f ledger.ManifestFile, fn func(*ledger.Entry) error) error {
	url := s.LedgerURL(runID, f.Path)
	rc, err := s.st.Get(ctx, RunDir(runID)+f.Path)
	if err != nil {
		return missingPart(url, err)
	}
	defer rc.Close()
	h := newHashingReader(rc)
	lr, err := ledger.NewReader(h, url)
	if err != nil {
		return damaged(url, err)
	}
	defer lr.Close()
	var n int64
	for {
		e, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return damaged(url, err)
		}
		n++
		if err := fn(e); err != nil {
			return err
		}
	}
	return h.check(url, f, n)
}

// missingPart turns a ledger part that is not there into damage.
func missingPart(url string, err error) error {
	if errors.Is(err, storage.ErrNotExist) {
		return &DamagedError{URL: url, Problem: "the ledger part the manifest lists is missing"}
	}
	return err
}

// damaged turns an error of decoding a ledger part into damage, unless it
// is an error of reading the part (a network error), which is not.
func damaged(url string, err error) error {
	var ioe *readError
	if errors.As(err, &ioe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &DamagedError{URL: url, Problem: err.Error()}
}

// readError marks an error of the reader under a ledger part, as opposed
// to one of decoding it.
type readError struct{ err error }

func (r *readError) Error() string { return r.err.Error() }
func (r *readError) Unwrap() error { return r.err }

// LedgerStream streams a complete run's entries of one pair over a key
// range: the ledger parts whose keys overlap it, one after the other, each
// checked against its manifest digest when it ends. It is a
// parity.EntryStream.
type LedgerStream struct {
	ctx   context.Context
	s     *State
	runID string
	files []ledger.ManifestFile
	cur   *ledger.Reader
	body  io.ReadCloser
	hash  *hashingReader
	file  ledger.ManifestFile
	n     int64
}

// OpenLedger returns the stream of the entries of pair in the complete run
// runID over rng. The manifest is read a shard at a time, keeping the
// files that overlap rng only.
func (s *State) OpenLedger(ctx context.Context, runID, pair string, rng inventory.KeyRange) (*LedgerStream, error) {
	p := &LedgerStream{ctx: ctx, s: s, runID: runID}
	_, err := s.WalkManifest(ctx, ManifestName(runID), func(name string, sh *ledger.ManifestShard) error {
		if name != pair {
			return nil
		}
		for _, f := range sh.Files {
			if f.Entries > 0 && (rng.End == "" || f.First < rng.End) && f.Last >= rng.Start {
				p.files = append(p.files, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of run %s: %w", runID, err)
	}
	return p, nil
}

// FindPair returns the manifest's pair called name, nil if it has none.
func FindPair(m *ledger.Manifest, name string) *ledger.ManifestPair {
	if m == nil {
		return nil
	}
	for i := range m.Pairs {
		if m.Pairs[i].Name == name {
			return &m.Pairs[i]
		}
	}
	return nil
}

// NextPage returns the next entries, or nil, io.EOF after the last. The
// slice is valid until the next call.
func (p *LedgerStream) NextPage() ([]ledger.Entry, error) {
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
			return nil, damaged(p.s.LedgerURL(p.runID, p.file.Path), err)
		}
		if err := p.finish(); err != nil {
			return nil, err
		}
	}
}

func (p *LedgerStream) open() error {
	p.file, p.files = p.files[0], p.files[1:]
	url := p.s.LedgerURL(p.runID, p.file.Path)
	rc, err := p.s.st.Get(p.ctx, RunDir(p.runID)+p.file.Path)
	if err != nil {
		return fmt.Errorf("opening the ledger of run %s: %w", p.runID, missingPart(url, err))
	}
	p.body, p.hash, p.n = rc, newHashingReader(rc), 0
	p.cur, err = ledger.NewReader(p.hash, url)
	if err != nil {
		rc.Close()
		p.cur = nil
		return damaged(url, err)
	}
	return nil
}

// finish checks the part just read against its digest.
func (p *LedgerStream) finish() error {
	defer func() { p.body.Close(); p.cur = nil }()
	return p.hash.check(p.s.LedgerURL(p.runID, p.file.Path), p.file, p.n)
}

// Close releases the part being read.
func (p *LedgerStream) Close() error {
	if p.cur != nil {
		p.body.Close()
		p.cur = nil
	}
	return nil
}

// LedgerEntry returns the entry of key in pair's ledger of the complete
// run runID, nil when it has none. The ledger part that may hold it is
// found in an index of the run's manifest, kept in memory for the next
// call (a deletion event after another re-judges against the same run),
// and read whole, so that its digest is checked. The entries of the last
// part read are kept too: deletions often come in key order (a bulk purge),
// thousands of them in one part.
func (s *State) LedgerEntry(ctx context.Context, runID, pair, key string) (*ledger.Entry, error) {
	idx, err := s.manifestIndexOf(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of run %s: %w", runID, err)
	}
	f, ok := idx.find(pair, key)
	if !ok {
		return nil, nil
	}
	s.mu.Lock()
	part := s.part
	s.mu.Unlock()
	if part == nil || part.runID != runID || part.file != f {
		part = &partEntries{runID: runID, file: f, entries: map[string]ledger.Entry{}}
		err = s.ReadLedger(ctx, runID, f, func(e *ledger.Entry) error {
			part.entries[e.Key] = e.Clone()
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading the entry of %q in run %s: %w", key, runID, err)
		}
		s.mu.Lock()
		s.part = part
		s.mu.Unlock()
	}
	e, ok := part.entries[key]
	if !ok {
		return nil, nil
	}
	c := e.Clone()
	return &c, nil
}

// partEntries are the entries of one ledger part, by key.
type partEntries struct {
	runID   string
	file    ledger.ManifestFile
	entries map[string]ledger.Entry
}

// manifestIndex is what LedgerEntry needs of a complete run's manifest:
// every pair's ledger files, in key order, without the rest (tallies,
// exception files, split points).
type manifestIndex struct {
	runID string
	files map[string][]ledger.ManifestFile
}

// manifestIndexOf returns the index of the complete run runID's manifest,
// built once and kept until another run's is asked for. A complete run's
// manifest never changes.
func (s *State) manifestIndexOf(ctx context.Context, runID string) (*manifestIndex, error) {
	s.mu.Lock()
	idx := s.index
	s.mu.Unlock()
	if idx != nil && idx.runID == runID {
		return idx, nil
	}
	idx = &manifestIndex{runID: runID, files: map[string][]ledger.ManifestFile{}}
	_, err := s.WalkManifest(ctx, ManifestName(runID), func(pair string, sh *ledger.ManifestShard) error {
		for _, f := range sh.Files {
			if f.Entries > 0 {
				idx.files[pair] = append(idx.files[pair], f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.index = idx
	s.mu.Unlock()
	return idx, nil
}

// find returns the ledger file of pair whose keys span key.
func (idx *manifestIndex) find(pair, key string) (ledger.ManifestFile, bool) {
	files := idx.files[pair]
	i := sort.Search(len(files), func(i int) bool { return files[i].Last >= key })
	if i == len(files) || files[i].First > key {
		return ledger.ManifestFile{}, false
	}
	return files[i], true
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
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}

// check reads what is left of the ledger part at url and compares what was
// read, n entries, with the part's manifest digest.
func (h *hashingReader) check(url string, f ledger.ManifestFile, n int64) error {
	if _, err := io.Copy(io.Discard, h); err != nil {
		return fmt.Errorf("ledger %s: %w", url, err)
	}
	if got := hex.EncodeToString(h.h.Sum(nil)); got != f.SHA256 || n != f.Entries {
		return &DamagedError{URL: url, Problem: fmt.Sprintf("%d entries with SHA-256 %s, but the manifest says %d entries with %s", n, got, f.Entries, f.SHA256)}
	}
	return nil
}
