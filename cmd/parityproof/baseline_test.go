package main

// A first run that judges, from S3 Inventories taken before it, the keys
// deleted before any run saw them — with inventories written in the layouts
// AWS documents (CSV and Parquet, of current versions and of all
// versions), read from a local copy and from their destination bucket.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory"
	"github.com/parityproof/parityproof/pkg/inventory/s3inventory/s3inventorytest"
)

// inventoryDate is when the fixtures' inventories were taken.
var inventoryDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func baselineContent(k string) string { return "backup of " + k + "\n" + strings.Repeat("b", len(k)) }

// past is the legacy stores as their inventories saw them, before the
// first run: legacy-us (versioned) inventoried with all its versions,
// legacy-sg (unversioned) with its current objects.
func pastOf() (us, sg []s3inventorytest.Object) {
	at := inventoryDate.Add(-24 * time.Hour)
	obj := func(key, content, enc string) s3inventorytest.Object {
		return s3inventorytest.Object{Key: "users/" + key, Size: int64(len(content)), LastModified: at, ETag: md5hex(content), StorageClass: "STANDARD", EncryptionStatus: enc}
	}
	version := func(o s3inventorytest.Object, id string, latest bool) s3inventorytest.Object {
		o.VersionID, o.IsLatest = id, latest
		return o
	}
	for _, k := range []string{"a/kept.bin", "b/deleted-proven.bin", "c/deleted-changed.bin", "d/deleted-no-copy.bin", "f/partly.bin", "g/hidden-now.bin"} {
		us = append(us, version(obj(k, baselineContent(k), "NOT-SSE"), "v-"+k, true))
		sg = append(sg, obj(k, baselineContent(k), "NOT-SSE"))
	}
	// Encrypted with SSE-KMS: the ETag is no MD5 (legacy-us alone).
	kms := obj("e/deleted-kms.bin", baselineContent("e/deleted-kms.bin"), "SSE-KMS")
	kms.ETag = "3f1c9e0b7a5d2e4c6b8a0f1e2d3c4b5a"
	us = append(us, version(kms, "v-kms", true))
	// Hidden behind a delete marker when the inventory was taken (legacy-us
	// alone): the version under it is what the store held.
	hidden := "h/hidden-then.bin"
	us = append(us, version(obj(hidden, baselineContent(hidden), "NOT-SSE"), "v-hidden", false),
		s3inventorytest.Object{Key: "users/" + hidden, VersionID: "v-marker", IsLatest: true, IsDeleteMarker: true, LastModified: at.Add(time.Hour)})
	// Uploaded in parts (legacy-sg alone): its ETag is an MD5 of part MD5s.
	mp := obj("i/multipart.bin", baselineContent("i/multipart.bin"), "NOT-SSE")
	mp.ETag = md5hex("parts of i/multipart.bin") + "-3"
	sg = append(sg, mp)
	return us, sg
}

// TestFirstRunJudgesDeletionsFromS3Inventory runs once over stores whose
// inventories were taken before it, for each kind of inventory, and checks
// report.json's verdicts, exceptions and baseline exactly, then that the
// next run keeps what was judged.
func TestFirstRunJudgesDeletionsFromS3Inventory(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	// The present: what the run lists.
	for _, k := range []string{"a/kept.bin", "k/created-after.bin"} {
		e.putLegacy(e2eLegacyUS, k, baselineContent(k), "")
		e.putLegacy(e2eLegacySG, k, baselineContent(k), "")
	}
	e.putLegacy(e2eLegacySG, "f/partly.bin", baselineContent("f/partly.bin"), "") // gone from legacy-us only
	e.putLegacy(e2eLegacyUS, "g/hidden-now.bin", baselineContent("g/hidden-now.bin"), "")
	e.deleteLegacy(e2eLegacyUS, "g/hidden-now.bin", false) // a delete marker hides it from a plain listing
	for _, k := range []string{"a/kept.bin", "b/deleted-proven.bin", "e/deleted-kms.bin", "f/partly.bin", "g/hidden-now.bin", "h/hidden-then.bin", "i/multipart.bin", "k/created-after.bin"} {
		e.putTarget(k, baselineContent(k), false)
	}
	e.putTarget("c/deleted-changed.bin", strings.ToUpper(baselineContent("c/deleted-changed.bin")), false)
	e.putTarget("j/extra.bin", "only in the target", false)

	us, sg := pastOf()
	invDir := t.TempDir()
	inventoryBucket := "acme-inventory"
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(inventoryBucket)}); err != nil {
		t.Fatal(err)
	}
	write := func(dir string, format s3inventory.Format, bucket string, versions bool, objects []s3inventorytest.Object) string {
		t.Helper()
		key, err := s3inventorytest.Write(dir, s3inventorytest.Spec{SourceBucket: bucket, DestinationBucket: inventoryBucket, Prefix: "inventories",
			ConfigID: "baseline-" + strings.ToLower(string(format)), Format: format, Versions: versions, Created: inventoryDate, Files: 2}, objects)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}

	for _, variant := range []struct {
		name   string
		format s3inventory.Format
		fromS3 bool
	}{
		{"CSV read from a local copy", s3inventory.CSV, false},
		{"Parquet read from its destination bucket", s3inventory.Parquet, true},
	} {
		t.Run(variant.name, func(t *testing.T) {
			local := filepath.Join(invDir, strings.ToLower(string(variant.format)))
			usKey := write(local, variant.format, e2eLegacyUS, true, us)
			sgKey := write(local, variant.format, e2eLegacySG, false, sg)
			baseline := func(key string) (string, string) {
				if variant.fromS3 {
					return fmt.Sprintf("s3://%s/%s?endpoint=%s&path_style=true", inventoryBucket, key, e.moto.URL), "s3://" + inventoryBucket + "/" + key
				}
				p := filepath.Join(local, filepath.FromSlash(key))
				return "file://" + p, p
			}
			if variant.fromS3 {
				if err := s3inventorytest.Upload(ctx, e.s3, inventoryBucket, local); err != nil {
					t.Fatal(err)
				}
			}
			usBaseline, usInventory := baseline(usKey)
			sgBaseline, sgInventory := baseline(sgKey)
			dir := filepath.Join(e.dir, strings.ReplaceAll(variant.name, " ", "-"))
			cfg := e.config(dir, "")
			raw, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Replace(string(raw), "bucket: "+e2eLegacyUS+",", fmt.Sprintf("bucket: %s, baseline: %q,", e2eLegacyUS, usBaseline), 1)
			text = strings.Replace(text, "bucket: "+e2eLegacySG+",", fmt.Sprintf("bucket: %s, baseline: %q,", e2eLegacySG, sgBaseline), 1)
			if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}

			code, stdout, stderr := e.runCLI("2026-11-27T22:00:00Z", "run", "--config", cfg)
			if code != exitExceptions {
				t.Fatalf("first run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitExceptions, stdout, stderr)
			}
			r, reportPath := readReport(t, dir)
			checkBaselineReport(t, r, usInventory, sgInventory)
			if code, out, _ := e.runCLI("", "attest", "verify", reportPath); code != 0 || !strings.Contains(out, "the report holds") {
				t.Errorf("attest verify: exit %d\n%s", code, out)
			}
			// A report that claims more deletions proven from the
			// inventories than the ledger holds does not hold.
			forged := *r
			forged.Pairs = slices.Clone(r.Pairs)
			fb := *r.Pairs[0].Baseline
			fb.Verdicts = allVerdicts(map[ledger.Verdict]int64{ledger.Deleted: 6, ledger.DeletionIncomplete: 2})
			forged.Pairs[0].Baseline = &fb
			raw, err = json.Marshal(&forged)
			if err != nil {
				t.Fatal(err)
			}
			forgedPath := filepath.Join(filepath.Dir(reportPath), "forged.json")
			if err := os.WriteFile(forgedPath, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out, _ := e.runCLI("", "attest", "verify", forgedPath); code != 1 || !strings.Contains(out, "the verdicts judged from baselines differ from the ledger's") {
				t.Errorf("attest verify of a forged baseline: exit %d\n%s", code, out)
			}

			// The deletion proven from the inventory names it in the
			// ledger, with what it listed.
			var refs []ledger.BaselineRef
			readLedger(t, filepath.Join(dir, "state"), r.RunID, func(en *ledger.Entry) {
				if en.Key == "b/deleted-proven.bin" {
					refs = en.Baseline
				}
			})
			var named []string
			for _, b := range refs {
				named = append(named, fmt.Sprintf("%s %s %s %d %s", b.Store, b.Inventory, b.Date.Format(time.RFC3339), b.Size, b.ETag))
			}
			k := "b/deleted-proven.bin"
			if diff := cmp.Diff([]string{
				fmt.Sprintf("legacy-us %s 2026-11-01T00:00:00Z %d %s", usInventory, len(baselineContent(k)), md5hex(baselineContent(k))),
				fmt.Sprintf("legacy-sg %s 2026-11-01T00:00:00Z %d %s", sgInventory, len(baselineContent(k)), md5hex(baselineContent(k))),
			}, named); diff != "" {
				t.Errorf("the ledger's baselines of %s (-want +got):\n%s", k, diff)
			}

			// The next run reads no inventory: the ledger holds what they
			// settled, and the report still says so.
			code, stdout, stderr = e.runCLI("2026-11-28T22:00:00Z", "run", "--config", cfg)
			if code != exitExceptions {
				t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			r2, _ := readReport(t, dir)
			if diff := cmp.Diff(r.Totals.Verdicts, r2.Totals.Verdicts); diff != "" {
				t.Errorf("second run's verdicts (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(r.Pairs[0].Baseline, r2.Pairs[0].Baseline); diff != "" {
				t.Errorf("second run's baseline (-first +second):\n%s", diff)
			}
		})
	}
}

// checkBaselineReport checks report.json of the first run exactly.
func checkBaselineReport(t *testing.T, r *report.Report, usInventory, sgInventory string) {
	t.Helper()
	c := baselineContent
	usOf := "legacy-us's S3 Inventory of 2026-11-01T00:00:00Z"
	sgOf := "legacy-sg's S3 Inventory of 2026-11-01T00:00:00Z"
	gone := "every legacy copy was deleted before any run saw it, and parity was never proven: "
	want := allVerdicts(map[ledger.Verdict]int64{ledger.Verified: 2, ledger.Deleted: 2, ledger.DeletedUnverified: 4, ledger.DeletionIncomplete: 2, ledger.Extra: 1})
	if diff := cmp.Diff(want, r.Totals.Verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]exceptionRow{
		{"c/deleted-changed.bin", ledger.DeletedUnverified, gone +
			fmt.Sprintf("md5 differs: %s lists md5:%s, oci-us has md5:%s; md5 differs: %s lists md5:%s, oci-us has md5:%s",
				usOf, md5hex(c("c/deleted-changed.bin")), md5hex(strings.ToUpper(c("c/deleted-changed.bin"))),
				sgOf, md5hex(c("c/deleted-changed.bin")), md5hex(strings.ToUpper(c("c/deleted-changed.bin"))))},
		{"d/deleted-no-copy.bin", ledger.DeletedUnverified, gone +
			fmt.Sprintf("%s listed it (%d bytes); %s listed it (%d bytes); oci-us holds no copy", usOf, len(c("d/deleted-no-copy.bin")), sgOf, len(c("d/deleted-no-copy.bin")))},
		{"e/deleted-kms.bin", ledger.DeletedUnverified, gone + usOf + " lists it encrypted with aws:kms: its ETag is not an MD5, and S3 Inventory gives no other checksum"},
		{"f/partly.bin", ledger.DeletionIncomplete, "deletion has begun but a copy remains: legacy-us no longer holds it (its S3 Inventory of 2026-11-01T00:00:00Z listed it)"},
		{"g/hidden-now.bin", ledger.DeletionIncomplete, "deletion has begun but a copy remains: legacy-us hides it behind a delete marker over 1 noncurrent version; legacy-sg no longer holds it (its S3 Inventory of 2026-11-01T00:00:00Z listed it)"},
		{"i/multipart.bin", ledger.DeletedUnverified, gone + "no checksum " + sgOf + " lists (ETag " + md5hex("parts of i/multipart.bin") + "-3) can be compared with one of oci-us (a multipart ETag needs the part layout, which an inventory does not give)"},
	}, exceptionRows(r)); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	zero := allVerdicts(nil)
	wantBase := &report.BaselineReport{
		Inventories: []report.BaselineInventory{
			{Store: "legacy-us", Inventory: usInventory, Date: inventoryDate, ReadBy: r.RunID},
			{Store: "legacy-sg", Inventory: sgInventory, Date: inventoryDate, ReadBy: r.RunID},
		},
		Verdicts: zero,
	}
	wantBase.Verdicts = allVerdicts(map[ledger.Verdict]int64{ledger.Deleted: 2, ledger.DeletedUnverified: 4, ledger.DeletionIncomplete: 2})
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs", len(r.Pairs))
	}
	if diff := cmp.Diff(wantBase, r.Pairs[0].Baseline); diff != "" {
		t.Errorf("the pair's baseline (-want +got):\n%s", diff)
	}
	sentence := "Keys deleted before the first run were judged from S3 Inventories taken before the first run (legacy-us's of 2026-11-01T00:00:00Z and legacy-sg's of 2026-11-01T00:00:00Z): " +
		"2 deleted with parity proven against them, 4 deleted without proof (deleted_unverified), 2 partly deleted (deletion_incomplete)."
	if !strings.HasSuffix(r.Pairs[0].Statement, sentence) {
		t.Errorf("the statement does not end saying %q:\n%s", sentence, r.Pairs[0].Statement)
	}
}
