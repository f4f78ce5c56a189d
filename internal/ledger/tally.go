package ledger

import (
	"encoding/json"
	"fmt"
)

// Tally counts entries and their bytes per verdict, and per verdict the
// entries judged from a baseline (Entry.Baseline).
type Tally struct {
	Objects  int64
	Bytes    int64
	counts   [numVerdicts]int64
	bytes    [numVerdicts]int64
	baseline [numVerdicts]int64
}

const numVerdicts = 10

// index returns v's place in [Verdicts], or -1.
func (v Verdict) index() int {
	switch v {
	case Verified:
		return 0
	case Deleted:
		return 1
	case Missing:
		return 2
	case Mismatch:
		return 3
	case Unproven:
		return 4
	case DeletionIncomplete:
		return 5
	case DeletedUnverified:
		return 6
	case CopyLost:
		return 7
	case Extra:
		return 8
	case Error:
		return 9
	}
	return -1
}

// NewTally returns an empty Tally.
func NewTally() Tally { return Tally{} }

// Add counts e.
func (t *Tally) Add(e *Entry) {
	b := e.Bytes()
	t.Objects++
	t.Bytes += b
	if i := e.Verdict.index(); i >= 0 {
		t.counts[i]++
		t.bytes[i] += b
		if len(e.Baseline) > 0 {
			t.baseline[i]++
		}
	}
}

// Merge adds the counts of u to t.
func (t *Tally) Merge(u Tally) {
	t.Objects += u.Objects
	t.Bytes += u.Bytes
	for i := range t.counts {
		t.counts[i] += u.counts[i]
		t.bytes[i] += u.bytes[i]
		t.baseline[i] += u.baseline[i]
	}
}

// FromBaseline returns the number of entries with verdict v judged from a
// baseline.
func (t *Tally) FromBaseline(v Verdict) int64 {
	if i := v.index(); i >= 0 {
		return t.baseline[i]
	}
	return 0
}

// BaselineVerdicts returns, for every verdict, the entries judged from a
// baseline, or nil when none was.
func (t *Tally) BaselineVerdicts() map[Verdict]int64 {
	if t.baseline == [numVerdicts]int64{} {
		return nil
	}
	m := make(map[Verdict]int64, numVerdicts)
	for _, v := range Verdicts {
		m[v] = t.FromBaseline(v)
	}
	return m
}

// Count returns the number of entries with verdict v.
func (t *Tally) Count(v Verdict) int64 {
	if i := v.index(); i >= 0 {
		return t.counts[i]
	}
	return 0
}

// BytesOf returns the bytes of the entries with verdict v.
func (t *Tally) BytesOf(v Verdict) int64 {
	if i := v.index(); i >= 0 {
		return t.bytes[i]
	}
	return 0
}

// Verdicts returns the count of every verdict, zero or not, as report.json
// shows them.
func (t *Tally) Verdicts() map[Verdict]int64 {
	m := make(map[Verdict]int64, numVerdicts)
	for _, v := range Verdicts {
		m[v] = t.Count(v)
	}
	return m
}

// VerdictBytes returns the bytes of every verdict, zero or not.
func (t *Tally) VerdictBytes() map[Verdict]int64 {
	m := make(map[Verdict]int64, numVerdicts)
	for _, v := range Verdicts {
		m[v] = t.BytesOf(v)
	}
	return m
}

// Exceptions counts the entries whose verdicts are exceptions or critical.
func (t *Tally) Exceptions() int64 {
	var n int64
	for _, v := range Verdicts {
		if v.IsException() {
			n += t.Count(v)
		}
	}
	return n
}

// Critical counts the entries whose verdicts are critical.
func (t *Tally) Critical() int64 {
	var n int64
	for _, v := range Verdicts {
		if v.Severity() == Critical {
			n += t.Count(v)
		}
	}
	return n
}

// tallyJSON is a Tally's encoding.
type tallyJSON struct {
	Objects      int64             `json:"objects"`
	Bytes        int64             `json:"bytes"`
	Verdicts     map[Verdict]int64 `json:"verdicts"`
	VerdictBytes map[Verdict]int64 `json:"verdict_bytes"`
	// Baseline is left out when no entry was judged from a baseline, so
	// that tallies without one encode as they always did.
	Baseline map[Verdict]int64 `json:"baseline_verdicts,omitempty"`
}

// MarshalJSON encodes the tally with every verdict present.
func (t Tally) MarshalJSON() ([]byte, error) {
	return json.Marshal(tallyJSON{t.Objects, t.Bytes, t.Verdicts(), t.VerdictBytes(), t.BaselineVerdicts()})
}

// UnmarshalJSON decodes a tally, rejecting unknown verdicts.
func (t *Tally) UnmarshalJSON(b []byte) error {
	var j tallyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = Tally{Objects: j.Objects, Bytes: j.Bytes}
	for v, n := range j.Verdicts {
		i := v.index()
		if i < 0 {
			return fmt.Errorf("unknown verdict %q in a tally", v)
		}
		t.counts[i] = n
	}
	for v, n := range j.VerdictBytes {
		i := v.index()
		if i < 0 {
			return fmt.Errorf("unknown verdict %q in a tally", v)
		}
		t.bytes[i] = n
	}
	for v, n := range j.Baseline {
		i := v.index()
		if i < 0 {
			return fmt.Errorf("unknown verdict %q in a tally", v)
		}
		t.baseline[i] = n
	}
	return nil
}
