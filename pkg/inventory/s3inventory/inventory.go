// Package s3inventory reads Amazon S3 Inventory reports, so that a legacy
// store's objects can be known as they were on the inventory's date: the
// baseline from which keys deleted before parityproof's first run are
// judged.
//
// An inventory is a manifest.json (naming the source bucket, the date, the
// format and schema, and the data files with their sizes and MD5s) and
// gzip-compressed CSV or Parquet data files, read through a [Source]: the
// destination bucket ([Bucket]) or a local copy of it ([Dir]). ORC
// inventories are rejected with [ErrUnsupportedFormat].
//
// [Inventory.Records] streams one [Record] per key, sorted by logical key in
// byte order, whatever the order of the data files: rows are sorted with a
// bounded memory, spilling sorted runs to temporary files past
// [Options.MemoryLimit]. Every data file's size and MD5 are checked against
// the manifest before any record is returned, and a row that cannot be read
// fails the stream with a [RowError] naming the manifest, the file, the row
// and the column: no row is ever skipped.
package s3inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Defaults of [Options].
const (
	DefaultMemoryLimit = 64 << 20
	DefaultPageSize    = 1000
)

// Options configure how an inventory is read.
type Options struct {
	// Prefix is the store's prefix in the source bucket: keys outside it
	// are skipped, and records carry keys relative to it (logical keys).
	Prefix string
	// Range keeps only the logical keys in it (a shard); the zero value
	// keeps all.
	Range inventory.KeyRange
	// MemoryLimit is roughly how many bytes of rows are held in memory
	// before they are sorted and spilled to a temporary file; 0 means
	// [DefaultMemoryLimit].
	MemoryLimit int64
	// TempDir is where spill files and copies of Parquet files go; empty
	// means [os.TempDir].
	TempDir string
	// PageSize is the number of records per page; 0 means
	// [DefaultPageSize].
	PageSize int
	// Logger receives debug messages about spills; nil means none.
	Logger *slog.Logger
}

// Inventory is an S3 Inventory report whose manifest was read and checked.
type Inventory struct {
	src      Source
	manifest *Manifest
	opts     Options
}

// Open reads the manifest.json at manifestKey in src (see [ReadManifest])
// and returns the inventory, ready to stream its records.
func Open(ctx context.Context, src Source, manifestKey string, opts Options) (*Inventory, error) {
	m, err := ReadManifest(ctx, src, manifestKey)
	if err != nil {
		return nil, err
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Inventory{src: src, manifest: m, opts: opts}, nil
}

// Manifest returns the inventory's manifest.
func (inv *Inventory) Manifest() Manifest { return *inv.manifest }

// Record is what the inventory says of one logical key.
//
// The embedded fingerprint follows [inventory.Fingerprint]'s conventions,
// with Presence saying what the key's latest version was:
//   - [inventory.Current]: size, ETag (unquoted; with its MD5 as a checksum
//     of source [inventory.FromETag] when it has the form of one), version
//     id, storage class, last modified and encryption (from
//     EncryptionStatus, when the inventory has it) are the latest
//     version's;
//   - [inventory.DeleteMarker]: the latest version is a delete marker, and
//     those fields describe the newest noncurrent version it hides, if any
//     (NoncurrentVersions > 0);
//   - [inventory.NoObject]: the inventory lists only noncurrent versions
//     of the key (it is eventually consistent); the fields describe the
//     newest.
//
// "Newest" is by last modified date; versions with equal dates (or an
// inventory without LastModifiedDate) are ranked by the order the
// inventory lists them, the later row winning. Inventories of current
// versions only give Current records. Archived and ArchivalState stay
// unset: an inventory does not say whether an archived object was
// restored.
type Record struct {
	inventory.Fingerprint
	// ChecksumAlgorithm is the additional checksum algorithm the described
	// version was uploaded with ("CRC32C", ...), if the inventory has
	// ChecksumAlgorithm. S3 Inventory does not give the checksum's value.
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	// InventoryDate is the manifest's creationTimestamp: when S3 began
	// scanning the bucket.
	InventoryDate time.Time `json:"inventory_date"`
}

// Stats count what a [Records] stream read.
type Stats struct {
	// Files is the number of data files read.
	Files int
	// Rows is the number of rows read; Kept of them lay under the prefix
	// and in the range.
	Rows, Kept int64
	// Spills is the number of sorted runs written to temporary files.
	Spills int
	// Records is the number of records returned so far.
	Records int64
}

// Records streams the inventory's records sorted by logical key, like an
// [inventory.Listing]: it is bound to ctx, and must be closed. The data
// files are read, checked and sorted on the first call to
// [Records.NextPage]; each call to Records reads them anew.
func (inv *Inventory) Records(ctx context.Context) *Records {
	return &Records{ctx: ctx, inv: inv}
}

// Records is a pull stream of an inventory's records.
type Records struct {
	ctx     context.Context
	inv     *Inventory
	sorter  *sorter
	it      rowIter
	started bool
	pending *row // the first row of the next key
	lastKey string
	page    []Record
	stats   Stats
	err     error // sticky
	closed  bool
}

// NextPage returns the next page of records. After the last page it
// returns nil, [io.EOF]. The slice is valid until the next call; the
// records in it may be kept.
func (rs *Records) NextPage() ([]Record, error) {
	if rs.closed {
		return nil, fmt.Errorf("reading inventory %s: the stream is closed", rs.inv.manifest.Location)
	}
	if rs.err != nil {
		return nil, rs.err
	}
	if err := rs.ctx.Err(); err != nil {
		return nil, rs.fail(fmt.Errorf("reading inventory %s: %w", rs.inv.manifest.Location, err))
	}
	if !rs.started {
		rs.started = true
		if err := rs.ingest(); err != nil {
			return nil, rs.fail(err)
		}
	}
	rs.page = rs.page[:0]
	for len(rs.page) < rs.inv.opts.PageSize {
		group, err := rs.nextGroup()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rs.fail(err)
		}
		rec, err := rs.fold(group)
		if err != nil {
			return nil, rs.fail(err)
		}
		rs.page = append(rs.page, rec)
	}
	if len(rs.page) == 0 {
		rs.err = io.EOF
		rs.release()
		return nil, io.EOF
	}
	rs.stats.Records += int64(len(rs.page))
	return rs.page, nil
}

// Stats returns what the stream has read so far.
func (rs *Records) Stats() Stats { return rs.stats }

// Close stops the stream and removes its temporary files. It is safe to
// call more than once.
func (rs *Records) Close() error {
	rs.closed = true
	rs.release()
	return nil
}

func (rs *Records) fail(err error) error {
	rs.err = err
	rs.release()
	return err
}

func (rs *Records) release() {
	if rs.it != nil {
		rs.it.close()
		rs.it = nil
	}
	if rs.sorter != nil {
		rs.sorter.close()
		rs.sorter = nil
	}
}

// ingest reads every data file into the sorter and starts the merge.
func (rs *Records) ingest() error {
	inv := rs.inv
	m := inv.manifest
	rs.sorter = newSorter(inv.opts.TempDir, inv.opts.MemoryLimit, inv.opts.Logger)
	for i, f := range m.Files {
		fr := &fileReader{
			m: m, index: i, file: f,
			prefix: inv.opts.Prefix, keys: inv.opts.Range,
			emit: func(r row) error {
				rs.stats.Kept++
				return rs.sorter.add(r)
			},
		}
		var err error
		switch m.Format {
		case CSV:
			err = fr.readCSV(rs.ctx, inv.src)
		case Parquet:
			err = fr.readParquet(rs.ctx, inv.src, inv.opts.TempDir)
		default:
			err = fmt.Errorf("manifest %s: fileFormat %s: %w", m.Location, m.Format, ErrUnsupportedFormat)
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				err = fmt.Errorf("reading inventory %s, file %s: %w", m.Location, f.Key, err)
			}
			return err
		}
		rs.stats.Rows += fr.rows
		rs.stats.Files++
	}
	rs.stats.Spills = rs.sorter.spills
	it, err := rs.sorter.finish(rs.ctx)
	if err != nil {
		return fmt.Errorf("sorting inventory %s: %w", m.Location, err)
	}
	rs.it = it
	return nil
}

// nextGroup returns the rows of the next logical key, in the order they
// were read; io.EOF after the last key.
func (rs *Records) nextGroup() ([]row, error) {
	var group []row
	if rs.pending != nil {
		group = append(group, *rs.pending)
		rs.pending = nil
	}
	for {
		r, err := rs.it.next()
		if err == io.EOF {
			if len(group) == 0 {
				return nil, io.EOF
			}
			return group, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sorting inventory %s: %w", rs.inv.manifest.Location, err)
		}
		if r.key < rs.lastKey {
			return nil, fmt.Errorf("sorting inventory %s: key %q came after %q", rs.inv.manifest.Location, r.key, rs.lastKey)
		}
		rs.lastKey = r.key
		if len(group) > 0 && r.key != group[0].key {
			rs.pending = &r
			return group, nil
		}
		group = append(group, r)
	}
}

// fold turns the rows of one key into its record.
func (rs *Records) fold(group []row) (Record, error) {
	m := rs.inv.manifest
	dup := func(again, first *row, what string) error {
		return &RowError{
			Manifest: m.Location, File: m.Files[again.file].Key, Row: again.line,
			Err: fmt.Errorf("key %q is listed again %s (first in file %s row %d)",
				rs.inv.opts.Prefix+again.key, what, m.Files[first.file].Key, first.line),
		}
	}
	var latest, newest *row
	noncurrent := 0
	versions := make(map[string]*row, len(group))
	for i := range group {
		r := &group[i]
		if r.versionID != "" && r.versionID != "null" {
			if first, ok := versions[r.versionID]; ok {
				return Record{}, dup(r, first, fmt.Sprintf("with version id %q", r.versionID))
			}
			versions[r.versionID] = r
		}
		if r.latest {
			if latest != nil {
				return Record{}, dup(r, latest, "as the latest version")
			}
			latest = r
			continue
		}
		if r.deleteMarker {
			continue
		}
		noncurrent++
		if newest == nil || r.modified >= newest.modified { // unknown dates are 0
			newest = r
		}
	}
	fp := inventory.Fingerprint{Key: group[0].key}
	described := newest
	switch {
	case latest != nil && !latest.deleteMarker:
		fp.Presence, described = inventory.Current, latest
	case latest != nil:
		fp.Presence = inventory.DeleteMarker
	default:
		fp.Presence = inventory.NoObject
	}
	fp.NoncurrentVersions = noncurrent
	rec := Record{InventoryDate: m.Created}
	if d := described; d != nil {
		fp.Size = d.size
		fp.ETag = strings.Trim(d.etag, `"`)
		if c, ok := etagChecksum(fp.ETag); ok {
			fp.Checksums = []inventory.Checksum{c}
			if c.Type == inventory.Composite {
				fp.PartCount = c.Parts
			}
		}
		if d.versionID != "null" {
			fp.VersionID = d.versionID
		}
		fp.StorageTier = d.storageClass
		if d.hasModified {
			fp.Modified = time.Unix(0, d.modified).UTC()
		}
		fp.Encryption = d.encryption
		if e, ok := encryptions[d.encryption]; ok {
			fp.Encryption = e
		}
		rec.ChecksumAlgorithm = d.checksumAlg
	}
	rec.Fingerprint = fp
	return rec, nil
}

// Fingerprints returns the stream as an [inventory.Listing] of the
// records' fingerprints, for code that merges listings. Closing it closes
// rs.
func (rs *Records) Fingerprints() inventory.Listing { return &fingerprints{rs: rs} }

type fingerprints struct {
	rs   *Records
	page []inventory.Fingerprint
}

func (f *fingerprints) NextPage() ([]inventory.Fingerprint, error) {
	recs, err := f.rs.NextPage()
	if err != nil {
		return nil, err
	}
	f.page = f.page[:0]
	for i := range recs {
		f.page = append(f.page, recs[i].Fingerprint)
	}
	return f.page, nil
}

func (f *fingerprints) Close() error { return f.rs.Close() }
