package layering

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// factories are the only folders whose non-test code may construct SDK
// clients.
var factories = []string{"internal/awsclient", "internal/ociclient"}

// pending are files that construct clients today and are to move onto the
// factories. Each must still hold a constructor: remove it here when it no
// longer does.
var pending = []string{}

// ociClientConstructor matches the client constructors of the OCI SDK:
// objectstorage.NewObjectStorageClientWithConfigurationProvider,
// common.NewClientWithConfig, …
var ociClientConstructor = regexp.MustCompile(`^New\w*Client`)

// constructor reports whether the function name of the package imported
// as path constructs an SDK client (or loads the AWS configuration, which
// only the AWS factory does).
func constructor(path, name string) bool {
	switch {
	case strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/service/"):
		return name == "New" || name == "NewFromConfig"
	case path == "github.com/aws/aws-sdk-go-v2/config":
		return name == "LoadDefaultConfig"
	case strings.HasPrefix(path, "github.com/oracle/oci-go-sdk/"):
		return ociClientConstructor.MatchString(name)
	}
	return false
}

// sdk reports whether path is a package of an SDK that constructor knows.
func sdk(path string) bool {
	return strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/") || strings.HasPrefix(path, "github.com/oracle/oci-go-sdk/")
}

// constructorUses returns the uses of SDK client constructors in the Go
// file at path, as "path:line: pkg.Name". Any reference counts, called or
// not. A dot import of an SDK package counts as a use, since what it
// brings in can no longer be told apart.
func constructorUses(path string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return nil, err
	}
	imports := map[string]string{} // local name: import path
	var uses []string
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, err
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if name == "." && sdk(p) {
			uses = append(uses, fmt.Sprintf("%s:%d: dot import of %s", path, fset.Position(spec.Pos()).Line, p))
		}
		imports[name] = p
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		// A package name is left unresolved by the parser; a local
		// variable of the same name is not.
		x, ok := sel.X.(*ast.Ident)
		if !ok || x.Obj != nil {
			return true
		}
		if p, ok := imports[x.Name]; ok && constructor(p, sel.Sel.Name) {
			uses = append(uses, fmt.Sprintf("%s:%d: %s.%s", path, fset.Position(sel.Pos()).Line, x.Name, sel.Sel.Name))
		}
		return true
	})
	return uses, nil
}

// moduleRoot returns the folder of go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// The checker finds what the fixture marks, and nothing else.
func TestConstructorUsesFindsTheFixturesViolations(t *testing.T) {
	got, err := constructorUses("testdata/violations.go")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/violations.go")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "// flagged") {
			call := regexp.MustCompile(`\b(\w+\.New\w*|awsconfig\.LoadDefaultConfig)\b`).FindString(line)
			want = append(want, fmt.Sprintf("testdata/violations.go:%d: %s", i+1, call))
		}
		if strings.HasPrefix(strings.TrimSpace(line), `. "github.com/aws`) {
			want = append(want, fmt.Sprintf("testdata/violations.go:%d: dot import of %s", i+1, strings.Trim(strings.Fields(line)[1], `"`)))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) < 9 {
		t.Fatalf("the fixture marks %d uses; it lost some", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uses found in the fixture (-want +got):\n%s", diff)
	}
}

// No SDK client is constructed outside the factories, in the module's
// non-test code.
func TestNoSDKClientOutsideTheFactories(t *testing.T) {
	root := moduleRoot(t)
	var found []string
	stillPending := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if slices.ContainsFunc(factories, func(f string) bool { return rel == f || strings.HasPrefix(rel, f+"/") }) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		uses, err := constructorUses(path)
		if err != nil {
			return err
		}
		if slices.Contains(pending, rel) {
			stillPending[rel] = len(uses) > 0
			return nil
		}
		for _, u := range uses {
			found = append(found, strings.TrimPrefix(u, root+string(filepath.Separator)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range found {
		t.Errorf("%s: build the client with internal/awsclient or internal/ociclient", u)
	}
	for _, p := range pending {
		if !stillPending[p] {
			t.Errorf("%s no longer constructs an SDK client: remove it from pending", p)
		}
	}
}
