package ledger

import "fmt"

// Verdict is the state of one logical key in one run.
type Verdict string

// The verdicts, as DESIGN.md defines them. Their names are a contract:
// reports, scripts and auditors depend on them.
const (
	Verified           Verdict = "verified"
	Deleted            Verdict = "deleted"
	Missing            Verdict = "missing"
	Mismatch           Verdict = "mismatch"
	Unproven           Verdict = "unproven"
	DeletionIncomplete Verdict = "deletion_incomplete"
	DeletedUnverified  Verdict = "deleted_unverified"
	CopyLost           Verdict = "copy_lost"
	Extra              Verdict = "extra"
	Error              Verdict = "error"
)

// Verdicts lists every verdict in the order reports show them.
var Verdicts = []Verdict{
	Verified, Deleted, Missing, Mismatch, Unproven,
	DeletionIncomplete, DeletedUnverified, CopyLost, Extra, Error,
}

// Severity ranks verdicts for reports and exit statuses.
type Severity string

// Severities, from harmless to worst.
const (
	OK        Severity = "ok"
	Info      Severity = "info"
	Exception Severity = "exception"
	Critical  Severity = "critical"
)

// Severity returns the verdict's severity.
func (v Verdict) Severity() Severity {
	switch v {
	case Verified, Deleted:
		return OK
	case Extra:
		return Info
	case DeletedUnverified, CopyLost:
		return Critical
	default:
		return Exception
	}
}

// IsException reports whether the verdict is listed among a report's
// exceptions: anything but verified, deleted and extra.
func (v Verdict) IsException() bool {
	s := v.Severity()
	return s == Exception || s == Critical
}

// Valid reports whether v is one of [Verdicts].
func (v Verdict) Valid() bool {
	for _, w := range Verdicts {
		if v == w {
			return true
		}
	}
	return false
}

// UnmarshalText implements [encoding.TextUnmarshaler], rejecting names that
// are not verdicts.
func (v *Verdict) UnmarshalText(b []byte) error {
	w := Verdict(b)
	if !w.Valid() {
		return fmt.Errorf("unknown verdict %q", b)
	}
	*v = w
	return nil
}

// Evidence says why two fingerprints were judged identical (or different):
// which checksum was compared, or that the content was read and hashed.
type Evidence string

// The kinds of evidence. DESIGN.md names crc64nvme, crc32c, sha256, md5,
// multipart_md5, deep, asserted and none; the others extend that list for
// the remaining algorithms stores compute.
const (
	EvidenceCRC64NVME       Evidence = "crc64nvme"
	EvidenceCRC32C          Evidence = "crc32c"
	EvidenceCRC32           Evidence = "crc32"
	EvidenceSHA256          Evidence = "sha256"
	EvidenceSHA384          Evidence = "sha384"
	EvidenceSHA1            Evidence = "sha1"
	EvidenceMD5             Evidence = "md5"
	EvidenceMultipartMD5    Evidence = "multipart_md5"
	EvidenceMultipartCRC32C Evidence = "multipart_crc32c"
	EvidenceMultipartCRC32  Evidence = "multipart_crc32"
	EvidenceMultipartSHA1   Evidence = "multipart_sha1"
	EvidenceMultipartSHA256 Evidence = "multipart_sha256"
	EvidenceDeep            Evidence = "deep"
	EvidenceAsserted        Evidence = "asserted"
	EvidenceSize            Evidence = "size"
	EvidenceNone            Evidence = "none"
)

// evidenceList lists every kind of evidence.
var evidenceList = []Evidence{
	EvidenceCRC64NVME, EvidenceCRC32C, EvidenceCRC32,
	EvidenceSHA256, EvidenceSHA384, EvidenceSHA1,
	EvidenceMD5, EvidenceMultipartMD5, EvidenceMultipartCRC32C,
	EvidenceMultipartCRC32, EvidenceMultipartSHA1, EvidenceMultipartSHA256,
	EvidenceDeep, EvidenceAsserted, EvidenceSize, EvidenceNone,
}

var evidences = func() map[Evidence]bool {
	m := make(map[Evidence]bool)
	for _, e := range evidenceList {
		m[e] = true
	}
	return m
}()

// Strong reports whether the evidence proves parity on its own: a checksum
// the stores computed, or content read and hashed. Asserted metadata
// checksums, sizes and nothing are not strong.
func (e Evidence) Strong() bool {
	return evidences[e] && e != EvidenceAsserted && e != EvidenceSize && e != EvidenceNone
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (e *Evidence) UnmarshalText(b []byte) error {
	if !evidences[Evidence(b)] {
		return fmt.Errorf("unknown evidence %q", b)
	}
	*e = Evidence(b)
	return nil
}
