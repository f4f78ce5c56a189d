package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNameLengths checks the limits that the validators enforce in code
// rather than in their patterns, on both sides of each bound.
func TestNameLengths(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:"
	const role = "arn:aws:iam::123456789012:role/"
	got := map[string]bool{}
	want := map[string]bool{}
	for _, c := range []struct {
		name  string
		valid func(string) bool
		s     string
		ok    bool
	}{
		{"OCI bucket of 1", validOCIBucket, "a", true},
		{"OCI bucket of 256", validOCIBucket, strings.Repeat("b", 256), true},
		{"OCI bucket of 257", validOCIBucket, strings.Repeat("b", 257), false},
		{"empty OCI bucket", validOCIBucket, "", false},
		{"OCI bucket with a slash", validOCIBucket, "a/b", false},
		{"SNS topic named 256", validSNSTopic, topic + strings.Repeat("t", 256), true},
		{"SNS topic named 257", validSNSTopic, topic + strings.Repeat("t", 257), false},
		{"SNS topic without a name", validSNSTopic, topic, false},
		{"SNS topic with a dot", validSNSTopic, topic + "a.b", false},
		{"role of 512", validRoleARN, role + strings.Repeat("r", 256) + "/" + strings.Repeat("r", 255), true},
		{"role of 513", validRoleARN, role + strings.Repeat("r", 513), false},
		{"role without a name", validRoleARN, role, false},
		{"role with a space", validRoleARN, role + "a b", false},
		{"session of 1", validSessionName, "s", false},
		{"session of 2", validSessionName, "ss", true},
		{"session of 64", validSessionName, strings.Repeat("s", 64), true},
		{"session of 65", validSessionName, strings.Repeat("s", 65), false},
		{"session with a slash", validSessionName, "a/b", false},
	} {
		got[c.name] = c.valid(c.s)
		want[c.name] = c.ok
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("validity (-want +got):\n%s", diff)
	}
}
