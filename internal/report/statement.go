package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
)

// attestation says whether a pair is attested — every key deleted (or
// extra) in a run that covered the whole scope — and says so in words a
// compliance lead can forward: what was proven, or what stands in the way.
// Attest recomputes the first result from the ledger alone.
func attestation(p *PairReport, complete bool) (bool, string) {
	attested, lead, reasons := statementParts(p, complete)
	return attested, strings.Join(append([]string{lead}, reasons...), " ")
}

// statementParts returns whether a pair is attested, the statement's first
// sentence, and the sentences that say why not (or what else holds), worst
// first.
func statementParts(p *PairReport, complete bool) (bool, string, []string) {
	v := p.Verdicts
	deleted, extra := v[ledger.Deleted], v[ledger.Extra]
	remaining := p.Objects - deleted - extra
	switch {
	case !complete && p.UnverifiedShards > 0:
		return false, fmt.Sprintf("Pair %s is not attested: %s not verified in this run, and the keys in them are not counted here.",
			p.Name, count(int64(p.UnverifiedShards), "1 of its shards was", "%d of its shards were")), nil
	case !complete:
		return false, fmt.Sprintf("Pair %s is not attested: the run did not cover its whole scope.", p.Name), nil
	case p.Objects == 0:
		return false, fmt.Sprintf("Pair %s is not attested: no object was found in its scope.", p.Name), nil
	case remaining == 0 && deleted == 0:
		return false, fmt.Sprintf("Pair %s is not attested: %s only ever in %s were found, none that a legacy store held.", p.Name, objects(extra), p.Target), nil
	case remaining == 0:
		what := fmt.Sprintf("all %d objects (%s) were proven identical to their copies", deleted, HumanBytes(p.Bytes[ledger.Deleted]))
		copies, match := "copies", "match"
		if deleted == 1 {
			what = fmt.Sprintf("its 1 object (%s) was proven identical to its copy", HumanBytes(p.Bytes[ledger.Deleted]))
			copies, match = "copy", "matches"
		}
		lead := fmt.Sprintf("Pair %s is attested: %s in %s before it was deleted; the deletion of every legacy copy (all versions, in %s) is confirmed; and the %s in %s still %s what was proven.",
			p.Name, what, p.Target, storeList(p.Legacy), copies, p.Target, match)
		if deleted > 1 {
			lead = strings.Replace(lead, "before it was deleted", "before they were deleted", 1)
		}
		var more []string
		if extra > 0 {
			more = append(more, fmt.Sprintf("%s also holds %s that no legacy store ever held (extra); they do not affect the attestation.", p.Target, objects(extra)))
		}
		return true, lead, append(more, baselineSentences(p)...)
	}
	verb := "are"
	if remaining == 1 {
		verb = "is"
	}
	lead := fmt.Sprintf("Pair %s is not attested: %d of its %s %s not deleted with parity proven.", p.Name, remaining, count(p.Objects-extra, "1 legacy object", "%d legacy objects"), verb)
	var why []string
	for _, r := range reasons {
		if n := v[r.verdict]; n > 0 {
			s := fmt.Sprintf(r.text, count(n, r.one, r.many), p.Target) + fmt.Sprintf(" (%s).", r.verdict)
			if r.verdict.Severity() == ledger.Critical {
				s = "Critical: " + s
			}
			why = append(why, s)
		}
	}
	if deleted > 0 {
		why = append(why, count(deleted, "1 object is", "%d objects are")+" already deleted with parity proven.")
	}
	return false, lead, append(why, baselineSentences(p)...)
}

// baselineSentences say which verdicts were judged from S3 Inventories
// taken before the pair's first run, and of when.
func baselineSentences(p *PairReport) []string {
	b := p.Baseline
	if b == nil {
		return nil
	}
	var invs []string
	for _, i := range b.Inventories {
		invs = append(invs, fmt.Sprintf("%s's of %s", i.Store, i.Date.UTC().Format(time.RFC3339)))
	}
	var counts []string
	for _, v := range []struct {
		verdict   ledger.Verdict
		one, many string
	}{
		{ledger.Deleted, "1 deleted with parity proven against it", "%d deleted with parity proven against them"},
		{ledger.DeletedUnverified, "1 deleted without proof (deleted_unverified)", "%d deleted without proof (deleted_unverified)"},
		{ledger.CopyLost, "1 whose copy was since lost (copy_lost)", "%d whose copies were since lost (copy_lost)"},
		{ledger.DeletionIncomplete, "1 partly deleted (deletion_incomplete)", "%d partly deleted (deletion_incomplete)"},
		{ledger.Error, "1 that could not be judged (error)", "%d that could not be judged (error)"},
	} {
		if n := b.Verdicts[v.verdict]; n > 0 {
			counts = append(counts, count(n, v.one, v.many))
		}
	}
	what := "S3 Inventories taken before the first run"
	if len(invs) == 1 {
		what = "an S3 Inventory taken before the first run"
	}
	if len(invs) > 0 {
		what += " (" + storeList(invs) + ")"
	}
	if len(counts) == 0 {
		return []string{fmt.Sprintf("Keys deleted before the first run are judged from %s; none was found.", what)}
	}
	return []string{fmt.Sprintf("Keys deleted before the first run were judged from %s: %s.", what, strings.Join(counts, ", "))}
}

// reasons say, worst first, what each verdict that stands in the way of an
// attestation means. Each text takes the counted subject and the target.
var reasons = []struct {
	verdict   ledger.Verdict
	one, many string
	text      string
}{
	{ledger.DeletedUnverified, "1 object was", "%d objects were", "%s deleted from the legacy stores without ever being proven identical to a copy in %s"},
	{ledger.CopyLost, "1 object was", "%d objects were", "%s proven identical earlier, but the copy in %s is now missing or changed"},
	{ledger.Missing, "1 object has", "%d objects have", "%s no copy in %s"},
	{ledger.Mismatch, "1 object differs", "%d objects differ", "%s from the copy in %s"},
	{ledger.Unproven, "1 object has", "%d objects have", "%s the same size as the copy in %s, but no comparable checksum, and its content was not read"},
	{ledger.DeletionIncomplete, "1 object is", "%d objects are", "%s only partly deleted: a legacy copy, an old version or an unfinished upload remains (the copy in %s is proven)"},
	{ledger.Error, "1 object", "%d objects", "%s could not be judged against %s"},
	{ledger.Verified, "1 object is", "%d objects are", "%s proven identical to the copy in %s and waiting for the deletion of the legacy copies"},
}

// count formats n with the singular or plural phrase ("%d" stands for n).
func count(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return strings.Replace(many, "%d", strconv.FormatInt(n, 10), 1)
}

func objects(n int64) string { return count(n, "1 object", "%d objects") }

// storeList joins store names: "a", "a and b", "a, b and c".
func storeList(names []string) string {
	switch len(names) {
	case 0:
		return "every legacy store"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// HumanBytes formats a size in binary units ("1.5 MiB"), as reports and
// progress displays show sizes.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
