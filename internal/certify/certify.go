// Package certify answers a data subject's deletion request from the
// evidence ledgers: for every object under a key prefix (or one key), its
// migration proof and its deletion proof across every complete run, the
// runs and ledger digests behind them, and a statement — certified, or not
// and why. It reads only the ledger parts whose first and last keys cover
// the subject, each checked against its run's manifest, so a certificate
// costs a few parts per run whatever the size of the ledger. Verify
// recomputes a certificate from the same parts, as attest verify does a
// report. Explain gives one key's history for engineers.
//
// It reads the state location through internal/state and calls no store.
package certify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// Schema names the certificate format.
const Schema = "parityproof.certificate/v1"

// Certificate is certificate.json: a deletion certificate for one subject.
// Its field names are a contract, like report.json's.
type Certificate struct {
	Schema  string  `json:"schema"`
	Subject Subject `json:"subject"`
	// IssuedAt is when it was made; ToolVersion by which parityproof.
	IssuedAt    time.Time `json:"issued_at"`
	ToolVersion string    `json:"tool_version"`
	// State is the state location whose ledgers it rests on.
	State string `json:"state"`
	// Certified is true when every legacy object of the subject was
	// proven identical to its target copy before its legacy copies, every
	// version, were deleted, and the target copy still matches the proof,
	// as the newest run found.
	Certified bool `json:"certified"`
	// Statement says so in words; Reasons say, object by object and worst
	// first, why not.
	Statement string   `json:"statement"`
	Reasons   []string `json:"reasons,omitempty"`
	// Counts are the subject's objects per verdict in the newest run.
	Counts map[ledger.Verdict]int64 `json:"counts"`
	// Objects are the subject's objects, by pair then key.
	Objects []Object `json:"objects"`
	// Runs are the complete runs read, oldest first, with the ledger parts
	// read of each.
	Runs []RunRef `json:"runs"`
}

// RunRef is one run behind a certificate: its manifest's digest and the
// ledger parts read.
type RunRef struct {
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Clock says how the run's clock was simulated (the demo's).
	Clock    string    `json:"clock,omitempty"`
	Manifest string    `json:"manifest"`
	SHA256   string    `json:"sha256"`
	Parts    []PartRef `json:"parts"`
}

// PartRef is one ledger part read, as the manifest lists it.
type PartRef struct {
	Pair    string `json:"pair"`
	Path    string `json:"path"`
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
	Entries int64  `json:"entries"`
	First   string `json:"first"`
	Last    string `json:"last"`
}

// Object is one object of the subject and its proofs.
type Object struct {
	Pair string `json:"pair"`
	Key  string `json:"key"`
	// Verdict is the newest run's; LastRun names that run.
	Verdict ledger.Verdict `json:"verdict"`
	Detail  string         `json:"detail,omitempty"`
	LastRun string         `json:"last_run"`
	// Certified is true when this object's deletion is proven safe.
	Certified bool `json:"certified"`
	// Reason says why not.
	Reason string `json:"reason,omitempty"`
	// Migration is the proof of parity the ledger carries: when, by which
	// evidence, in which run, and the target fingerprint proven.
	Migration *MigrationProof `json:"migration,omitempty"`
	// Deletion is when the deletion of every legacy copy was confirmed.
	Deletion *DeletionProof `json:"deletion,omitempty"`
	// Legacy is, per legacy store, what each run saw of the key: every
	// version seen, when it was last seen and when first found gone.
	Legacy []CopyHistory `json:"legacy"`
	// Target is the target copy as the newest run saw it; nil when it
	// did not list it.
	Target *Copy `json:"target,omitempty"`
	// History is the object's verdict in every run, oldest first.
	History []Step `json:"history"`
}

// MigrationProof is parity proven between the legacy copies and the
// target copy.
type MigrationProof struct {
	ProvenAt time.Time       `json:"proven_at"`
	Evidence ledger.Evidence `json:"evidence"`
	// Run is the run whose ledger first records this proof.
	Run string `json:"run"`
	// Size and Checksums are the target's, as proven.
	Size      int64    `json:"size"`
	Checksums []string `json:"checksums,omitempty"`
}

// DeletionProof is the confirmed deletion of every legacy copy.
type DeletionProof struct {
	DeletedAt time.Time `json:"deleted_at"`
	// Run first confirmed it; ConfirmedBy is the newest run that still
	// finds every legacy copy gone.
	Run         string `json:"run"`
	ConfirmedBy string `json:"confirmed_by"`
}

// CopyHistory is one legacy store's copy of the key across runs.
type CopyHistory struct {
	Store string `json:"store"`
	// Versions are the distinct versions the store was seen holding.
	Versions []VersionSeen `json:"versions"`
	// LastSeen is the last run in which the store held any version (or
	// an unfinished upload) of the key; Gone the first run after it in
	// which it held none. StillHeld is set when the newest run found it
	// still there.
	LastSeen   string    `json:"last_seen,omitempty"`
	LastSeenAt time.Time `json:"last_seen_at,omitzero"`
	Gone       string    `json:"gone,omitempty"`
	GoneAt     time.Time `json:"gone_at,omitzero"`
	StillHeld  bool      `json:"still_held"`
}

// VersionSeen is one version of a legacy copy and the runs that saw it.
type VersionSeen struct {
	VersionID string `json:"version_id,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Size      int64  `json:"size"`
	Presence  string `json:"presence"`
	// Noncurrent and Uploads count the noncurrent versions and
	// unfinished uploads seen beside it.
	Noncurrent int    `json:"noncurrent,omitempty"`
	Uploads    int    `json:"uploads,omitempty"`
	FirstRun   string `json:"first_run"`
	LastRun    string `json:"last_run"`
}

// Copy is a store's copy of the key in one run.
type Copy struct {
	Store     string   `json:"store"`
	Presence  string   `json:"presence"`
	Size      int64    `json:"size"`
	VersionID string   `json:"version_id,omitempty"`
	Checksums []string `json:"checksums,omitempty"`
}

// Step is the object's verdict in one run.
type Step struct {
	Run      string          `json:"run"`
	Verdict  ledger.Verdict  `json:"verdict"`
	Evidence ledger.Evidence `json:"evidence"`
}

// Options qualify Build.
type Options struct {
	// Now is when the certificate is issued; zero means time.Now.
	Now         time.Time
	ToolVersion string
}

// Build makes the certificate of subj from the ledgers at the state
// location.
func Build(ctx context.Context, st *state.State, subj Subject, o Options) (*Certificate, error) {
	if subj.Key == "" && subj.Prefix == "" {
		return nil, fmt.Errorf("a certificate needs a prefix or a key")
	}
	runs, err := collect(ctx, st, subj, 0)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	c := &Certificate{Schema: Schema, Subject: subj, IssuedAt: o.Now.UTC().Truncate(time.Second), ToolVersion: o.ToolVersion, State: st.URL("")}
	assemble(c, runs)
	return c, nil
}

// assemble fills in everything a certificate derives from its runs'
// entries: what Build computes and Verify recomputes.
func assemble(c *Certificate, runs []runData) {
	c.Runs = make([]RunRef, 0, len(runs))
	ids := map[objectID]bool{}
	for _, r := range runs {
		c.Runs = append(c.Runs, r.ref)
		for id := range r.entries {
			ids[id] = true
		}
	}
	keys := make([]objectID, 0, len(ids))
	for id := range ids {
		keys = append(keys, id)
	}
	slices.SortFunc(keys, func(a, b objectID) int {
		if a.Pair != b.Pair {
			return strings.Compare(a.Pair, b.Pair)
		}
		return strings.Compare(a.Key, b.Key)
	})
	c.Objects = make([]Object, 0, len(keys))
	c.Counts = map[ledger.Verdict]int64{}
	for _, v := range ledger.Verdicts {
		c.Counts[v] = 0
	}
	for _, id := range keys {
		o := objectOf(id, runs)
		c.Counts[o.Verdict]++
		c.Objects = append(c.Objects, o)
	}
	c.Certified, c.Statement, c.Reasons = statement(c)
}

// objectOf follows one object through the runs.
func objectOf(id objectID, runs []runData) Object {
	o := Object{Pair: id.Pair, Key: id.Key}
	var latest *ledger.Entry
	latestRun := -1
	for i, r := range runs {
		e := r.entries[id]
		if e == nil {
			continue
		}
		o.History = append(o.History, Step{Run: r.ref.RunID, Verdict: e.Verdict, Evidence: e.Evidence})
		latest, latestRun = e, i
	}
	o.Verdict, o.Detail, o.LastRun = latest.Verdict, latest.Detail, runs[latestRun].ref.RunID
	o.Legacy = legacyHistory(id, runs, latest)
	for _, s := range latest.Stores {
		if s.Role == ledger.Target {
			o.Target = copyOf(&s)
		}
	}
	if p := latest.ProvenAt; p != nil {
		mp := &MigrationProof{ProvenAt: p.At, Evidence: p.Evidence, Size: p.Size}
		for _, cs := range p.Checksums {
			mp.Checksums = append(mp.Checksums, ledger.ChecksumValue(cs).String()+" ("+string(cs.Source)+")")
		}
		for _, r := range runs {
			if e := r.entries[id]; e != nil && e.ProvenAt != nil && e.ProvenAt.At.Equal(p.At) {
				mp.Run = r.ref.RunID
				break
			}
		}
		o.Migration = mp
	}
	if d := latest.DeletedAt; d != nil {
		dp := &DeletionProof{DeletedAt: *d, ConfirmedBy: o.LastRun}
		for _, r := range runs {
			if e := r.entries[id]; e != nil && e.DeletedAt != nil && e.DeletedAt.Equal(*d) {
				dp.Run = r.ref.RunID
				break
			}
		}
		o.Deletion = dp
	}
	stillHeld := slices.ContainsFunc(o.Legacy, func(h CopyHistory) bool { return h.StillHeld })
	switch {
	case latestRun != len(runs)-1 && slices.Contains(runs[len(runs)-1].pairs, id.Pair):
		o.Reason = fmt.Sprintf("the newest run, %s, did not judge it (its last verdict, in run %s, was %s)", runs[len(runs)-1].ref.RunID, o.LastRun, o.Verdict)
	case o.Verdict == ledger.Extra:
		o.Reason = "only ever in the target: no legacy copy to delete"
	case o.Verdict != ledger.Deleted:
		o.Reason = fmt.Sprintf("%s: %s", o.Verdict, o.Detail)
	case o.Migration == nil || o.Deletion == nil || stillHeld:
		o.Reason = "the ledger lacks its migration or deletion proof"
	default:
		o.Certified = true
	}
	return o
}

// legacyHistory follows each legacy store's copy of the key.
func legacyHistory(id objectID, runs []runData, latest *ledger.Entry) []CopyHistory {
	var names []string
	for _, r := range runs {
		if e := r.entries[id]; e != nil {
			for _, s := range e.Stores {
				if s.Role == ledger.Legacy && !slices.Contains(names, s.Store) {
					names = append(names, s.Store)
				}
			}
			for _, n := range e.HeldBy {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	var out []CopyHistory
	for _, name := range names {
		h := CopyHistory{Store: name, Versions: []VersionSeen{}}
		for _, r := range runs {
			e := r.entries[id]
			if e == nil {
				continue
			}
			s, ok := e.Store(name)
			if ok && s.Role == ledger.Legacy && s.Holds() {
				h.LastSeen, h.LastSeenAt = r.ref.RunID, r.ref.StartedAt
				h.Gone, h.GoneAt = "", time.Time{}
				v := VersionSeen{VersionID: s.VersionID, ETag: s.ETag, Size: s.Size, Presence: s.Presence.String(),
					Noncurrent: s.NoncurrentVersions, Uploads: s.UnfinishedUploads, FirstRun: r.ref.RunID, LastRun: r.ref.RunID}
				if i := slices.IndexFunc(h.Versions, func(x VersionSeen) bool {
					return x.VersionID == v.VersionID && x.ETag == v.ETag && x.Size == v.Size && x.Presence == v.Presence &&
						x.Noncurrent == v.Noncurrent && x.Uploads == v.Uploads
				}); i >= 0 {
					h.Versions[i].LastRun = r.ref.RunID
				} else {
					h.Versions = append(h.Versions, v)
				}
				continue
			}
			if h.LastSeen != "" && h.Gone == "" {
				h.Gone, h.GoneAt = r.ref.RunID, r.ref.StartedAt
			}
		}
		if s, ok := latest.Store(name); ok && s.Role == ledger.Legacy && s.Holds() {
			h.StillHeld = true
		}
		out = append(out, h)
	}
	return out
}

func copyOf(s *ledger.StoreFingerprint) *Copy {
	c := &Copy{Store: s.Store, Presence: s.Presence.String(), Size: s.Size, VersionID: s.VersionID}
	for _, cs := range s.Checksums {
		c.Checksums = append(c.Checksums, ledger.ChecksumValue(cs).String()+" ("+string(cs.Source)+")")
	}
	return c
}

// statement says whether the subject is certified, in words, and why not.
func statement(c *Certificate) (bool, string, []string) {
	var legacy, certified []Object
	var blocking []Object
	for _, o := range c.Objects {
		if o.Verdict == ledger.Extra {
			continue // never a legacy object
		}
		legacy = append(legacy, o)
		if o.Certified {
			certified = append(certified, o)
		} else {
			blocking = append(blocking, o)
		}
	}
	newest := ""
	if n := len(c.Runs); n > 0 {
		newest = fmt.Sprintf("run %s (%s)", c.Runs[n-1].RunID, dateOf(c.Runs[n-1].StartedAt))
	}
	switch {
	case len(c.Runs) == 0:
		return false, "Not certified: no complete run at " + c.State + ".", nil
	case len(legacy) == 0:
		return false, fmt.Sprintf("Not certified: no legacy object of %s is in the ledger of any of the %s at %s.", c.Subject, count(len(c.Runs), "complete run", "complete runs"), c.State), nil
	case len(blocking) == 0:
		return true, fmt.Sprintf("Certified: %s of %s %s proven identical to %s in the target before the legacy copies were deleted; no legacy store holds any version of %s, as %s confirmed; and the target %s still %s what was proven. The ledgers of %s back this; their digests are listed below.",
			allOf(len(legacy)), c.Subject, wasWere(len(legacy)), itsTheir(len(legacy), "its copy", "their copies"), itsTheir(len(legacy), "it", "them"),
			newest, itsTheir(len(legacy), "copy", "copies"), itsTheir(len(legacy), "matches", "match"), count(len(c.Runs), "run", "runs")), nil
	}
	slices.SortStableFunc(blocking, func(a, b Object) int { return rank(a.Verdict) - rank(b.Verdict) })
	var why []string
	for _, o := range blocking {
		prefix := ""
		if o.Verdict.Severity() == ledger.Critical {
			prefix = "Critical: "
		}
		why = append(why, fmt.Sprintf("%s%s (pair %s): %s.", prefix, o.Key, o.Pair, strings.TrimSuffix(o.Reason, ".")))
	}
	if len(certified) > 0 {
		why = append(why, fmt.Sprintf("%s deleted with parity proven.", count(len(certified), "object is", "objects are")))
	}
	return false, fmt.Sprintf("Not certified: %d of the %s of %s %s not deleted with parity proven, as %s found.",
		len(blocking), count(len(legacy), "legacy object", "legacy objects"), c.Subject, isAre(len(blocking)), newest), why
}

// rank orders verdicts worst first for the reasons.
func rank(v ledger.Verdict) int {
	switch v.Severity() {
	case ledger.Critical:
		return 0
	case ledger.Exception:
		return 1
	}
	return 2
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func allOf(n int) string {
	if n == 1 {
		return "the 1 legacy object"
	}
	return fmt.Sprintf("all %d legacy objects", n)
}

func wasWere(n int) string { return itsTheir(n, "was", "were") }
func isAre(n int) string   { return itsTheir(n, "is", "are") }

func itsTheir(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
