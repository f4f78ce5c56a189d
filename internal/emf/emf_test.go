package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
)

func tallyOf(vs ...ledger.Verdict) map[ledger.Verdict]int64 {
	t := ledger.NewTally()
	for _, v := range vs {
		t.Add(&ledger.Entry{Key: "k", Verdict: v})
	}
	return t.Verdicts()
}

// A document is one JSON line with the EMF metadata, a count per verdict
// and the critical count, its dimensions and its properties.
func TestVerdictsDocument(t *testing.T) {
	var out bytes.Buffer
	at := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	w := New(&out, "", func() time.Time { return at })
	tally := tallyOf(ledger.Verified, ledger.Verified, ledger.Deleted, ledger.CopyLost, ledger.DeletedUnverified, ledger.DeletedUnverified, ledger.Missing)
	if err := w.Verdicts("us-users", tally, map[string]string{"run_id": "20261128T220000Z-1a2b", "source": "report"}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), out.Bytes())
	}
	var got map[string]any
	if err := json.Unmarshal(lines[0], &got); err != nil {
		t.Fatal(err)
	}
	metrics := []any{}
	for _, name := range []string{"verified", "deleted", "missing", "mismatch", "unproven", "deletion_incomplete", "deleted_unverified", "copy_lost", "extra", "error", "critical"} {
		metrics = append(metrics, map[string]any{"Name": name, "Unit": "Count"})
	}
	want := map[string]any{
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "parityproof",
				"Dimensions": []any{[]any{"Service"}, []any{"Service", "Pair"}},
				"Metrics":    metrics,
			}},
		},
		"Service": "parityproof", "Pair": "us-users",
		"run_id": "20261128T220000Z-1a2b", "source": "report",
		"verified": 2.0, "deleted": 1.0, "missing": 1.0, "mismatch": 0.0, "unproven": 0.0, "deletion_incomplete": 0.0,
		"deleted_unverified": 2.0, "copy_lost": 1.0, "extra": 0.0, "error": 0.0, "critical": 3.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
}

// Whatever the counts, every metric and dimension the directive names is a
// member of the document's root, as the EMF specification requires, and
// the namespace is the one asked for.
func TestVerdictsDocumentIsSelfConsistent(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, "acme/parityproof", nil)
	for _, tally := range []map[ledger.Verdict]int64{nil, tallyOf(ledger.Error, ledger.Extra)} {
		out.Reset()
		if err := w.Verdicts("p", tally, nil); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
		}
		var root map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out.Bytes(), &root); err != nil {
			t.Fatal(err)
		}
		if doc.AWS.Timestamp == 0 || len(doc.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("metadata: %+v", doc.AWS)
		}
		d := doc.AWS.CloudWatchMetrics[0]
		if diff := cmp.Diff("acme/parityproof", d.Namespace); diff != "" {
			t.Error(diff)
		}
		var problems []string
		for _, m := range d.Metrics {
			if _, ok := root[m.Name].(float64); !ok {
				problems = append(problems, "metric "+m.Name+" is not a number at the root")
			}
		}
		for _, set := range d.Dimensions {
			for _, k := range set {
				if _, ok := root[k].(string); !ok {
					problems = append(problems, "dimension "+k+" is not a string at the root")
				}
			}
		}
		if diff := cmp.Diff([]string(nil), problems); diff != "" {
			t.Error(diff)
		}
	}
}
