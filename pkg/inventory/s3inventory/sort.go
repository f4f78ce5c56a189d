package s3inventory

import (
	"bufio"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
)

// maxFanIn bounds the runs merged at once, and so the files open at once.
const maxFanIn = 64

// sorter sorts rows with a bounded memory: past limit bytes of rows it
// sorts what it holds and spills it to a run file in dir; finish merges
// the runs.
type sorter struct {
	dir   string
	limit int64
	log   *slog.Logger

	buf    []row
	bytes  int64
	runs   []string // spilled run files, each sorted
	spills int      // runs spilled from memory
}

func newSorter(dir string, limit int64, log *slog.Logger) *sorter {
	return &sorter{dir: dir, limit: limit, log: log}
}

// add takes a row, spilling when the memory bound is passed.
func (s *sorter) add(r row) error {
	s.buf = append(s.buf, r)
	s.bytes += r.memSize()
	if s.bytes >= s.limit {
		return s.spill()
	}
	return nil
}

// spill sorts the rows held and writes them to a new run file.
func (s *sorter) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	s.sortBuf()
	name, err := s.writeRun(func(emit func(*row) error) error {
		for i := range s.buf {
			if err := emit(&s.buf[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Debug("s3inventory: spilled sorted rows", "rows", len(s.buf), "bytes", s.bytes, "run", len(s.runs))
	s.runs = append(s.runs, name)
	s.spills++
	clear(s.buf)
	s.buf, s.bytes = s.buf[:0], 0
	return nil
}

// writeRun writes the rows produce emits, in order, to a new temporary
// file and returns its name.
func (s *sorter) writeRun(produce func(emit func(*row) error) error) (string, error) {
	f, err := os.CreateTemp(s.dir, "s3inventory-run-*")
	if err != nil {
		return "", fmt.Errorf("creating a spill file: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("writing spill file %s: %w", name, err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	if err := produce(func(r *row) error { return encodeRow(w, r) }); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("writing spill file %s: %w", name, err)
	}
	return name, nil
}

// finish returns every row added, sorted. Rows held in memory are merged
// with the spilled runs without being spilled themselves. The sorter must
// be closed after the iterator is.
func (s *sorter) finish(ctx context.Context) (rowIter, error) {
	s.sortBuf()
	// Merge runs maxFanIn at a time until one merge can take them all.
	for len(s.runs)+1 > maxFanIn {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		group := s.runs[:maxFanIn]
		it, err := openRuns(group)
		if err != nil {
			return nil, err
		}
		name, err := s.writeRun(func(emit func(*row) error) error {
			for {
				r, err := it.next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if err := emit(&r); err != nil {
					return err
				}
			}
		})
		it.close()
		if err != nil {
			return nil, err
		}
		for _, g := range group {
			os.Remove(g)
		}
		s.log.Debug("s3inventory: merged spill files", "merged", len(group), "left", len(s.runs)-len(group)+1)
		s.runs = append(slices.Clone(s.runs[maxFanIn:]), name)
	}
	its := []rowIter{&sliceIter{rows: s.buf}}
	if len(s.runs) > 0 {
		it, err := openRuns(s.runs)
		if err != nil {
			return nil, err
		}
		its = append(its, it)
	}
	return newMerge(its), nil
}

// sortBuf sorts the rows held. Rows are compared in place: they are too
// big to copy at every comparison.
func (s *sorter) sortBuf() {
	sort.Slice(s.buf, func(i, j int) bool { return compareRows(&s.buf[i], &s.buf[j]) < 0 })
}

// close removes the spill files.
func (s *sorter) close() {
	for _, r := range s.runs {
		os.Remove(r)
	}
	s.runs, s.buf = nil, nil
}

// rowIter is a sorted stream of rows.
type rowIter interface {
	// next returns the next row, io.EOF after the last.
	next() (row, error)
	close()
}

type sliceIter struct {
	rows []row
	i    int
}

func (it *sliceIter) next() (row, error) {
	if it.i >= len(it.rows) {
		return row{}, io.EOF
	}
	it.i++
	return it.rows[it.i-1], nil
}

func (it *sliceIter) close() {}

// runIter reads a run file.
type runIter struct {
	f  *os.File
	br *bufio.Reader
}

func (it *runIter) next() (row, error) {
	r, err := decodeRow(it.br)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("spill file %s: %w", it.f.Name(), err)
	}
	return r, err
}

func (it *runIter) close() { it.f.Close() }

func openRuns(names []string) (rowIter, error) {
	its := make([]rowIter, 0, len(names))
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			for _, it := range its {
				it.close()
			}
			return nil, fmt.Errorf("opening spill file: %w", err)
		}
		its = append(its, &runIter{f: f, br: bufio.NewReaderSize(f, 64<<10)})
	}
	return newMerge(its), nil
}

// merge is a k-way merge of sorted streams.
type merge struct {
	h    mergeHeap
	its  []rowIter
	init bool
	err  error
}

func newMerge(its []rowIter) *merge { return &merge{its: its} }

type mergeItem struct {
	r  row
	it rowIter
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return compareRows(&h[i].r, &h[j].r) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (m *merge) next() (row, error) {
	if m.err != nil {
		return row{}, m.err
	}
	if !m.init {
		m.init = true
		for _, it := range m.its {
			r, err := it.next()
			if err == io.EOF {
				continue
			}
			if err != nil {
				m.err = err
				return row{}, err
			}
			m.h = append(m.h, mergeItem{r: r, it: it})
		}
		heap.Init(&m.h)
	}
	if len(m.h) == 0 {
		return row{}, io.EOF
	}
	top := m.h[0]
	r, err := top.it.next()
	switch {
	case errors.Is(err, io.EOF):
		heap.Pop(&m.h)
	case err != nil:
		m.err = err
		return row{}, err
	default:
		m.h[0].r = r
		heap.Fix(&m.h, 0)
	}
	return top.r, nil
}

func (m *merge) close() {
	for _, it := range m.its {
		it.close()
	}
}
