package run

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"

	"github.com/parityproof/parityproof/internal/storage"
)

// taggingDir is a state folder that records the tags each name was last
// written with.
type taggingDir struct {
	*storage.Dir
	mu   sync.Mutex
	tags map[string]map[string]string
}

func (d *taggingDir) Put(ctx context.Context, name string, r io.Reader, o storage.PutOptions) error {
	d.mu.Lock()
	d.tags[name] = o.Tags
	d.mu.Unlock()
	return d.Dir.Put(ctx, name, r, o)
}

func (d *taggingDir) PutIf(ctx context.Context, name string, body []byte, c storage.Condition, o storage.PutOptions) (storage.Version, error) {
	d.mu.Lock()
	d.tags[name] = o.Tags
	d.mu.Unlock()
	return d.Dir.PutIf(ctx, name, body, c, o)
}

// The state bucket's lifecycle rules (template.yaml) expire only the old
// versions of objects tagged as rewritten in place, and a run tags exactly
// those — checkpoints, pointers, leases — never a ledger part, a
// manifest or a run record, which reports refer to.
func TestStateBucketLifecycle(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Properties struct {
				LifecycleConfiguration struct {
					Rules []map[string]any `yaml:"Rules"`
				} `yaml:"LifecycleConfiguration"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	rules := tmpl.Resources["StateBucket"].Properties.LifecycleConfiguration.Rules
	var expiring, aborting int
	for _, r := range rules {
		for _, forbidden := range []string{"ExpirationInDays", "ExpirationDate", "Transitions", "Transition", "ExpiredObjectDeleteMarker"} {
			if _, ok := r[forbidden]; ok {
				t.Errorf("rule %v touches current versions (%s)", r["Id"], forbidden)
			}
		}
		if _, ok := r["NoncurrentVersionExpiration"]; ok {
			expiring++
			want := []any{}
			for k, v := range storage.RewrittenTags {
				want = append(want, map[string]any{"Key": k, "Value": v})
			}
			if diff := cmp.Diff(want, r["TagFilters"]); diff != "" {
				t.Errorf("rule %v expires old versions of objects not tagged as rewritten (-want +got):\n%s", r["Id"], diff)
			}
		}
		if _, ok := r["AbortIncompleteMultipartUpload"]; ok {
			aborting++
		}
	}
	if expiring != 1 || aborting != 1 {
		t.Errorf("the state bucket has %d rules expiring old versions and %d aborting uploads, want one of each: %v", expiring, aborting, rules)
	}

	w := newWorld(t)
	dir, err := storage.NewDir(filepath.Join(w.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	st := &taggingDir{Dir: dir, tags: map[string]map[string]string{}}
	reports, err := storage.NewDir(filepath.Join(w.dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), Options{Config: w.cfg, State: st, Reports: reports, Stores: w.open, Now: func() time.Time { return day(1) }, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Execute(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	var tagged, untagged []string
	for _, name := range slices.Sorted(maps.Keys(st.tags)) {
		generic := name
		if i := strings.Index(name, "/"); i >= 0 && strings.HasPrefix(name, "runs/") {
			rest := name[strings.Index(name[5:], "/")+6:]
			generic = "runs/R/" + rest
		}
		if maps.Equal(st.tags[name], storage.RewrittenTags) {
			tagged = append(tagged, generic)
		} else if len(st.tags[name]) == 0 {
			untagged = append(untagged, generic)
		} else {
			t.Errorf("%s is tagged %v", name, st.tags[name])
		}
	}
	for _, n := range tagged {
		if !(n == "current.json" || n == "latest.json" || n == "lease.json" || strings.HasPrefix(n, "runs/R/shards/")) {
			t.Errorf("%s is tagged as rewritten in place: its old versions would expire", n)
		}
	}
	for _, n := range untagged {
		if strings.HasPrefix(n, "runs/R/shards/") || n == "current.json" || n == "latest.json" || n == "lease.json" {
			t.Errorf("%s is rewritten in place but not tagged: its old versions would pile up", n)
		}
	}
	for _, want := range []string{"runs/R/run.json", "runs/R/manifest.json", "runs/R/finished.json"} {
		if !slices.Contains(untagged, want) {
			t.Errorf("%s was not written untagged (untagged: %v)", want, untagged)
		}
	}
	if !slices.ContainsFunc(untagged, func(n string) bool { return strings.HasPrefix(n, "runs/R/ledger/") }) {
		t.Errorf("no ledger part was written untagged: %v", untagged)
	}
}
