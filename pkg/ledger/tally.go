package ledger

// Tally counts entries and their bytes per verdict.
type Tally struct {
	Objects  int64
	Bytes    int64
	Verdicts map[Verdict]int64
	// VerdictBytes sums Entry.Bytes per verdict.
	VerdictBytes map[Verdict]int64
}

// NewTally returns a Tally with every verdict present at zero, as reports
// show them.
func NewTally() Tally {
	t := Tally{Verdicts: make(map[Verdict]int64, len(Verdicts)), VerdictBytes: make(map[Verdict]int64, len(Verdicts))}
	for _, v := range Verdicts {
		t.Verdicts[v], t.VerdictBytes[v] = 0, 0
	}
	return t
}

// Add counts e.
func (t *Tally) Add(e *Entry) {
	b := e.Bytes()
	t.Objects++
	t.Bytes += b
	t.Verdicts[e.Verdict]++
	t.VerdictBytes[e.Verdict] += b
}

// Merge adds the counts of u to t.
func (t *Tally) Merge(u Tally) {
	t.Objects += u.Objects
	t.Bytes += u.Bytes
	for v, n := range u.Verdicts {
		t.Verdicts[v] += n
	}
	for v, n := range u.VerdictBytes {
		t.VerdictBytes[v] += n
	}
}

// Exceptions counts the entries whose verdicts are exceptions or critical.
func (t *Tally) Exceptions() int64 {
	var n int64
	for v, c := range t.Verdicts {
		if v.IsException() {
			n += c
		}
	}
	return n
}
