// Package emf writes CloudWatch Embedded Metric Format (EMF) documents:
// JSON lines on a Lambda function's standard output from which CloudWatch
// Logs extracts metrics, here one count per verdict.
//
// Every document carries two dimension sets: {Service} alone, on which the
// deployment's alarms watch the whole system, and {Service, Pair}, for
// graphs per migration.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
)

// Service is the value of the Service dimension of every metric.
const Service = "parityproof"

// DefaultNamespace is the CloudWatch namespace metrics go to.
const DefaultNamespace = "parityproof"

// Critical is the name of the metric counting critical verdicts
// (deleted_unverified and copy_lost), which the deployment alarms on.
const Critical = "critical"

// Writer writes EMF documents to an io.Writer, one line each. It is safe
// for concurrent use.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// New returns a Writer of documents in namespace ("" for DefaultNamespace)
// stamped with now (nil for time.Now).
func New(w io.Writer, namespace string, now func() time.Time) *Writer {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, namespace: namespace, now: now}
}

// metricDefinition is EMF's MetricDefinition.
type metricDefinition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

type metadata struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
}

// Verdicts writes one document of counts per verdict for pair (as
// ledger.Tally.Verdicts and report.json give them): a metric per verdict,
// named as the verdict, every one present, zero or not, and Critical. props are added to the document as properties (the
// run id, what produced the counts), searchable in CloudWatch Logs but not
// metrics; they must not use the names of metrics or dimensions.
func (w *Writer) Verdicts(pair string, counts map[ledger.Verdict]int64, props map[string]string) error {
	doc := map[string]any{}
	for k, v := range props {
		doc[k] = v
	}
	dir := metricDirective{Namespace: w.namespace, Dimensions: [][]string{{"Service"}, {"Service", "Pair"}}}
	var critical int64
	for _, v := range ledger.Verdicts {
		dir.Metrics = append(dir.Metrics, metricDefinition{Name: string(v), Unit: "Count"})
		doc[string(v)] = counts[v]
		if v.Severity() == ledger.Critical {
			critical += counts[v]
		}
	}
	dir.Metrics = append(dir.Metrics, metricDefinition{Name: Critical, Unit: "Count"})
	doc[Critical] = critical
	doc["Service"] = Service
	doc["Pair"] = pair
	doc["_aws"] = metadata{Timestamp: w.now().UnixMilli(), CloudWatchMetrics: []metricDirective{dir}}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding the metrics of pair %s: %w", pair, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the metrics of pair %s: %w", pair, err)
	}
	return nil
}
