package report

import (
	"github.com/parityproof/parityproof/internal/ledger"
)

// Action says what to do about a verdict: who acts, what they check or
// do, and when the verdict clears. Every verdict but deleted has one; the
// report shows it beside each exception, in the glossary and in
// summary.md.
type Action struct {
	// Who acts, by role.
	Who string
	// Check is what to check or do, in order.
	Check string
	// Clears says which later run's finding ends the verdict.
	Clears string
}

// verdictActions are the actions of the verdicts that need one.
var verdictActions = map[ledger.Verdict]Action{
	ledger.Verified: {
		Who:    "The migration team.",
		Check:  "Nothing is wrong: the copy in the target is proven. The legacy copies may now be deleted: every version, in every legacy store, with no unfinished upload left.",
		Clears: "Becomes deleted at the first run after every legacy copy is gone.",
	},
	ledger.Missing: {
		Who:    "The migration team.",
		Check:  "Copy the object to the target (the migration tool's log says why it was skipped). Do not delete the legacy copies before.",
		Clears: "At the next run that finds a target copy with a matching checksum (verified).",
	},
	ledger.Mismatch: {
		Who:    "The migration team.",
		Check:  "Copy the object again from the legacy store, or, if the legacy copy changed after the migration, migrate the new version. The detail names the values that differ. Do not delete the legacy copies before.",
		Clears: "At the next run that finds equal checksums (verified).",
	},
	ledger.Unproven: {
		Who:    "Whoever runs parityproof, with the migration team.",
		Check:  "Let the next run read the content (raise policy.deep_verify_budget), or copy the object again so that both stores record a comparable checksum (the same part size, or a CRC32C or SHA-256 checksum on both sides).",
		Clears: "At the next run that proves parity (verified).",
	},
	ledger.DeletionIncomplete: {
		Who:    "The owner of the legacy store the detail names.",
		Check:  "Remove what remains: the copy in the other legacy store, the noncurrent versions behind a delete marker (deleted by version id), or the unfinished multipart upload (aborted). The copy in the target is proven.",
		Clears: "At the next run that finds no version and no upload left in any legacy store (deleted).",
	},
	ledger.DeletedUnverified: {
		Who:    "The compliance lead, at once, with the legacy store's owner.",
		Check:  "Find out whether anything still holds the data (a backup, a noncurrent version, another replica): restore it, migrate it and verify. If nothing does, the data is lost: record the incident and follow the data-loss procedure.",
		Clears: "Only if a legacy copy is restored and then proven (verified); otherwise it stays, as the record of an unproven deletion.",
	},
	ledger.CopyLost: {
		Who:    "The target bucket's owner, at once.",
		Check:  "Restore the target copy (from the bucket's object versions or a backup): its proven size and checksums are in the ledger (parityproof explain KEY). Find what deleted or overwrote it in the audit logs, and stop it.",
		Clears: "At the next run that finds the target copy matching its proven fingerprint again (deleted).",
	},
	ledger.Error: {
		Who:    "Whoever runs parityproof.",
		Check:  "The detail says why the key could not be judged: restore an archived object, grant the missing read permission, or let a failing read be retried.",
		Clears: "At the next run that can judge the key.",
	},
	ledger.Extra: {
		Who:    "The target bucket's owner.",
		Check:  "Whether the object belongs in the target: no legacy store ever held it. Keep it or remove it; it never stands in the way of an attestation.",
		Clears: "Never needs to: extra is for information.",
	},
}

// ActionFor returns what to do about verdict v, and false for a verdict
// that needs nothing (deleted).
func ActionFor(v ledger.Verdict) (Action, bool) {
	a, ok := verdictActions[v]
	return a, ok
}
