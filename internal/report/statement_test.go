package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
)

func pairWith(counts map[ledger.Verdict]int64) *PairReport {
	p := &PairReport{Name: "us-users", Legacy: []string{"legacy-us", "legacy-sg"}, Target: "oci-us", Verdicts: map[ledger.Verdict]int64{}, Bytes: map[ledger.Verdict]int64{}}
	for _, v := range ledger.Verdicts {
		p.Verdicts[v] = counts[v]
		p.Bytes[v] = counts[v] * 1024
		p.Objects += counts[v]
	}
	return p
}

// A pair is attested only when every key is deleted (or extra) in a run
// that covered its whole scope, and the statement says why not, worst
// first, in words.
func TestAttestationStatements(t *testing.T) {
	tests := []struct {
		name     string
		counts   map[ledger.Verdict]int64
		complete bool
		attested bool
		want     string
	}{
		{"every key deleted", map[ledger.Verdict]int64{ledger.Deleted: 3}, true, true,
			"Pair us-users is attested: all 3 objects (3.0 KiB) were proven identical to their copies in oci-us before they were deleted; the deletion of every legacy copy (all versions, in legacy-us and legacy-sg) is confirmed; and the copies in oci-us still match what was proven."},
		{"extras do not count against it", map[ledger.Verdict]int64{ledger.Deleted: 1, ledger.Extra: 2}, true, true,
			"Pair us-users is attested: its 1 object (1.0 KiB) was proven identical to its copy in oci-us before it was deleted; the deletion of every legacy copy (all versions, in legacy-us and legacy-sg) is confirmed; and the copy in oci-us still matches what was proven. oci-us also holds 2 objects that no legacy store ever held (extra); they do not affect the attestation."},
		{"a run that did not cover the scope", map[ledger.Verdict]int64{ledger.Deleted: 3}, false, false,
			"Pair us-users is not attested: the run did not cover its whole scope."},
		{"nothing in scope", nil, true, false,
			"Pair us-users is not attested: no object was found in its scope."},
		{"only extras", map[ledger.Verdict]int64{ledger.Extra: 2}, true, false,
			"Pair us-users is not attested: 2 objects only ever in oci-us were found, none that a legacy store held."},
		{"verified keys wait for deletion", map[ledger.Verdict]int64{ledger.Verified: 2, ledger.Deleted: 1}, true, false,
			"Pair us-users is not attested: 2 of its 3 legacy objects are not deleted with parity proven. 2 objects are proven identical to the copy in oci-us and waiting for the deletion of the legacy copies (verified). 1 object is already deleted with parity proven."},
		{"critical verdicts come first", map[ledger.Verdict]int64{ledger.Missing: 1, ledger.CopyLost: 2, ledger.DeletedUnverified: 1, ledger.Unproven: 1}, true, false,
			"Pair us-users is not attested: 5 of its 5 legacy objects are not deleted with parity proven. Critical: 1 object was deleted from the legacy stores without ever being proven identical to a copy in oci-us (deleted_unverified). Critical: 2 objects were proven identical earlier, but the copy in oci-us is now missing or changed (copy_lost). 1 object has no copy in oci-us (missing). 1 object has the same size as the copy in oci-us, but no comparable checksum, and its content was not read (unproven)."},
		{"one deleted_unverified spoils a deleted pair", map[ledger.Verdict]int64{ledger.Deleted: 99, ledger.DeletedUnverified: 1}, true, false,
			"Pair us-users is not attested: 1 of its 100 legacy objects is not deleted with parity proven. Critical: 1 object was deleted from the legacy stores without ever being proven identical to a copy in oci-us (deleted_unverified). 99 objects are already deleted with parity proven."},
		{"errors and partial deletions", map[ledger.Verdict]int64{ledger.Error: 2, ledger.DeletionIncomplete: 1, ledger.Mismatch: 3}, true, false,
			"Pair us-users is not attested: 6 of its 6 legacy objects are not deleted with parity proven. 3 objects differ from the copy in oci-us (mismatch). 1 object is only partly deleted: a legacy copy, an old version or an unfinished upload remains (the copy in oci-us is proven) (deletion_incomplete). 2 objects could not be judged against oci-us (error)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attested, got := attestation(pairWith(tt.counts), tt.complete)
			if attested != tt.attested {
				t.Errorf("attested = %v, want %v", attested, tt.attested)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statement (-want +got):\n%s", diff)
			}
		})
	}
}
