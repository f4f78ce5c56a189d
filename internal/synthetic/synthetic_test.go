package synthetic

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

// A store lists every object once, in key order, within a range; the
// target leaves out and changes the objects its faults say.
func TestListings(t *testing.T) {
	spec := Spec{Objects: 25_000, Prefixes: 7, MissingEvery: 10, MismatchEvery: 20}
	legacy, target := New("legacy", spec, false), New("target", spec, true)
	ctx := context.Background()
	all, err := inventory.Collect(legacy.List(ctx, inventory.KeyRange{}))
	if err != nil {
		t.Fatal(err)
	}
	per := spec.Objects / spec.Prefixes
	if len(all) != per*spec.Prefixes {
		t.Fatalf("listed %d objects, want %d", len(all), per*spec.Prefixes)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Key >= all[i].Key {
			t.Fatalf("out of order: %q then %q", all[i-1].Key, all[i].Key)
		}
	}
	rng := inventory.KeyRange{Start: all[1000].Key, End: all[3000].Key}
	part, err := inventory.Collect(legacy.List(ctx, rng))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[1000:3000], part); diff != "" {
		t.Errorf("range listing (-whole listing +range):\n%s", diff)
	}
	tl, err := inventory.Collect(target.List(ctx, inventory.KeyRange{}))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]inventory.Fingerprint{}
	for _, f := range tl {
		byKey[f.Key] = f
	}
	missing, changed := 0, 0
	for _, f := range all {
		g, ok := byKey[f.Key]
		switch {
		case !ok:
			missing++
		case g.Checksums[0].Value != f.Checksums[0].Value:
			changed++
		}
	}
	wantMissing, wantChanged := 0, 0
	for i := range len(all) {
		if i%10 == 1 {
			wantMissing++
		} else if i%20 == 2 {
			wantChanged++
		}
	}
	if missing != wantMissing || changed != wantChanged {
		t.Errorf("%d missing and %d changed of %d, want %d and %d", missing, changed, len(all), wantMissing, wantChanged)
	}
}
