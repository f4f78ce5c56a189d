package report

import (
	"strings"

	"github.com/parityproof/parityproof/internal/ledger"
)

// verdictMeaning says what each verdict means, for readers of the report.
var verdictMeaning = map[ledger.Verdict]string{
	ledger.Verified:           "The copy in the target is proven identical; the legacy copies still exist and wait for deletion.",
	ledger.Deleted:            "Proven identical before the deletion; every legacy copy is gone, and the target copy still matches what was proven.",
	ledger.Missing:            "A legacy copy exists, but the target has none.",
	ledger.Mismatch:           "The target copy differs from the legacy copy in size or in a comparable checksum.",
	ledger.Unproven:           "The sizes agree, but there is no comparable checksum and the content was not read: that is not proof.",
	ledger.DeletionIncomplete: "The deletion has begun, but something remains: a copy in another legacy store, an old version behind a delete marker, or an unfinished upload.",
	ledger.DeletedUnverified:  "Critical: the legacy copies are gone, but parity was never proven for them.",
	ledger.CopyLost:           "Critical: parity was proven and the legacy copies are gone, but now the target copy is missing or changed.",
	ledger.Extra:              "Only in the target: no legacy store ever held it. For information.",
	ledger.Error:              "Could not be judged (access denied, an archived object, a read that kept failing); the detail says why.",
}

// verdictColor is each verdict's color in charts and tables.
var verdictColor = map[ledger.Verdict]string{
	ledger.Verified:           "#1e6fb8",
	ledger.Deleted:            "#2e7d32",
	ledger.Missing:            "#ef6c00",
	ledger.Mismatch:           "#d84315",
	ledger.Unproven:           "#f2b01e",
	ledger.DeletionIncomplete: "#8d6e63",
	ledger.DeletedUnverified:  "#b71c1c",
	ledger.CopyLost:           "#7b1040",
	ledger.Extra:              "#9e9e9e",
	ledger.Error:              "#6a1b9a",
}

// evidenceMeaning says what a kind of evidence proves.
func evidenceMeaning(e ledger.Evidence) string {
	switch e {
	case ledger.EvidenceMD5:
		return "Both stores computed the same MD5 of the whole object."
	case ledger.EvidenceMultipartMD5:
		return "Both stores computed the same multipart MD5 over the same part layout."
	case ledger.EvidenceDeep:
		return "parityproof read the content and hashed it."
	case ledger.EvidenceAsserted:
		return "A checksum a migration tool wrote into the object's metadata: shown, but proof only where the policy accepts it."
	case ledger.EvidenceSize:
		return "The sizes differ: that alone proves the copies differ (mismatch). Equal sizes never prove parity."
	case ledger.EvidenceNone:
		return "Nothing could be compared: a copy was missing or gone, or no checksum was comparable."
	}
	name := strings.ToUpper(string(e))
	if rest, ok := strings.CutPrefix(string(e), "multipart_"); ok {
		return "Both stores computed the same composite " + strings.ToUpper(rest) + " over the same part layout."
	}
	return "Both stores computed the same " + name + " of the whole object."
}
