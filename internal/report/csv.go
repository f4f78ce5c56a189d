package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// CSVHeader is exceptions.csv's header row. The legacy_* cells hold one
// value per legacy store that listed the key, in the pair's order,
// separated by " | "; a store's checksums are separated by "; ". The
// target_* cells are empty when the target did not list the key.
var CSVHeader = []string{
	"pair", "key", "verdict", "severity", "evidence", "detail",
	"legacy_stores", "legacy_presence", "legacy_sizes", "legacy_checksums",
	"target_store", "target_presence", "target_size", "target_checksums",
}

const (
	storeSep    = " | "
	checksumSep = "; "
)

// CSV renders exceptions.csv in memory: one row per exception, in
// report.json's order. A cell that a spreadsheet would take for a formula
// (one starting with =, +, -, @, a tab or a carriage return) is written
// with a leading apostrophe, and so is one that starts with an apostrophe;
// ParseCSV removes it. Reports Build makes stream their exceptions from
// the state (with a background context): Publish writes them through
// WriteCSV's writer instead.
func (r *Report) CSV() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.WriteCSV(context.Background(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteCSV writes exceptions.csv to w, a row at a time.
func (r *Report) WriteCSV(ctx context.Context, w io.Writer) error {
	cs, err := newCSVWriter(w)
	if err != nil {
		return err
	}
	return r.writeExceptions(ctx, cs)
}

// csvWriter writes exceptions.csv a row at a time.
type csvWriter struct {
	w *csv.Writer
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return nil, fmt.Errorf("encoding exceptions.csv: %w", err)
	}
	return &csvWriter{w: cw}, nil
}

func (c *csvWriter) add(x *Exception) error {
	var names, presence, sizes, sums []string
	var target *ExceptionStore
	for i := range x.Stores {
		s := &x.Stores[i]
		if s.Role == string(ledger.Target) {
			target = s
			continue
		}
		names = append(names, s.Store)
		presence = append(presence, s.Presence)
		sizes = append(sizes, strconv.FormatInt(s.Size, 10))
		sums = append(sums, strings.Join(s.Checksums, checksumSep))
	}
	row := []string{x.Pair, x.Key, string(x.Verdict), string(x.Severity), string(x.Evidence), x.Detail,
		strings.Join(names, storeSep), strings.Join(presence, storeSep), strings.Join(sizes, storeSep), strings.Join(sums, storeSep),
		"", "", "", ""}
	if target != nil {
		row[10], row[11], row[12], row[13] = target.Store, target.Presence, strconv.FormatInt(target.Size, 10), strings.Join(target.Checksums, checksumSep)
	}
	for i := range row {
		row[i] = escapeCell(row[i])
	}
	if err := c.w.Write(row); err != nil {
		return fmt.Errorf("encoding exceptions.csv: %w", err)
	}
	return nil
}

func (c *csvWriter) end() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("encoding exceptions.csv: %w", err)
	}
	return nil
}

// escapeCell keeps a spreadsheet from running a cell as a formula.
func escapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string { return strings.TrimPrefix(s, "'") }

// ParseCSV reads exceptions.csv back into the exceptions it lists.
func ParseCSV(r io.Reader) ([]Exception, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // every row as long as the header
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading exceptions.csv: %w", err)
	}
	if !slices.Equal(header, CSVHeader) {
		return nil, fmt.Errorf("reading exceptions.csv: the header is %q, want %q", header, CSVHeader)
	}
	out := []Exception{}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading exceptions.csv: %w", err)
		}
		for i := range row {
			row[i] = unescapeCell(row[i])
		}
		line, _ := cr.FieldPos(0)
		x, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("reading exceptions.csv, line %d: %w", line, err)
		}
		out = append(out, x)
	}
}

func parseRow(row []string) (Exception, error) {
	x := Exception{Pair: row[0], Key: row[1], Verdict: ledger.Verdict(row[2]), Severity: ledger.Severity(row[3]), Evidence: ledger.Evidence(row[4]), Detail: row[5]}
	if !x.Verdict.Valid() {
		return x, fmt.Errorf("%q is not a verdict", row[2])
	}
	if row[6] != "" {
		names := strings.Split(row[6], storeSep)
		presence, sizes, sums := strings.Split(row[7], storeSep), strings.Split(row[8], storeSep), strings.Split(row[9], storeSep)
		if len(presence) != len(names) || len(sizes) != len(names) || len(sums) != len(names) {
			return x, fmt.Errorf("the legacy cells name %d stores but hold %d presences, %d sizes and %d checksum lists", len(names), len(presence), len(sizes), len(sums))
		}
		for i, n := range names {
			s, err := parseStore(n, string(ledger.Legacy), presence[i], sizes[i], sums[i])
			if err != nil {
				return x, err
			}
			x.Stores = append(x.Stores, s)
		}
	}
	if row[10] != "" {
		s, err := parseStore(row[10], string(ledger.Target), row[11], row[12], row[13])
		if err != nil {
			return x, err
		}
		x.Stores = append(x.Stores, s)
	}
	return x, nil
}

func parseStore(name, role, presence, size, sums string) (ExceptionStore, error) {
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil {
		return ExceptionStore{}, fmt.Errorf("store %s: size %q is not a number", name, size)
	}
	s := ExceptionStore{Store: name, Role: role, Presence: presence, Size: n}
	if sums != "" {
		s.Checksums = strings.Split(sums, checksumSep)
	}
	return s, nil
}
