package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/parityproof/parityproof/internal/storage"
)

// FuzzAttest feeds attest verify the report.json and attestation.json a
// stranger could hand an auditor, over a bundle that is otherwise empty:
// it never panics, never says such a report holds, and says what kind of
// failure it is. report.json, read a field at a time, reads as a
// whole-file decode reads it.
func FuzzAttest(f *testing.F) {
	f.Add([]byte(`{"schema":"parityproof.report/v1","run_id":"r","complete":true,"totals":{"objects":0,"bytes":0,"verdicts":{}},"pairs":[],"exceptions":[],"ledger":{"manifest":"mem://run/manifest.json","sha256":"x","bundle":"run/"}}`),
		[]byte(`{"schema":"parityproof.attestation/v1","run_id":"r","statement":"s","root_sha256":"r","key":{"id":"k","algorithm":"ED25519","public_key":"AA==","fingerprint":"f"},"signature":"AA=="}`))
	f.Add([]byte(`{"schema":"parityproof.report/v1"}`), []byte(`{}`))
	f.Add([]byte(`not json`), []byte(nil))
	f.Fuzz(func(t *testing.T, rep, att []byte) {
		sameAsWhole(t, rep) // read a field at a time, as a whole decode reads it
		files := map[string][]byte{"mem://b/report.json": rep, "mem://b/attestation.json": att,
			"mem://b/run/manifest.json": []byte(`{"schema":"parityproof.manifest/v1","pairs":[]}`), "mem://b/run/run.json": []byte(`{}`)}
		fetch := func(_ context.Context, u string) (io.ReadCloser, error) {
			b, ok := files[u]
			if !ok || b == nil {
				return nil, fmt.Errorf("%s: %w", u, errNotThere)
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}
		_, err := AttestWith(context.Background(), fetch, "mem://b/report.json", AttestOptions{})
		if err == nil {
			// Only a report whose digests match an empty manifest and a
			// run record "{}" could hold, and "{}" is no run record.
			t.Fatal("a stranger's report holds over an empty bundle")
		}
		if !errors.Is(err, ErrDoesNotHold) && !errors.Is(err, ErrNotReport) && !errors.Is(err, ErrUnreadable) {
			t.Fatalf("an error of no kind: %v", err)
		}
		if _, derr := DecodeAttestation(att); derr == nil && len(att) > attestationMaxBytes {
			t.Fatal("accepted an attestation over the size bound")
		}
	})
}

var errNotThere = fmt.Errorf("not there: %w", storage.ErrNotExist)
