// Package workload defines the object sets bench/compare seeds into a
// legacy and a target bucket: their keys, their contents, and the
// differences planted between the two, so that the seeder and the runner
// agree on what a correct check must find.
//
// Every workload plants, for each 2,000 keys, one key missing from the
// target, one target copy changed at the same size, and one extra key in
// the target only (50 of each at 100,000 keys). Workload c also changes
// every tenth target copy at the same size.
package workload

import (
	"fmt"
	"hash/fnv"
	"slices"
)

// Names lists the workloads.
var Names = []string{"a", "b", "c"}

// describe says what each workload is, for tables and logs.
var describe = map[string]string{
	"a": "100 folders",
	"b": "one flat prefix",
	"c": "100 folders, 10% changed",
}

// plantEvery is the period of the planted differences; missingAt,
// changedAt and extraAt their offsets within it.
const (
	plantEvery = 2000
	missingAt  = 7
	changedAt  = 1007
	extraAt    = 13
)

// Workload is one object set of N keys.
type Workload struct {
	Name string
	N    int
}

// New returns the workload called name with n keys.
func New(name string, n int) (Workload, error) {
	if _, ok := describe[name]; !ok {
		return Workload{}, fmt.Errorf("unknown workload %q (want one of %v)", name, Names)
	}
	if n < 1 {
		return Workload{}, fmt.Errorf("workload %s: %d objects; want at least 1", name, n)
	}
	return Workload{Name: name, N: n}, nil
}

// Describe says what the workload is, in a few words.
func (w Workload) Describe() string { return describe[w.Name] }

// Fate is what becomes of a legacy key's copy in the target.
type Fate int

// Fates.
const (
	Same    Fate = iota // copied as is
	Missing             // not copied
	Changed             // copied with different bytes, same size
)

// Key returns the i-th legacy key (0 ≤ i < N); keys ascend with i.
func (w Workload) Key(i int) string {
	switch w.Name {
	case "b":
		return fmt.Sprintf("backups/backup-%08d.bin", i)
	default:
		per := (w.N + 99) / 100 // 100 folders
		return fmt.Sprintf("user-%03d/backup-%08d.bin", i/per, i%per)
	}
}

// Fate returns what becomes of the i-th key in the target.
func (w Workload) Fate(i int) Fate {
	switch {
	case i%plantEvery == missingAt:
		return Missing
	case i%plantEvery == changedAt:
		return Changed
	case w.Name == "c" && i%10 == 3:
		return Changed
	}
	return Same
}

// Extra says whether the target holds a key of its own right after the
// i-th key; ExtraKey names it.
func (w Workload) Extra(i int) bool { return i%plantEvery == extraAt }

// ExtraKey returns the target-only key that follows the i-th key.
func (w Workload) ExtraKey(i int) string { return w.Key(i) + ".extra" }

// Expect counts what a check of the workload must find.
type Expect struct {
	Workload string `json:"workload"`
	// Keys is the number of legacy keys; Missing, Changed and Extra the
	// planted differences; Matching the keys whose copies are equal.
	Keys     int `json:"keys"`
	Missing  int `json:"missing"`
	Changed  int `json:"changed"`
	Extra    int `json:"extra"`
	Matching int `json:"matching"`
}

// Expect counts the workload's planted differences.
func (w Workload) Expect() Expect {
	e := Expect{Workload: w.Name, Keys: w.N}
	for i := range w.N {
		switch w.Fate(i) {
		case Missing:
			e.Missing++
		case Changed:
			e.Changed++
		default:
			e.Matching++
		}
		if w.Extra(i) {
			e.Extra++
		}
	}
	return e
}

// Body returns the content of key: 64 to 255 bytes that depend on the key
// alone.
func Body(key string) []byte {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64() | 1
	b := make([]byte, 64+x%192)
	for i := range b {
		x ^= x << 13 // xorshift64
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// ChangedBody returns body with different bytes and the same size.
func ChangedBody(body []byte) []byte {
	c := slices.Clone(body)
	for i := range min(len(c), 8) {
		c[i] ^= 0xff
	}
	return c
}
