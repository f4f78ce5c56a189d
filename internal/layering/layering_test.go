package layering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const module = "github.com/parityproof/parityproof/"

// A rule says which of the module's packages the packages under From may
// depend on, directly or not: none of Deny, or, with Only, nothing of the
// module but Only.
type rule struct {
	Name string
	From string // a package path, or a prefix ending in "/"
	Deny []string
	Only []string
}

// rules are the layers of docs/architecture.md.
var rules = []rule{
	{Name: "the engine depends only on the store contract and the ledger", From: "internal/parity",
		Only: []string{"pkg/inventory", "internal/ledger"}},
	{Name: "the ledger depends only on the store contract", From: "internal/ledger",
		Only: []string{"pkg/inventory"}},
	{Name: "store backends know stores, not runs, reports, configuration files or parityproof's own files", From: "pkg/inventory/",
		Deny: []string{"internal/run", "internal/verify", "internal/report", "internal/config", "internal/state", "internal/storage"}},
	{Name: "the report reads the state, never the orchestrator", From: "internal/report",
		Deny: []string{"internal/run", "internal/verify"}},
	{Name: "certificates read the state, never the orchestrator or the verifier", From: "internal/certify",
		Deny: []string{"internal/run", "internal/verify"}},
	{Name: "the verifier knows nothing of who calls it or of reports", From: "internal/verify",
		Deny: []string{"internal/run", "internal/report"}},
	{Name: "the state layout knows nothing of runs or reports", From: "internal/state",
		Deny: []string{"internal/run", "internal/verify", "internal/report", "internal/parity"}},
}

// matches reports whether the module-relative path p is pkg or under it.
func matches(p, pkg string) bool {
	return p == pkg || strings.HasPrefix(p, pkg+"/")
}

// violations returns, for every package of deps (module-relative path →
// the module-relative paths it depends on) a rule covers, each dependency
// the rule forbids.
func violations(deps map[string][]string, rules []rule) []string {
	var out []string
	for _, r := range rules {
		for pkg, ds := range deps {
			if !(pkg == r.From || strings.HasSuffix(r.From, "/") && strings.HasPrefix(pkg, r.From)) {
				continue
			}
			for _, d := range ds {
				bad := slices.ContainsFunc(r.Deny, func(x string) bool { return matches(d, x) })
				if r.Only != nil && d != pkg && !slices.ContainsFunc(r.Only, func(x string) bool { return matches(d, x) }) {
					bad = true
				}
				if bad {
					out = append(out, fmt.Sprintf("%s depends on %s: %s", pkg, d, r.Name))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// moduleDeps asks `go list -deps` what every package of the module (not
// its tests) depends on within the module.
func moduleDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		var own []string
		for _, d := range p.Deps {
			if rest, ok := strings.CutPrefix(d, module); ok {
				own = append(own, rest)
			}
		}
		deps[strings.TrimPrefix(p.ImportPath, module)] = own
	}
	return deps
}

func TestLayers(t *testing.T) {
	deps := moduleDeps(t)
	for _, r := range rules {
		if !slices.ContainsFunc(keys(deps), func(p string) bool { return p == r.From || strings.HasPrefix(p, r.From) }) {
			t.Errorf("rule %q covers no package: %s is gone or moved", r.Name, r.From)
		}
	}
	if v := violations(deps, rules); len(v) > 0 {
		t.Errorf("the layering of docs/architecture.md is broken:\n%s", strings.Join(v, "\n"))
	}
}

// The checker finds a planted violation of each kind of rule.
func TestViolationsAreFound(t *testing.T) {
	deps := map[string][]string{
		"internal/parity":        {"pkg/inventory", "internal/ledger", "internal/storage"},
		"pkg/inventory/s3":       {"pkg/inventory", "internal/awsclient", "internal/config"},
		"internal/report":        {"internal/state", "internal/run"},
		"internal/verify":        {"internal/state"},
		"internal/ledger":        {"pkg/inventory"},
		"pkg/inventory/checksum": {"pkg/inventory"},
	}
	want := []string{
		"internal/parity depends on internal/storage: " + rules[0].Name,
		"internal/report depends on internal/run: " + rules[3].Name,
		"pkg/inventory/s3 depends on internal/config: " + rules[2].Name,
	}
	if diff := cmp.Diff(want, violations(deps, rules)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
