package functions_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The state machine is validated by asl-validator (scripts/test) and its
// steps' payloads are the functions' (the end-to-end test invokes them).
// This test holds the wiring between them that neither checks: what each
// state sends the functions, which errors are retried and caught, and that
// the template fills in every placeholder.

type aslState struct {
	Type       string
	Next       string
	End        bool
	Default    string
	Parameters map[string]any
	Retry      []struct {
		ErrorEquals []string
		MaxAttempts *int
	}
	Catch []struct {
		ErrorEquals []string
		Next        string
		ResultPath  *string
	}
	ItemReader *struct {
		Resource     string
		ReaderConfig map[string]string
		Parameters   map[string]string
	}
	ResultWriter *struct {
		Resource   string
		Parameters map[string]string
	}
	ItemProcessor *struct {
		StartAt string
		States  map[string]aslState
	}
	MaxConcurrencyPath             string
	ToleratedFailurePercentagePath string
	ErrorPath, CausePath           string
	Choices                        []map[string]any
}

type aslMachine struct {
	StartAt        string
	TimeoutSeconds int
	States         map[string]aslState
}

func readMachine(t *testing.T) (aslMachine, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "statemachine", "verification.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m aslMachine
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, string(b)
}

// payloadFields returns the names of a lambda:invoke state's payload
// fields, without their ".$".
func payloadFields(s aslState) []string {
	p, _ := s.Parameters["Payload"].(map[string]any)
	var out []string
	for k := range p {
		out = append(out, strings.TrimSuffix(k, ".$"))
	}
	slices.Sort(out)
	return out
}

func TestStateMachineWiring(t *testing.T) {
	m, text := readMachine(t)
	if m.TimeoutSeconds <= 0 || m.TimeoutSeconds > 24*3600 {
		t.Errorf("the execution's timeout is %d s", m.TimeoutSeconds)
	}
	plan := m.States["Plan"]
	if diff := cmp.Diff([]string{"action", "run_id"}, payloadFields(plan)); diff != "" {
		t.Errorf("Plan's payload (-want +got):\n%s", diff)
	}

	// The Map reads the shard list Plan wrote, writes its results beside
	// it, takes its concurrency and tolerated failures from the settings,
	// and is caught.
	shards := m.States["Shards"]
	if shards.ItemReader == nil || shards.ItemReader.Resource != "arn:aws:states:::s3:getObject" || shards.ItemReader.ReaderConfig["InputType"] != "JSONL" ||
		shards.ItemReader.Parameters["Bucket.$"] != "$.plan.bucket" || shards.ItemReader.Parameters["Key.$"] != "$.plan.key" {
		t.Errorf("the Map's ItemReader: %+v", shards.ItemReader)
	}
	if shards.ResultWriter == nil || shards.ResultWriter.Parameters["Prefix.$"] != "$.plan.results_prefix" {
		t.Errorf("the Map's ResultWriter: %+v", shards.ResultWriter)
	}
	if shards.MaxConcurrencyPath != "$.settings.max_concurrency" || shards.ToleratedFailurePercentagePath != "$.settings.tolerated_failure_percentage" {
		t.Errorf("the Map's settings: %q, %q", shards.MaxConcurrencyPath, shards.ToleratedFailurePercentagePath)
	}
	if len(shards.Catch) != 1 || shards.Catch[0].Next != "ReportOfFailedRun" {
		t.Errorf("the Map's Catch: %+v", shards.Catch)
	}

	// Each item: the shard task with its cursor and stall count; a
	// ShardStalled is never retried (its retrier comes first); anything
	// caught is recorded, then fails the child with its own error.
	child := shards.ItemProcessor.States
	task := child[shards.ItemProcessor.StartAt]
	want := []string{"action", "cursor", "end", "pair", "run_id", "stalled", "start"}
	if diff := cmp.Diff(want, payloadFields(task)); diff != "" {
		t.Errorf("the shard task's payload (-want +got):\n%s", diff)
	}
	next := child["NextSlice"].Parameters
	if next["cursor.$"] != "$.result.cursor" || next["stalled.$"] != "$.result.stalled" {
		t.Errorf("the next slice carries %v", next)
	}
	if r := task.Retry; len(r) == 0 || !slices.Equal(r[0].ErrorEquals, []string{"ShardStalled"}) || r[0].MaxAttempts == nil || *r[0].MaxAttempts != 0 {
		t.Errorf("the shard task's first retrier is not ShardStalled, never retried: %+v", r)
	}
	if len(task.Catch) != 1 || task.Catch[0].Next != "RecordFailure" || task.Catch[0].ResultPath == nil || *task.Catch[0].ResultPath != "$.failure" {
		t.Errorf("the shard task's Catch: %+v", task.Catch)
	}
	record := child["RecordFailure"]
	if diff := cmp.Diff([]string{"action", "cause", "end", "error", "pair", "run_id", "start"}, payloadFields(record)); diff != "" {
		t.Errorf("shard_failed's payload (-want +got):\n%s", diff)
	}
	if record.Next != "ShardFailed" || child["ShardFailed"].Type != "Fail" || child["ShardFailed"].ErrorPath != "$.failure.Error" {
		t.Errorf("a recorded failure does not fail the child with its error: %+v, %+v", record, child["ShardFailed"])
	}

	// The report, its failure path and its notice.
	if diff := cmp.Diff([]string{"failure", "run_id"}, payloadFields(m.States["ReportOfFailedRun"])); diff != "" {
		t.Errorf("the failed run's report payload (-want +got):\n%s", diff)
	}
	for _, name := range []string{"Plan", "Report", "ReportOfFailedRun"} {
		if c := m.States[name].Catch; len(c) != 1 || !slices.Equal(c[0].ErrorEquals, []string{"States.ALL"}) {
			t.Errorf("%s's Catch: %+v", name, c)
		}
	}
	for _, name := range []string{"PlanFailed", "ReportFailed"} {
		if s := m.States[name]; s.Parameters["TopicArn"] != "${ReportTopicArn}" {
			t.Errorf("%s does not notify the report topic: %+v", name, s.Parameters)
		}
	}
	if m.States["Complete?"].Default != "Done" || m.States["RunIncomplete"].Type != "Fail" {
		t.Error("an incomplete run does not fail the execution")
	}

	// Every placeholder is one the template substitutes.
	tmpl, err := os.ReadFile(filepath.Join("..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	subs := regexp.MustCompile(`(?s)DefinitionSubstitutions:\n((?:\s{8}\w+: [^\n]+\n)+)`).FindSubmatch(tmpl)
	if subs == nil {
		t.Fatal("the template has no DefinitionSubstitutions")
	}
	for _, p := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(text, -1) {
		if !strings.Contains(string(subs[1]), p[1]+":") {
			t.Errorf("the template does not substitute ${%s}", p[1])
		}
	}
}
