package ledger

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeManifest feeds the manifest decoder what a stranger could put
// in a state location or a bundle: it never panics; what it accepts names
// only files inside the run's folder, and encodes to a manifest that
// decodes to the same.
func FuzzDecodeManifest(f *testing.F) {
	good := &Manifest{Schema: ManifestSchema, Pairs: []ManifestPair{{Name: "p", Shards: []ManifestShard{{ID: "0001",
		Files: []ManifestFile{{Path: "ledger/p/0001/part-000001.jsonl.gz", Digest: Digest{Entries: 3, SHA256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", Bytes: 120, First: "a", Last: "c"}}}}}}}}
	b, err := good.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(bytes.Replace(b, []byte("ledger/p/"), []byte("../../../"), 1))
	f.Add([]byte(`{"schema":"parityproof.manifest/v1","pairs":null}`))
	f.Add([]byte(`{"schema":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data, "fuzz")
		if err != nil {
			return
		}
		for _, p := range m.Pairs {
			for _, s := range p.Shards {
				for _, file := range s.Files {
					if !LocalPath(file.Path) {
						t.Fatalf("accepted the path %q", file.Path)
					}
				}
			}
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := DecodeManifest(again, "fuzz")
		if err != nil {
			t.Fatalf("a decoded manifest encodes to one that does not decode: %v", err)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
