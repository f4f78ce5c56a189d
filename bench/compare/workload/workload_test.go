package workload

import (
	"bytes"
	"crypto/md5"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlantedDifferencesAt100kObjects(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Expect
	}{
		{"a", Expect{Workload: "a", Keys: 100_000, Missing: 50, Changed: 50, Extra: 50, Matching: 99_900}},
		{"b", Expect{Workload: "b", Keys: 100_000, Missing: 50, Changed: 50, Extra: 50, Matching: 99_900}},
		{"c", Expect{Workload: "c", Keys: 100_000, Missing: 50, Changed: 10_050, Extra: 50, Matching: 89_900}},
	} {
		w, err := New(tc.name, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, w.Expect()); diff != "" {
			t.Errorf("workload %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// layout returns the number of keys per top-level folder and checks that
// keys (legacy and extra, in the order the seeder puts them) strictly
// ascend.
func layout(t *testing.T, w Workload) map[string]int {
	t.Helper()
	folders := map[string]int{}
	last := ""
	for i := range w.N {
		keys := []string{w.Key(i)}
		if w.Extra(i) {
			keys = append(keys, w.ExtraKey(i))
		}
		for _, k := range keys {
			if k <= last {
				t.Fatalf("workload %s: key %q after %q", w.Name, k, last)
			}
			last = k
		}
		folder, _, _ := strings.Cut(keys[0], "/")
		folders[folder]++
	}
	return folders
}

func TestLayouts(t *testing.T) {
	a, _ := New("a", 100_000)
	folders := layout(t, a)
	if len(folders) != 100 || folders["user-000"] != 1000 || folders["user-099"] != 1000 {
		t.Errorf("workload a: %d folders, user-000 has %d keys, user-099 %d; want 100 of 1000", len(folders), folders["user-000"], folders["user-099"])
	}
	b, _ := New("b", 100_000)
	if diff := cmp.Diff(map[string]int{"backups": 100_000}, layout(t, b)); diff != "" {
		t.Errorf("workload b folders (-want +got):\n%s", diff)
	}
	small, _ := New("a", 2000)
	if n := len(layout(t, small)); n != 100 {
		t.Errorf("workload a at 2000 keys: %d folders, want 100", n)
	}
}

func TestChangedBodyKeepsTheSizeAndChangesTheMD5(t *testing.T) {
	for _, key := range []string{"user-000/backup-00000000.bin", "backups/backup-00000001.bin", "x"} {
		b := Body(key)
		if len(b) < 64 || len(b) > 255 || !bytes.Equal(b, Body(key)) {
			t.Fatalf("Body(%q): %d bytes, or not the same twice", key, len(b))
		}
		c := ChangedBody(b)
		if len(c) != len(b) || md5.Sum(c) == md5.Sum(b) {
			t.Errorf("ChangedBody(%q): %d bytes (want %d), same MD5: %v", key, len(c), len(b), md5.Sum(c) == md5.Sum(b))
		}
	}
}

func TestNewRejectsUnknownWorkloadsAndEmptySets(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"d", 10}, {"a", 0}} {
		if _, err := New(tc.name, tc.n); err == nil {
			t.Errorf("New(%q, %d) succeeded", tc.name, tc.n)
		}
	}
}
