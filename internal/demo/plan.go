package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// plan is the demo's story: which objects exist where, and which faults are
// planted, so that the two runs reach every verdict.
type plan struct {
	keys []string
	// Roles of particular keys.
	missing       []string // never migrated; two of them deleted anyway
	truncated     string   // the OCI copy is shorter
	corrupted     string   // the OCI copy has the same size, other bytes
	deep          string   // multipart with another part layout: settled by reading
	overBudget    string   // the same, too big for the read budget: unproven
	archived      string   // the same, and the OCI copy is archived: error
	extra         []string // only in OCI
	keepSG        []string // deletion leaves the Singapore copy
	markerOnly    string   // deletion leaves a delete marker over versions
	uploadLeft    string   // deletion leaves an unfinished upload
	targetLost    string   // deleted, and its OCI copy deleted too
	targetChanged string   // deleted, and its OCI copy overwritten
}

// Sizes of the demo's objects.
const (
	partSize      = 64 << 10  // the legacy multipart uploads' part size
	otherPartSize = 100 << 10 // the migration tool's, for some objects
	readBudget    = "1MiB"
)

func newPlan(n int) *plan {
	p := &plan{}
	for i := range n {
		p.keys = append(p.keys, fmt.Sprintf("%05d/backup-%d.bin", i/10, i%10))
	}
	k := func(i int) string { return p.keys[i] }
	p.missing = []string{k(3), k(13), k(23)}
	p.truncated, p.corrupted = k(5), k(15)
	p.deep, p.overBudget, p.archived = k(30), k(31), k(32)
	p.extra = []string{"00000/not-from-legacy.bin", "zz-scratch/notes.txt"}
	p.keepSG = []string{k(7), k(17)}
	p.markerOnly, p.uploadLeft = k(8), k(18)
	p.targetLost, p.targetChanged = k(9), k(19)
	return p
}

// content makes an object's bytes: mostly small, a few multipart.
func (p *plan) content(key string) (data []byte, multipart bool) {
	size := 1024 + len(key)*37%9000
	switch key {
	case p.deep, p.archived:
		size, multipart = 150<<10, true
	case p.overBudget:
		size, multipart = 900<<10, true
	case p.keys[1], p.keys[11]:
		size, multipart = 200<<10, true // same layout on both sides: multipart MD5
	}
	var b strings.Builder
	for b.Len() < size {
		fmt.Fprintf(&b, "%s line %d of the backup of user %s\n", key, b.Len(), key[:5])
	}
	return []byte(b.String()[:size]), multipart
}

// seed uploads every object to both legacy buckets and migrates it to OCI,
// planting the faults.
func (p *plan) seed(ctx context.Context, w *world) error {
	for _, key := range p.keys {
		data, multipart := p.content(key)
		ps := 0
		if multipart {
			ps = partSize
		}
		for _, b := range []string{legacyUS, legacySG} {
			if err := w.putLegacy(ctx, b, key, data, ps); err != nil {
				return err
			}
		}
		targetPS, archive := ps, false
		switch key {
		case p.truncated:
			data = data[:len(data)-100]
		case p.corrupted:
			data = append([]byte(nil), data...)
			copy(data[10:], "CORRUPTED")
		case p.deep, p.overBudget:
			targetPS = otherPartSize
		case p.archived:
			targetPS, archive = otherPartSize, true
		}
		if slices.Contains(p.missing, key) {
			continue
		}
		if err := w.putTarget(ctx, key, data, targetPS, archive); err != nil {
			return err
		}
	}
	for _, key := range p.extra {
		if err := w.putTarget(ctx, key, []byte("a file someone put in the target by hand\n"), 0, false); err != nil {
			return err
		}
	}
	return nil
}

// cleanSubject is a user (key prefix) all of whose backups were deleted
// with parity proven; dirtySubject one whose deletion went wrong.
func (p *plan) cleanSubject() string { return p.keys[len(p.keys)-1][:6] }
func (p *plan) dirtySubject() string { return p.keys[0][:6] }

func (p *plan) describeFaults() string {
	return fmt.Sprintf(`  %s never migrated (missing)
  %s truncated in OCI, %s corrupted in OCI (mismatch)
  %s and %s migrated in another part layout: only a content read settles them,
    and the second is too big for the %s read budget (unproven)
  %s migrated in another part layout into OCI's archive tier (error: needs a restore)
  %s only in OCI (extra)
`, strings.Join(p.missing, ", "), p.truncated, p.corrupted, p.deep, p.overBudget, readBudget, p.archived, strings.Join(p.extra, ", "))
}

// deleteLegacy deletes the legacy copies as a migration team would, with
// the mistakes the second run must catch.
func (p *plan) deleteLegacy(ctx context.Context, w *world) error {
	for _, key := range p.keys {
		switch {
		case key == p.truncated || key == p.corrupted || key == p.archived || key == p.missing[2]:
			continue // exceptions are not deleted
		case slices.Contains(p.keepSG, key):
			if err := w.deleteLegacy(ctx, legacyUS, key, true); err != nil {
				return err
			}
			continue
		case key == p.markerOnly:
			if err := w.deleteLegacy(ctx, legacyUS, key, false); err != nil {
				return err
			}
			if err := w.deleteLegacy(ctx, legacySG, key, true); err != nil {
				return err
			}
			continue
		}
		for _, b := range []string{legacyUS, legacySG} {
			if err := w.deleteLegacy(ctx, b, key, true); err != nil {
				return err
			}
		}
		switch key {
		case p.uploadLeft:
			if err := w.startUpload(ctx, legacySG, key); err != nil {
				return err
			}
		case p.targetLost:
			if err := w.deleteTarget(ctx, key); err != nil {
				return err
			}
		case p.targetChanged:
			if err := w.putTarget(ctx, key, []byte("overwritten by a careless job\n"), 0, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *plan) describeDeletion() string {
	return fmt.Sprintf(`  %s deleted from %s only (deletion_incomplete)
  %s hidden behind a delete marker in %s, its versions kept (deletion_incomplete)
  %s deleted, but an unfinished multipart upload was started in %s (deletion_incomplete)
  %s and %s deleted without ever being migrated (deleted_unverified), and %s, never proven
  %s deleted from OCI too, %s overwritten in OCI after the proof (copy_lost)
`, strings.Join(p.keepSG, ", "), legacyUS, p.markerOnly, legacyUS, p.uploadLeft, legacySG,
		p.missing[0], p.missing[1], p.overBudget, p.targetLost, p.targetChanged)
}

// config is the demo's configuration file.
func (p *plan) config(w *world) string {
	return fmt.Sprintf(`# Written by parityproof demo: two legacy S3 buckets on an in-process S3
# emulator, an OCI bucket on ocilocal.
stores:
  legacy-us:
    type: s3
    bucket: %[1]s
    prefix: %[3]s
    region: us-east-1
    endpoint: %[4]s
    path_style: true
  legacy-sg:
    type: s3
    bucket: %[2]s
    prefix: %[3]s
    region: ap-southeast-1
    endpoint: %[4]s
    path_style: true
  oci-us:
    type: oci
    namespace: %[5]s
    bucket: %[6]s
    prefix: %[7]s
    region: us-ashburn-1
    endpoint: %[8]s
    config_file: %[9]s
    profile: %[10]s
pairs:
  - name: us-users
    legacy: [legacy-us, legacy-sg]
    target: oci-us
state: file://./state
reports: file://./reports
policy:
  deep_verify_budget: %[11]s
  allowed_target_regions: [us-ashburn-1, us-phoenix-1]
  accept_asserted_checksums: false
run:
  workers: 4
`, legacyUS, legacySG, legacyPrefix, w.s3Endpoint, namespace, targetBucket, targetPrefix, w.oci.Endpoint, w.ociConfig, ociProfile, readBudget)
}

func sortStrings(s []string) { slices.Sort(s) }
