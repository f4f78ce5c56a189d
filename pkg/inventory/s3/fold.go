package s3

import "github.com/parityproof/parityproof/pkg/inventory"

// entry is one item of an S3 listing: an object, a version or delete
// marker, or an unfinished upload.
type entry struct {
	// key is the full S3 key, decoded.
	key string
	// latest: the version is the current one (ListObjectVersions' IsLatest).
	latest bool
	// deleteMarker: the version is a delete marker.
	deleteMarker bool
	// fp is what the listing tells of the object or version; its Key is
	// set by the fold.
	fp inventory.Fingerprint
}

// A folder turns a stream of entries sorted by key into fingerprints, one
// per key. The entries of one key may arrive over several calls to add
// (they straddle pages); a key's fingerprint is appended to out once a
// greater key arrives, or at flush.
type folder interface {
	add(out []inventory.Fingerprint, logical string, e entry) []inventory.Fingerprint
	flush(out []inventory.Fingerprint) []inventory.Fingerprint
}

// objectFolder: ListObjectsV2 gives one entry per key.
type objectFolder struct{}

func (objectFolder) add(out []inventory.Fingerprint, logical string, e entry) []inventory.Fingerprint {
	fp := e.fp
	fp.Key = logical
	return append(out, fp)
}

func (objectFolder) flush(out []inventory.Fingerprint) []inventory.Fingerprint { return out }

// versionFolder folds the versions of each key, newest first, into one
// fingerprint: Presence DeleteMarker when the newest version is a delete
// marker, NoObject when no version is current; the data fields describe
// the current version or else the newest noncurrent one; every data
// version that is not current counts in NoncurrentVersions.
type versionFolder struct {
	cur       inventory.Fingerprint
	open      bool
	current   bool // a version (data or marker) is the latest
	described bool // cur's data fields come from a data version
}

func (f *versionFolder) add(out []inventory.Fingerprint, logical string, e entry) []inventory.Fingerprint {
	if f.open && f.cur.Key != logical {
		out = f.flush(out)
	}
	if !f.open {
		*f = versionFolder{cur: inventory.Fingerprint{Key: logical}, open: true}
	}
	if e.latest {
		f.current = true
		if e.deleteMarker {
			f.cur.Presence = inventory.DeleteMarker
		}
	}
	if e.deleteMarker {
		return out
	}
	if !e.latest {
		f.cur.NoncurrentVersions++
	}
	if !f.described {
		f.described = true
		keep := f.cur
		f.cur = e.fp
		f.cur.Key, f.cur.Presence, f.cur.NoncurrentVersions = keep.Key, keep.Presence, keep.NoncurrentVersions
	}
	return out
}

func (f *versionFolder) flush(out []inventory.Fingerprint) []inventory.Fingerprint {
	if !f.open {
		return out
	}
	if !f.current {
		f.cur.Presence = inventory.NoObject
	}
	out = append(out, f.cur)
	*f = versionFolder{}
	return out
}

// uploadFolder counts the unfinished multipart uploads of each key into a
// fingerprint with Presence NoObject; the listing merges it with the
// key's object, if there is one.
type uploadFolder struct {
	cur  inventory.Fingerprint
	open bool
}

func (f *uploadFolder) add(out []inventory.Fingerprint, logical string, _ entry) []inventory.Fingerprint {
	if f.open && f.cur.Key != logical {
		out = f.flush(out)
	}
	if !f.open {
		f.cur, f.open = inventory.Fingerprint{Key: logical, Presence: inventory.NoObject}, true
	}
	f.cur.UnfinishedUploads++
	return out
}

func (f *uploadFolder) flush(out []inventory.Fingerprint) []inventory.Fingerprint {
	if f.open {
		out = append(out, f.cur)
		f.open = false
	}
	return out
}
