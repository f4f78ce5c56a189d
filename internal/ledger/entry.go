// Package ledger holds the durable, sorted, per-key record of verdicts and
// evidence: the entry type, its JSON Lines encoding, and streaming readers
// and writers that check the order and compute digests as they go.
package ledger

import (
	"slices"
	"time"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// Role says what part a store plays in a pair.
type Role string

// Roles of the stores in a pair.
const (
	Legacy Role = "legacy"
	Target Role = "target"
)

// Entry is the ledger's record of one logical key in one run.
type Entry struct {
	// Key is the logical key.
	Key string `json:"key"`
	// Verdict is the key's verdict in this run.
	Verdict Verdict `json:"verdict"`
	// Evidence is what the verdict rests on.
	Evidence Evidence `json:"evidence"`
	// Detail explains the verdict in words: what differs, what is missing,
	// why nothing could be proven.
	Detail string `json:"detail,omitempty"`
	// Stores are the fingerprints as seen in this run, one per store that
	// listed the key: the legacy stores in the pair's order, then the target.
	Stores []StoreFingerprint `json:"stores,omitempty"`
	// Comparisons are the checksum comparisons behind the verdict, one per
	// legacy copy compared with the target.
	Comparisons []Comparison `json:"comparisons,omitempty"`
	// HeldBy names every legacy store that has held the key since it was
	// first seen (or re-created): how a later run knows deletion has begun
	// when a store stops listing it.
	HeldBy []string `json:"held_by,omitempty"`
	// ProvenAt records when parity was first proven for the legacy content
	// as it last was, and the target fingerprint proven. It is carried
	// across runs and cleared when the legacy content is no longer proven.
	ProvenAt *Proof `json:"proven_at,omitempty"`
	// DeletedAt is when the deletion of every legacy copy was first
	// confirmed.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// Baseline names the records of the legacy stores taken before any run
	// (S3 Inventories) that the verdict rests on: the key was deleted from
	// those stores before any run saw it there, and the inventory says
	// what each held. A later run that finds the key still gone keeps
	// them.
	Baseline []BaselineRef `json:"baseline,omitempty"`
}

// BaselineRef is what a legacy store's baseline — an S3 Inventory — said
// of a key: evidence named in the ledger.
type BaselineRef struct {
	// Store is the legacy store the inventory lists.
	Store string `json:"store"`
	// Inventory names the inventory: its manifest's location.
	Inventory string `json:"inventory"`
	// Date is the inventory's date (its manifest's creationTimestamp).
	Date time.Time `json:"date"`
	// Fingerprint is the key's fingerprint as the inventory listed it,
	// stored with an empty Key: size, ETag (with the MD5 it stands for),
	// encryption, version, storage class.
	inventory.Fingerprint
}

// StoreFingerprint is one store's fingerprint of the key.
type StoreFingerprint struct {
	Store string `json:"store"`
	Role  Role   `json:"role"`
	// Fingerprint is stored with an empty Key: the entry's key is the key.
	inventory.Fingerprint
}

// Comparison is one legacy copy compared with the target copy.
type Comparison struct {
	// Store is the legacy store whose copy was compared.
	Store string `json:"store"`
	// Evidence is the kind of evidence this comparison produced.
	Evidence Evidence `json:"evidence"`
	// Result is ResultEqual, ResultDiffer or ResultIncomparable.
	Result string `json:"result"`
	// Legacy and Target are the values compared ("md5:…", "size:…").
	Legacy Value `json:"legacy,omitzero"`
	Target Value `json:"target,omitzero"`
	// Carried is set when the legacy copy is the very object proven earlier
	// (same ETag, size and version: Legacy is its ETag) and the target
	// still matches the proof: the proof at proven_at carries over.
	Carried bool `json:"carried,omitempty"`
}

// Results of a [Comparison].
const (
	ResultEqual        = "equal"
	ResultDiffer       = "differ"
	ResultIncomparable = "incomparable"
)

// Proof is parity proven at a point in time: the evidence and the target's
// fingerprint as it was then, against which later runs check that the
// target still holds the proven content.
type Proof struct {
	At       time.Time `json:"at"`
	Evidence Evidence  `json:"evidence"`
	// Size, Checksums, Encryption and PartSize are the target's at the
	// time of the proof.
	Size       int64                `json:"size"`
	Checksums  []inventory.Checksum `json:"checksums,omitempty"`
	Encryption string               `json:"encryption,omitempty"`
	PartSize   int64                `json:"part_size,omitempty"`
}

// Fingerprint returns the proven target fingerprint, for comparisons.
func (p *Proof) Fingerprint() inventory.Fingerprint {
	return inventory.Fingerprint{Size: p.Size, Checksums: p.Checksums, Encryption: p.Encryption, PartSize: p.PartSize}
}

// Clone returns a copy of e that shares nothing e's producer may reuse: its
// slices are copied. Proofs, times and checksums are never changed once
// made, and stay shared.
func (e *Entry) Clone() Entry {
	c := *e
	c.Stores = slices.Clone(e.Stores)
	c.Comparisons = slices.Clone(e.Comparisons)
	c.HeldBy = slices.Clone(e.HeldBy)
	c.Baseline = slices.Clone(e.Baseline)
	return c
}

// Store returns the fingerprint the entry records for the named store.
func (e *Entry) Store(name string) (*StoreFingerprint, bool) {
	for i := range e.Stores {
		if e.Stores[i].Store == name {
			return &e.Stores[i], true
		}
	}
	return nil, false
}

// Bytes is the size the entry accounts for in reports: the first legacy
// copy's size, else the target's, else the proven size.
func (e *Entry) Bytes() int64 {
	for _, s := range e.Stores {
		if s.Role == Legacy && s.Holds() {
			return s.Size
		}
	}
	for _, s := range e.Stores {
		if s.Role == Target {
			return s.Size
		}
	}
	if e.ProvenAt != nil {
		return e.ProvenAt.Size
	}
	return 0
}
