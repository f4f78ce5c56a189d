package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// ManifestSchema names the manifest format.
const ManifestSchema = "parityproof.manifest/v1"

// Manifest lists a run's ledger files and their digests. Its own digest
// (ManifestDigest of its bytes) goes into the report; anyone holding the
// files can recompute both. It holds nothing that differs between two runs
// that judged the same keys the same way, so an interrupted and resumed run
// has the manifest of an uninterrupted one.
type Manifest struct {
	Schema string         `json:"schema"`
	Pairs  []ManifestPair `json:"pairs"`
}

// ManifestPair is one pair's shards.
type ManifestPair struct {
	Name   string          `json:"name"`
	Shards []ManifestShard `json:"shards"`
}

// ManifestShard is one shard's ledger files, in key order, and what the
// shard recorded as it wrote them: its tally, its exceptions and its split
// points. Manifests written before those were recorded have only the files
// (Tally nil): a reader then recounts from the files.
type ManifestShard struct {
	ID    string             `json:"id"`
	Range inventory.KeyRange `json:"range"`
	Files []ManifestFile     `json:"files"`
	// Tally counts the shard's entries and bytes per verdict.
	Tally *Tally `json:"tally,omitempty"`
	// Evidence counts the shard's entries per kind of evidence.
	Evidence map[Evidence]int64 `json:"evidence,omitempty"`
	// Exceptions are the shard's exception files: the entries of Files
	// whose verdicts are exceptions or critical, in key order, in files of
	// the ledger's format (one beside each ledger part that has any).
	Exceptions []ManifestFile `json:"exceptions,omitempty"`
	// SplitPoints are the keys at which the shard's entry count reached a
	// multiple of SplitEvery (the run's shard size): the key of entry
	// SplitEvery, 2*SplitEvery, … (counting from 0). The next run cuts a
	// shard that grew at these keys instead of reading its ledger.
	SplitEvery  int64    `json:"split_every,omitempty"`
	SplitPoints []string `json:"split_points,omitempty"`
}

// Entries counts the shard's entries from its files.
func (s *ManifestShard) Entries() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Entries
	}
	return n
}

// ManifestFile is one ledger file: its path relative to the run's folder
// and its digest.
type ManifestFile struct {
	Path string `json:"path"`
	Digest
}

// Encode returns the manifest's canonical bytes.
func (m *Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ManifestDigest returns the SHA-256 of a manifest's bytes, in hex.
func ManifestDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DecodeManifest parses a manifest strictly.
func DecodeManifest(b []byte, name string) (*Manifest, error) {
	var m Manifest
	if err := decodeStrict(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("manifest %s: schema %q, want %q", name, m.Schema, ManifestSchema)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	return &m, nil
}
