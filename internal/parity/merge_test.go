package parity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/memory"
)

func keys(fps ...inventory.Fingerprint) []inventory.Fingerprint { return fps }

func obj(key, content string) inventory.Fingerprint {
	return *fp(key, int64(len(content)), etag(content))
}

func tobj(key, content string) inventory.Fingerprint {
	return *fp(key, int64(len(content)), ociMD5(content))
}

type verdictOf struct {
	Key     string
	Verdict ledger.Verdict
}

func verify(t *testing.T, r inventory.KeyRange, us, sg, target []inventory.Fingerprint, prev []ledger.Entry) ([]verdictOf, ledger.Tally, error) {
	t.Helper()
	e, err := New(Config{Pair: testPair(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := Inputs{
		Legacy: []inventory.Listing{memory.NewListing(ctx, us, 2), memory.NewListing(ctx, sg, 1)},
		Target: memory.NewListing(ctx, target, 3),
	}
	if prev != nil {
		in.Previous = &sliceStream{entries: prev}
	}
	var got []verdictOf
	tally, err := e.Verify(ctx, r, in, func(en *ledger.Entry) error {
		got = append(got, verdictOf{en.Key, en.Verdict})
		return nil
	})
	return got, tally, err
}

func TestVerifyMergesEverySource(t *testing.T) {
	us := keys(obj("a", "x"), obj("b", "y"), obj("d", "w"), obj("e/ü", "v"))
	sg := keys(obj("a", "x"), obj("c", "z"), obj("e/ü", "v"))
	target := keys(tobj("a", "x"), tobj("c", "z"), tobj("e/ü", "v"), tobj("f", "extra"))
	prev := []ledger.Entry{
		{Key: "0-gone", Verdict: ledger.Unproven, HeldBy: both},
		{Key: "a", Verdict: ledger.Verified},
		{Key: "z-proven", Verdict: ledger.Verified, HeldBy: both, ProvenAt: proofOf(earlier, ledger.EvidenceMD5, fp("", 1, ociMD5("q")))},
	}
	got, tally, err := verify(t, inventory.KeyRange{}, us, sg, target, prev)
	if err != nil {
		t.Fatal(err)
	}
	want := []verdictOf{
		{"0-gone", ledger.DeletedUnverified},
		{"a", ledger.Verified},
		{"b", ledger.Missing},
		{"c", ledger.Verified},
		{"d", ledger.Missing},
		{"e/ü", ledger.Verified},
		{"f", ledger.Extra},
		{"z-proven", ledger.CopyLost},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	type counts struct {
		Objects, Bytes int64
		Verdicts       map[ledger.Verdict]int64
		VerdictBytes   map[ledger.Verdict]int64
	}
	zero := func(m map[ledger.Verdict]int64) map[ledger.Verdict]int64 {
		for _, v := range ledger.Verdicts {
			m[v] += 0
		}
		return m
	}
	wantCounts := counts{
		Objects: 8, Bytes: 11,
		Verdicts:     zero(map[ledger.Verdict]int64{ledger.DeletedUnverified: 1, ledger.Verified: 3, ledger.Missing: 2, ledger.Extra: 1, ledger.CopyLost: 1}),
		VerdictBytes: zero(map[ledger.Verdict]int64{ledger.Verified: 3, ledger.Missing: 2, ledger.Extra: 5, ledger.CopyLost: 1}),
	}
	gotCounts := counts{tally.Objects, tally.Bytes, tally.Verdicts(), tally.VerdictBytes()}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("tally (-want +got):\n%s", diff)
	}
}

func TestVerifySkipsPreviousEntriesOutsideTheShard(t *testing.T) {
	prev := []ledger.Entry{
		{Key: "a", Verdict: ledger.Unproven},
		{Key: "b", Verdict: ledger.Unproven},
		{Key: "c", Verdict: ledger.Unproven},
		{Key: "d", Verdict: ledger.Unproven},
	}
	got, _, err := verify(t, inventory.KeyRange{Start: "b", End: "d"}, nil, nil, nil, prev)
	if err != nil {
		t.Fatal(err)
	}
	want := []verdictOf{{"b", ledger.DeletedUnverified}, {"c", ledger.DeletedUnverified}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

// A source out of order must stop the shard with an error naming the store
// and the two keys, never turn into a verdict.
func TestVerifyRejectsSourcesOutOfOrder(t *testing.T) {
	good := keys(obj("a", "x"), obj("b", "x"), obj("c", "x"))
	for _, tc := range []struct {
		name               string
		us, sg, target     []inventory.Fingerprint
		prev               []ledger.Entry
		r                  inventory.KeyRange
		wantOrder          *OrderError
		wantRange          *RangeError
		wantMessage        string
		wantBeforeTheError []verdictOf
	}{
		{
			name: "a legacy listing goes backwards within a page",
			us:   keys(obj("b", "x"), obj("a", "x")), sg: good, target: good,
			wantOrder:   &OrderError{Source: "legacy-us", Prev: "b", Key: "a"},
			wantMessage: `legacy-us listed key "a" after "b": a listing must be sorted in byte order`,
		},
		{
			name: "a legacy listing goes backwards across pages",
			us:   good, sg: keys(obj("a", "x"), obj("c", "x"), obj("b", "x")), target: good,
			wantOrder:   &OrderError{Source: "legacy-sg", Prev: "c", Key: "b"},
			wantMessage: `legacy-sg listed key "b" after "c": a listing must be sorted in byte order`,
			// The disorder shows only when the third page arrives: what was
			// emitted before is not a ledger, and the run layer discards a
			// shard whose Verify failed.
			wantBeforeTheError: []verdictOf{{"a", ledger.Verified}, {"b", ledger.Verified}, {"c", ledger.Verified}},
		},
		{
			name: "the target repeats a key",
			us:   good, sg: good, target: keys(tobj("a", "x"), tobj("a", "x")),
			wantOrder:   &OrderError{Source: "oci-us", Prev: "a", Key: "a"},
			wantMessage: `oci-us listed key "a" twice: a listing must give each key once, in byte order`,
		},
		{
			name: "unicode order is not byte order",
			us:   keys(obj("é", "x"), obj("z", "x")), sg: nil, target: nil,
			wantOrder:   &OrderError{Source: "legacy-us", Prev: "é", Key: "z"},
			wantMessage: `legacy-us listed key "z" after "é": a listing must be sorted in byte order`,
		},
		{
			name: "the previous ledger goes backwards",
			us:   good, sg: good, target: good,
			prev:        []ledger.Entry{{Key: "b", Verdict: ledger.Verified}, {Key: "a", Verdict: ledger.Verified}},
			wantOrder:   &OrderError{Source: "previous ledger", Prev: "b", Key: "a"},
			wantMessage: `previous ledger listed key "a" after "b": a listing must be sorted in byte order`,
		},
		{
			name: "a listing returns a key outside the shard",
			us:   keys(obj("m", "x"), obj("z", "x")), r: inventory.KeyRange{Start: "m", End: "n"},
			wantRange:   &RangeError{Source: "legacy-us", Key: "z", Range: inventory.KeyRange{Start: "m", End: "n"}},
			wantMessage: `legacy-us listed key "z" outside the shard ["m", "n")`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := verify(t, tc.r, tc.us, tc.sg, tc.target, tc.prev)
			if err == nil {
				t.Fatalf("no error; verdicts %v", got)
			}
			if diff := cmp.Diff(tc.wantMessage, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if tc.wantOrder != nil {
				var oe *OrderError
				if !errors.As(err, &oe) {
					t.Fatalf("got %T, want an *OrderError", err)
				}
				if diff := cmp.Diff(tc.wantOrder, oe); diff != "" {
					t.Errorf("order error (-want +got):\n%s", diff)
				}
			}
			if tc.wantRange != nil {
				var re *RangeError
				if !errors.As(err, &re) {
					t.Fatalf("got %T, want a *RangeError", err)
				}
				if diff := cmp.Diff(tc.wantRange, re); diff != "" {
					t.Errorf("range error (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tc.wantBeforeTheError, got); diff != "" {
				t.Errorf("entries emitted before the error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyStopsWhenCancelled(t *testing.T) {
	e, err := New(Config{Pair: testPair(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Inputs{
		Legacy: []inventory.Listing{memory.NewListing(context.Background(), keys(obj("a", "x")), 1), memory.NewListing(context.Background(), nil, 1)},
		Target: memory.NewListing(context.Background(), nil, 1),
	}
	_, err = e.Verify(ctx, inventory.KeyRange{}, in, func(*ledger.Entry) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadPairs(t *testing.T) {
	for _, tc := range []struct {
		pair Pair
		want string
	}{
		{Pair{Name: "p", Target: StoreInfo{Name: "t"}}, `pair "p" has no legacy store`},
		{Pair{Name: "p", Legacy: []StoreInfo{{Name: "l"}}}, `pair "p" has no target store`},
		{Pair{Name: "p", Legacy: []StoreInfo{{Name: "l"}, {Name: "l"}}, Target: StoreInfo{Name: "t"}}, `pair "p" names store "l" twice`},
		{Pair{Name: "p", Legacy: []StoreInfo{{Name: "t"}}, Target: StoreInfo{Name: "t"}}, `pair "p" names store "t" twice`},
	} {
		_, err := New(Config{Pair: tc.pair})
		if diff := cmp.Diff(tc.want, errString(err)); diff != "" {
			t.Errorf("New(%+v) (-want +got):\n%s", tc.pair, diff)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
