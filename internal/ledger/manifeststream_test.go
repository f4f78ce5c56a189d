package ledger

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parityproof/parityproof/pkg/inventory"
)

func sampleManifests() map[string]*Manifest {
	tally := NewTally()
	tally.Add(&Entry{Key: "a", Verdict: Missing})
	tally.Add(&Entry{Key: "b", Verdict: Verified})
	file := func(path, first, last string, n int64) ManifestFile {
		return ManifestFile{Path: path, Digest: Digest{Entries: n, SHA256: strings.Repeat("ab", 32), Bytes: 100 * n, First: first, Last: last}}
	}
	return map[string]*Manifest{
		"no pairs":              {Schema: ManifestSchema},
		"a pair without shards": {Schema: ManifestSchema, Pairs: []ManifestPair{{Name: "p"}}},
		"files only (an earlier version's)": {Schema: ManifestSchema, Pairs: []ManifestPair{{Name: "us-users", Shards: []ManifestShard{
			{ID: "0001", Range: inventory.KeyRange{End: "m"}, Files: []ManifestFile{file("ledger/us-users/0001/part-000001.jsonl.gz", "a", "k", 7)}},
			{ID: "0002", Range: inventory.KeyRange{Start: "m"}, Files: []ManifestFile{}},
		}}}},
		"two pairs, everything recorded": {Schema: ManifestSchema, Pairs: []ManifestPair{
			{Name: "us-users", Shards: []ManifestShard{{
				ID: "0001", Range: inventory.KeyRange{End: "<m&>"},
				Files:      []ManifestFile{file("ledger/us-users/0001/part-000001.jsonl.gz", "a", "b", 2), file("ledger/us-users/0001/part-000002.jsonl.gz", "c", "k\u00e9", 2)},
				Tally:      &tally,
				Evidence:   map[Evidence]int64{EvidenceMD5: 3, EvidenceNone: 1},
				Exceptions: []ManifestFile{file("exceptions/us-users/0001/part-000001.jsonl.gz", "a", "a", 1)},
				SplitEvery: 2, SplitPoints: []string{"c"},
			}}},
			{Name: "sg-users", Shards: []ManifestShard{
				{ID: "0001", Range: inventory.KeyRange{End: "x"}, Files: []ManifestFile{}, Tally: &Tally{}},
				{ID: "0002", Range: inventory.KeyRange{Start: "x"}, Files: []ManifestFile{file("ledger/sg-users/0002/part-000001.jsonl.gz", "x", "z", 3)}},
			}},
		}},
	}
}

func TestManifestWriterWritesWhatEncodeWrites(t *testing.T) {
	for name, m := range sampleManifests() {
		t.Run(name, func(t *testing.T) {
			want, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			mw := NewManifestWriter(&buf)
			for _, p := range m.Pairs {
				if err := mw.Pair(p.Name); err != nil {
					t.Fatal(err)
				}
				for i := range p.Shards {
					if err := mw.Shard(&p.Shards[i]); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := mw.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("ManifestWriter (-Encode +writer):\n%s", diff)
			}
		})
	}
}

func TestWalkManifestReadsWhatDecodeReads(t *testing.T) {
	for name, m := range sampleManifests() {
		t.Run(name, func(t *testing.T) {
			b, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecodeManifest(b, "m")
			if err != nil {
				t.Fatal(err)
			}
			got := &Manifest{Schema: ManifestSchema}
			err = WalkManifest(bytes.NewReader(b), "m", func(pair string, s *ManifestShard) error {
				if n := len(got.Pairs); n == 0 || got.Pairs[n-1].Name != pair {
					got.Pairs = append(got.Pairs, ManifestPair{Name: pair})
				}
				p := &got.Pairs[len(got.Pairs)-1]
				p.Shards = append(p.Shards, *s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// A pair without shards is not walked.
			var withShards []ManifestPair
			for _, p := range want.Pairs {
				if len(p.Shards) > 0 {
					withShards = append(withShards, p)
				}
			}
			want.Pairs = withShards
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(Tally{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("walked (-DecodeManifest +WalkManifest):\n%s", diff)
			}
		})
	}
}

func TestWalkManifestIsStrict(t *testing.T) {
	for in, want := range map[string]string{
		`{"schema": "parityproof.manifest/v0", "pairs": []}`:                                    `schema "parityproof.manifest/v0"`,
		`{"pairs": [], "schema": "parityproof.manifest/v1"}`:                                    "its pairs come before its schema",
		`{"schema": "parityproof.manifest/v1", "pairs": [], "extra": 1}`:                        `unknown field "extra"`,
		`{"schema": "parityproof.manifest/v1", "pairs": [{"name": "p", "color": "red"}]}`:       `unknown field "color" in pair p`,
		`{"schema": "parityproof.manifest/v1", "pairs": [{"shards": [], "name": "p"}]}`:         "a pair's shards come before its name",
		`{"schema": "parityproof.manifest/v1", "pairs": [{"name": "p", "shards": [{"x": 1}]}]}`: `a shard of pair p: json: unknown field "x"`,
		`{"schema": "parityproof.manifest/v1", "pairs": []} {}`:                                 "more than one JSON value",
		`{"schema": "parityproof.manifest/v1", "pairs": [`:                                      "EOF",
		`{}`: `schema ""`,
	} {
		err := WalkManifest(strings.NewReader(in), "m.json", func(string, *ManifestShard) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "manifest m.json: ") {
			t.Errorf("WalkManifest(%s) = %v, want an error saying %q", in, err, want)
		}
	}
}

func TestWalkManifestStopsAtTheCallersError(t *testing.T) {
	m := sampleManifests()["two pairs, everything recorded"]
	b, _ := m.Encode()
	stop := fmt.Errorf("enough")
	n := 0
	err := WalkManifest(bytes.NewReader(b), "m", func(string, *ManifestShard) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("WalkManifest returned %v after %d shards, want the callback's error after 1", err, n)
	}
}
