package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/certify"
	"github.com/parityproof/parityproof/internal/report"
)

// The verify function answers a data subject's deletion request as the
// command line does: a certificate written to the reports location, its
// statement in the answer, and attest verify holding on it.
func TestCertifyAction(t *testing.T) {
	f := newFixture(t)
	if _, err := f.invoke(`{"action":"run"}`); err != nil {
		t.Fatal(err)
	}
	// The migration team deletes one user's backups everywhere; the next
	// day's run confirms it.
	for _, s := range []string{"legacy-us", "legacy-sg"} {
		f.stores[s].Delete("00731/backup-1.bin")
		f.stores[s].Delete("00731/backup-2.bin")
	}
	f.h.now = func() time.Time { return time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC) }
	if _, err := f.invoke(`{"action":"run"}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		payload   string
		certified bool
		objects   int
	}{
		{`{"action":"certify","prefix":"00731/"}`, true, 2},
		{`{"action":"certify","key":"00042/backup 1 été.bin","pair":"us-users"}`, false, 1},
	} {
		out, err := f.invoke(tc.payload)
		if err != nil {
			t.Fatalf("%s: %v", tc.payload, err)
		}
		var ans CertifyAnswer
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Certified != tc.certified || ans.Objects != tc.objects || !strings.Contains(ans.Certificate, "/reports/certificates/") {
			t.Errorf("%s: answer %s", tc.payload, out)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(strings.TrimPrefix(ans.Certificate, "file://")), "certificate.html")); err != nil {
			t.Errorf("%s: no certificate.html: %v", tc.payload, err)
		}
		if _, err := certify.Verify(context.Background(), certify.Fetcher(report.FetchFile), ans.Certificate); err != nil {
			t.Errorf("%s: the certificate does not hold: %v", tc.payload, err)
		}
	}
	for _, bad := range []string{`{"action":"certify"}`, `{"action":"certify","prefix":"a","key":"b"}`, `{"action":"certify","prefix":"a","run_id":"x"}`} {
		if _, err := f.invoke(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
