package s3_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrefixes(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		name := map[bool]string{false: "unversioned", true: "versioned"}[versioned]
		t.Run(name, func(t *testing.T) {
			b := newBucket(t, versioned)
			for _, k := range []string{"p/a/1", "p/a/2", "p/b b/x/y", "p/c", "p/d/", "p/ünï/1", "q/outside/1"} {
				b.put(k, []byte(k))
			}
			b.put("p/e/deleted", []byte("gone"))
			b.del("p/e/deleted")
			want := []string{"a/", "b b/", "d/", "ünï/"}
			if versioned {
				want = []string{"a/", "b b/", "d/", "e/", "ünï/"} // e/ holds a delete marker and a version
			}
			got, err := b.store("p/", 1).Prefixes(context.Background(), "/")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("prefixes (-want +got):\n%s", diff)
			}
		})
	}
}
