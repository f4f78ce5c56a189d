package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// List implements [inventory.Store]. It merges, in key order, the
// bucket's objects (ListObjectsV2, or ListObjectVersions folded per key
// when the bucket is versioned) with its unfinished multipart uploads
// (ListMultipartUploads). Each of the two runs in its own goroutine, a
// page ahead of the consumer, and stops at r.End.
//
// S3 lists after a key, while r.Start is included: unless r.Start is
// empty, or ends in "\x00" (a resumed range, [inventory.KeyRange.After]),
// the keys that begin with r.Start are listed first with it as their
// prefix, then the rest after the last of them.
func (s *Store) List(ctx context.Context, r inventory.KeyRange) inventory.Listing {
	ctx, cancel := context.WithCancel(ctx)
	l := &listing{ctx: ctx, cancel: cancel, store: s.cfg.Name, start: r.Start, pageSize: s.cfg.PageSize}
	var objects pager = &objectPager{s: s}
	var objFold folder = objectFolder{}
	if s.versioned {
		objects, objFold = &versionPager{s: s}, &versionFolder{}
	}
	l.objects = l.spawn(s, r, objects, objFold)
	l.uploads = l.spawn(s, r, &uploadPager{s: s}, &uploadFolder{})
	return l
}

// listing merges two sources into pages.
type listing struct {
	ctx      context.Context
	cancel   context.CancelFunc
	store    string
	start    string
	pageSize int

	objects, uploads *cursor
	err              error
	closed           bool
}

// cursor reads one source's pages.
type cursor struct {
	l    inventory.Listing
	buf  []inventory.Fingerprint
	done bool
}

// peek returns the source's next fingerprint without consuming it, or nil
// at its end.
func (c *cursor) peek() (*inventory.Fingerprint, error) {
	for len(c.buf) == 0 {
		if c.done {
			return nil, nil
		}
		page, err := c.l.NextPage()
		if err == io.EOF {
			c.done = true
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		c.buf = page
	}
	return &c.buf[0], nil
}

func (c *cursor) pop() { c.buf = c.buf[1:] }

// NextPage implements [inventory.Listing].
func (l *listing) NextPage() ([]inventory.Fingerprint, error) {
	if l.closed {
		return nil, fmt.Errorf("listing %s from %q: the listing is closed", l.store, l.start)
	}
	if l.err != nil {
		return nil, l.err
	}
	if err := l.ctx.Err(); err != nil {
		return nil, l.fail(err)
	}
	// No unfinished upload left to merge (the usual case): the objects'
	// page is the page, without a copy.
	u, err := l.uploads.peek()
	if err != nil {
		return nil, l.fail(err)
	}
	if u == nil {
		o, err := l.objects.peek()
		if err != nil {
			return nil, l.fail(err)
		}
		if o == nil {
			l.err = io.EOF
			return nil, io.EOF
		}
		page := l.objects.buf
		l.objects.buf = nil
		return page, nil
	}
	out := make([]inventory.Fingerprint, 0, l.pageSize)
	for len(out) < l.pageSize {
		o, err := l.objects.peek()
		if err != nil {
			return nil, l.fail(err)
		}
		u, err := l.uploads.peek()
		if err != nil {
			return nil, l.fail(err)
		}
		switch {
		case o == nil && u == nil:
			if len(out) == 0 {
				l.err = io.EOF
				return nil, io.EOF
			}
			return out, nil
		case u == nil || o != nil && o.Key < u.Key:
			out = append(out, *o)
			l.objects.pop()
		case o == nil || u.Key < o.Key:
			out = append(out, *u)
			l.uploads.pop()
		default:
			fp := *o
			fp.UnfinishedUploads = u.UnfinishedUploads
			out = append(out, fp)
			l.objects.pop()
			l.uploads.pop()
		}
	}
	return out, nil
}

func (l *listing) fail(err error) error {
	var se *StoreError
	if errors.As(err, &se) {
		// It names the store; the caller names the listing.
		l.err = err
	} else {
		l.err = fmt.Errorf("listing %s from %q: %w", l.store, l.start, err)
	}
	l.cancel()
	return l.err
}

// Close implements [inventory.Listing]: it stops the source goroutines and
// waits for them.
func (l *listing) Close() error {
	if !l.closed {
		l.closed = true
		l.cancel()
		l.objects.l.Close()
		l.uploads.l.Close()
	}
	return nil
}

// position is where a listing request starts: after a key (and a version
// or upload id), or at a continuation token.
type position struct {
	key, id, token string
}

// A pager fetches pages of one S3 listing API.
type pager interface {
	// fetch returns the page at pos of the keys under prefix, its entries
	// sorted by key, and the position of the next page unless it was the
	// last.
	fetch(ctx context.Context, prefix string, pos position) (entries []entry, next position, last bool, err error)
}

// spawn lists one source of r through p, folded by f, in a goroutine of
// its own one page ahead of the merge.
func (l *listing) spawn(s *Store, r inventory.KeyRange, p pager, f folder) *cursor {
	return &cursor{l: inventory.Prefetch(l.ctx, "", func(ctx context.Context, emit func([]inventory.Fingerprint) bool) error {
		return s.walk(ctx, r, p, f, emit)
	})}
}

// errStop ends a walk that reached the end of its range.
var errStop = errors.New("end of range")

// walk lists the keys of r through p, folds them with f, and hands pages
// of at most the page size to emit.
func (s *Store) walk(ctx context.Context, r inventory.KeyRange, p pager, f folder, emit func([]inventory.Fingerprint) bool) error {
	prefix := s.cfg.Prefix
	lo := prefix + r.Start
	hi := ""
	if r.End != "" {
		hi = prefix + r.End
	}
	type phase struct {
		prefix string
		pos    position
	}
	var phases []phase
	switch {
	case r.Start == "":
		phases = []phase{{prefix: prefix}}
	case strings.HasSuffix(r.Start, "\x00"):
		// The keys from k+"\x00" on are exactly the keys after k.
		phases = []phase{{prefix: prefix, pos: position{key: strings.TrimSuffix(lo, "\x00")}}}
	default:
		phases = []phase{{prefix: lo}, {prefix: prefix, pos: position{key: lo}}}
	}

	buf := make([]inventory.Fingerprint, 0, s.cfg.PageSize)
	send := func() error {
		if len(buf) == 0 {
			return nil
		}
		if !emit(buf) {
			return ctx.Err()
		}
		buf = make([]inventory.Fingerprint, 0, s.cfg.PageSize)
		return nil
	}
	last, seen := "", false
	err := func() error {
		for i, ph := range phases {
			pos := ph.pos
			floor := "" // keys up to it were listed by the previous phase
			if i > 0 && seen {
				pos, floor = position{key: last}, last
			}
			for {
				entries, next, done, err := s.fetchPage(ctx, p, ph.prefix, pos)
				if err != nil {
					return err
				}
				for _, e := range entries {
					// Servers that ignore a marker or prefix repeat keys.
					if !strings.HasPrefix(e.key, ph.prefix) || e.key < lo || floor != "" && e.key <= floor {
						continue
					}
					if seen && e.key < last {
						return fmt.Errorf("S3 listed %q after %q: the listing is not in byte order", e.key, last)
					}
					if hi != "" && e.key >= hi {
						return errStop
					}
					buf = f.add(buf, e.key[len(prefix):], e)
					last, seen = e.key, true
					if len(buf) >= s.cfg.PageSize {
						if err := send(); err != nil {
							return err
						}
					}
				}
				if done {
					break
				}
				pos = next
			}
		}
		return nil
	}()
	if err != nil && err != errStop {
		return err
	}
	buf = f.flush(buf)
	return send()
}

// decodeKey undoes EncodingType url when the response says it applied it.
func decodeKey(encoding types.EncodingType, key string) (string, error) {
	if encoding != types.EncodingTypeUrl {
		return key, nil
	}
	k, err := url.QueryUnescape(key)
	if err != nil {
		return "", fmt.Errorf("S3 listed a key that is not URL-encoded: %q: %w", key, err)
	}
	return k, nil
}

// objectPager lists current objects with ListObjectsV2.
type objectPager struct{ s *Store }

func (p *objectPager) fetch(ctx context.Context, prefix string, pos position) ([]entry, position, bool, error) {
	in := &awss3.ListObjectsV2Input{
		Bucket:                   aws.String(p.s.cfg.Bucket),
		Prefix:                   aws.String(prefix),
		MaxKeys:                  aws.Int32(int32(p.s.cfg.PageSize)),
		EncodingType:             types.EncodingTypeUrl,
		OptionalObjectAttributes: []types.OptionalObjectAttributes{types.OptionalObjectAttributesRestoreStatus},
	}
	if pos.token != "" {
		in.ContinuationToken = aws.String(pos.token)
	} else if pos.key != "" {
		in.StartAfter = aws.String(pos.key)
	}
	out, err := p.s.client.ListObjectsV2(ctx, in, p.s.lists.objectsV2)
	if err != nil {
		return nil, position{}, false, p.s.classify(err)
	}
	entries := make([]entry, 0, len(out.Contents))
	for _, o := range out.Contents {
		key, err := decodeKey(out.EncodingType, aws.ToString(o.Key))
		if err != nil {
			return nil, position{}, false, err
		}
		entries = append(entries, entry{key: key, fp: listedFingerprint("", aws.ToString(o.ETag), aws.ToInt64(o.Size),
			aws.ToTime(o.LastModified), string(o.StorageClass), o.RestoreStatus)})
	}
	if !aws.ToBool(out.IsTruncated) {
		return entries, position{}, true, nil
	}
	if aws.ToString(out.NextContinuationToken) == "" {
		return nil, position{}, false, fmt.Errorf("ListObjectsV2 of %q was truncated without a continuation token", prefix)
	}
	return entries, position{token: *out.NextContinuationToken}, false, nil
}

// versionPager lists versions and delete markers with ListObjectVersions.
type versionPager struct{ s *Store }

func (p *versionPager) fetch(ctx context.Context, prefix string, pos position) ([]entry, position, bool, error) {
	in := &awss3.ListObjectVersionsInput{
		Bucket:                   aws.String(p.s.cfg.Bucket),
		Prefix:                   aws.String(prefix),
		MaxKeys:                  aws.Int32(int32(p.s.cfg.PageSize)),
		EncodingType:             types.EncodingTypeUrl,
		OptionalObjectAttributes: []types.OptionalObjectAttributes{types.OptionalObjectAttributesRestoreStatus},
	}
	if pos.key != "" {
		in.KeyMarker = aws.String(pos.key)
	}
	if pos.id != "" {
		in.VersionIdMarker = aws.String(pos.id)
	}
	out, err := p.s.client.ListObjectVersions(ctx, in, p.s.lists.objectVersions)
	if err != nil {
		return nil, position{}, false, p.s.classify(err)
	}
	entries := make([]entry, 0, len(out.Versions)+len(out.DeleteMarkers))
	for _, v := range out.Versions {
		key, err := decodeKey(out.EncodingType, aws.ToString(v.Key))
		if err != nil {
			return nil, position{}, false, err
		}
		fp := listedFingerprint("", aws.ToString(v.ETag), aws.ToInt64(v.Size), aws.ToTime(v.LastModified),
			string(v.StorageClass), v.RestoreStatus)
		fp.VersionID = versionID(v.VersionId)
		entries = append(entries, entry{key: key, latest: aws.ToBool(v.IsLatest), fp: fp})
	}
	for _, m := range out.DeleteMarkers {
		key, err := decodeKey(out.EncodingType, aws.ToString(m.Key))
		if err != nil {
			return nil, position{}, false, err
		}
		entries = append(entries, entry{key: key, latest: aws.ToBool(m.IsLatest), deleteMarker: true,
			fp: inventory.Fingerprint{VersionID: versionID(m.VersionId)}})
	}
	// The two lists are each in key order; interleave them, keeping each
	// key's versions in the order S3 gave them (newest first).
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	if !aws.ToBool(out.IsTruncated) {
		return entries, position{}, true, nil
	}
	next, err := decodeKey(out.EncodingType, aws.ToString(out.NextKeyMarker))
	if err != nil || next == "" {
		return nil, position{}, false, fmt.Errorf("ListObjectVersions of %q was truncated without a usable next key marker %q: %v", prefix, aws.ToString(out.NextKeyMarker), err)
	}
	return entries, position{key: next, id: aws.ToString(out.NextVersionIdMarker)}, false, nil
}

// versionID returns S3's version id, "" for the "null" version of objects
// written while versioning was off.
func versionID(id *string) string {
	if v := aws.ToString(id); v != "null" {
		return v
	}
	return ""
}

// uploadPager lists unfinished multipart uploads with ListMultipartUploads.
type uploadPager struct{ s *Store }

func (p *uploadPager) fetch(ctx context.Context, prefix string, pos position) ([]entry, position, bool, error) {
	in := &awss3.ListMultipartUploadsInput{
		Bucket:       aws.String(p.s.cfg.Bucket),
		Prefix:       aws.String(prefix),
		MaxUploads:   aws.Int32(int32(p.s.cfg.PageSize)),
		EncodingType: types.EncodingTypeUrl,
	}
	if pos.key != "" {
		in.KeyMarker = aws.String(pos.key)
	}
	if pos.id != "" {
		in.UploadIdMarker = aws.String(pos.id)
	}
	out, err := p.s.client.ListMultipartUploads(ctx, in)
	if err != nil {
		return nil, position{}, false, p.s.classify(err)
	}
	entries := make([]entry, 0, len(out.Uploads))
	for _, u := range out.Uploads {
		key, err := decodeKey(out.EncodingType, aws.ToString(u.Key))
		if err != nil {
			return nil, position{}, false, err
		}
		entries = append(entries, entry{key: key})
	}
	// S3 sorts uploads by key; some S3-compatible stores (moto) return
	// them in the order they were started.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	if !aws.ToBool(out.IsTruncated) {
		return entries, position{}, true, nil
	}
	next, err := decodeKey(out.EncodingType, aws.ToString(out.NextKeyMarker))
	if err != nil || next == "" {
		return nil, position{}, false, fmt.Errorf("ListMultipartUploads of %q was truncated without a usable next key marker %q: %v", prefix, aws.ToString(out.NextKeyMarker), err)
	}
	return entries, position{key: next, id: aws.ToString(out.NextUploadIdMarker)}, false, nil
}
