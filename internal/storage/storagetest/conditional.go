package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/storage"
)

// conditional returns the store of a new place as a storage.Conditional,
// failing t if it is not one: every backend writes conditionally, which
// leases and single-writer files rest on.
func conditional(t *testing.T, h Harness) storage.Conditional {
	t.Helper()
	st := h.NewPlace(t)("")
	c, ok := st.(storage.Conditional)
	if !ok {
		t.Fatalf("%T is not a storage.Conditional", st)
	}
	return c
}

// Conditional writes: create only if absent, replace only the version
// read, and a failed condition writes nothing.
func testConditional(t *testing.T, h Harness) {
	ctx := context.Background()
	c := conditional(t, h)
	if _, _, err := c.GetVersion(ctx, "lease.json"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("GetVersion of nothing: %v, want ErrNotExist", err)
	}
	if _, err := c.PutIf(ctx, "lease.json", []byte("v0"), storage.Condition{IfVersion: "nonesuch"}, storage.PutOptions{}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("PutIf at a version of a missing object: %v, want ErrPrecondition", err)
	}
	v1, err := c.PutIf(ctx, "lease.json", []byte("v1"), storage.Condition{IfAbsent: true}, storage.PutOptions{})
	if err != nil {
		t.Fatalf("PutIf absent of a new object: %v", err)
	}
	if _, err := c.PutIf(ctx, "lease.json", []byte("v1bis"), storage.Condition{IfAbsent: true}, storage.PutOptions{}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("PutIf absent of an existing object: %v, want ErrPrecondition", err)
	}
	body, got, err := c.GetVersion(ctx, "lease.json")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "after a failed create", []byte("v1"), body)
	if got != v1 {
		t.Errorf("GetVersion says %q, PutIf said %q", got, v1)
	}
	v2, err := c.PutIf(ctx, "lease.json", []byte("v2"), storage.Condition{IfVersion: v1}, storage.PutOptions{Tags: storage.RewrittenTags})
	if err != nil {
		t.Fatalf("PutIf at the version read: %v", err)
	}
	if v2 == v1 {
		t.Errorf("a new content kept the version %q", v1)
	}
	if _, err := c.PutIf(ctx, "lease.json", []byte("v3"), storage.Condition{IfVersion: v1}, storage.PutOptions{}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("PutIf at a stale version: %v, want ErrPrecondition", err)
	}
	same(t, "after a stale write", []byte("v2"), mustGet(t, c, "lease.json"))
	// An unconditional PutIf writes whatever is there.
	if _, err := c.PutIf(ctx, "lease.json", []byte("v4"), storage.Condition{}, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	same(t, "after an unconditional PutIf", []byte("v4"), mustGet(t, c, "lease.json"))
	// The precondition of a write that went through unseen: the body is
	// there, so it was the writer's own.
	v5, err := storage.PutIfMaybeMine(ctx, c, "lease.json", []byte("v4"), storage.Condition{IfAbsent: true}, storage.PutOptions{})
	if err != nil {
		t.Fatalf("PutIfMaybeMine of the body already there: %v", err)
	}
	if _, v, _ := c.GetVersion(ctx, "lease.json"); v != v5 {
		t.Errorf("PutIfMaybeMine returned version %q, the object is at %q", v5, v)
	}
	if _, err := storage.PutIfMaybeMine(ctx, c, "lease.json", []byte("other"), storage.Condition{IfAbsent: true}, storage.PutOptions{}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("PutIfMaybeMine of another body: %v, want ErrPrecondition", err)
	}
}

// Writers racing from the same version: exactly one wins.
func testConditionalRace(t *testing.T, h Harness) {
	ctx := context.Background()
	c := conditional(t, h)
	v0, err := c.PutIf(ctx, "current.json", []byte("start"), storage.Condition{IfAbsent: true}, storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = c.PutIf(ctx, "current.json", fmt.Appendf(nil, "writer %d", i), storage.Condition{IfVersion: v0}, storage.PutOptions{})
		})
	}
	wg.Wait()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, storage.ErrPrecondition):
			t.Errorf("writer %d: %v, want ErrPrecondition or success", i, err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d writers won from the same version, want exactly one: %v", len(won), errs)
	}
	same(t, "the winner's content", fmt.Appendf(nil, "writer %d", won[0]), mustGet(t, c, "current.json"))
}

// clock is a settable clock for leases.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)} }

// A lease: held, refused to others naming its holder, renewed, released
// and taken again.
func testLease(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.NewPlace(t)("")
	clk := newClock()
	opts := func(holder string) storage.LeaseOptions {
		return storage.LeaseOptions{Holder: holder, TTL: time.Minute, Now: clk.Now}
	}
	first, err := storage.AcquireLease(ctx, st, "lease.json", opts("run A"))
	if err != nil {
		t.Fatalf("acquiring a free lease: %v", err)
	}
	if err := first.Err(); err != nil {
		t.Fatalf("a fresh lease: %v", err)
	}
	clk.Add(30 * time.Second)
	_, err = storage.AcquireLease(ctx, st, "lease.json", opts("run B"))
	var held *storage.HeldError
	if !errors.As(err, &held) || !errors.Is(err, storage.ErrLeaseHeld) {
		t.Fatalf("acquiring a held lease: %v, want a HeldError", err)
	}
	if held.Record.Holder != "run A" || held.URL != st.URL("lease.json") {
		t.Errorf("the HeldError names %q at %s, want run A at %s", held.Record.Holder, held.URL, st.URL("lease.json"))
	}
	if err := first.Renew(ctx); err != nil {
		t.Fatalf("renewing: %v", err)
	}
	rec, err := storage.ReadLease(ctx, st, "lease.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(time.Minute); !rec.ExpiresAt.Equal(want) || rec.Holder != "run A" {
		t.Errorf("after renewal the record says %s until %s, want run A until %s", rec.Holder, rec.ExpiresAt, want)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatalf("releasing: %v", err)
	}
	if err := first.Err(); !errors.Is(err, storage.ErrLeaseLost) {
		t.Errorf("a released lease's Err: %v, want ErrLeaseLost", err)
	}
	second, err := storage.AcquireLease(ctx, st, "lease.json", opts("run B"))
	if err != nil {
		t.Fatalf("acquiring a released lease: %v", err)
	}
	defer func() {
		if err := second.Release(ctx); err != nil {
			t.Error(err)
		}
	}()
	if rec, _ := storage.ReadLease(ctx, st, "lease.json"); rec == nil || rec.Holder != "run B" || rec.Token == "" {
		t.Errorf("the record after the second acquisition: %+v", rec)
	}
	if names := list(t, st, ""); !cmp.Equal(names, []string{"lease.json"}) {
		t.Errorf("a lease left %q in the location, want lease.json alone", names)
	}
}

// Writers racing for a free lease: exactly one gets it, the others are
// told who did.
func testLeaseRace(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.NewPlace(t)("")
	const racers = 6
	var wg sync.WaitGroup
	leases := make([]*storage.Lease, racers)
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			leases[i], errs[i] = storage.AcquireLease(ctx, st, "lease.json", storage.LeaseOptions{Holder: fmt.Sprintf("racer %d", i), TTL: time.Minute})
		})
	}
	wg.Wait()
	var winners []string
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, fmt.Sprintf("racer %d", i))
		case !errors.Is(err, storage.ErrLeaseHeld):
			t.Errorf("racer %d: %v, want the lease or ErrLeaseHeld", i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d racers hold the lease, want exactly one: %v", len(winners), errs)
	}
	for i, err := range errs {
		var held *storage.HeldError
		if errors.As(err, &held) && held.Record.Holder != winners[0] {
			t.Errorf("racer %d was told %q holds the lease, but %s does", i, held.Record.Holder, winners[0])
		}
	}
	for _, l := range leases {
		if l != nil {
			if err := l.Release(ctx); err != nil {
				t.Error(err)
			}
		}
	}
}

// A holder killed without releasing: its lease is taken over once it can
// be — at once where the lease is a file lock (the process is gone), after
// its expiry where it is a lease object — and the old holder, should it
// come back, finds it lost.
func testStaleLease(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.NewPlace(t)("")
	_, locker := st.(storage.Locker)
	clk := newClock()
	opts := func(holder string) storage.LeaseOptions {
		return storage.LeaseOptions{Holder: holder, TTL: time.Minute, Now: clk.Now}
	}
	live, err := storage.AcquireLease(ctx, st, "lease.json", opts("live"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Minute)
	taker, err := storage.AcquireLease(ctx, st, "lease.json", opts("taker"))
	if locker {
		// A live process's file lock is never taken over, expired or not.
		if !errors.Is(err, storage.ErrLeaseHeld) {
			t.Fatalf("acquiring a file lock a live holder keeps: %v, want ErrLeaseHeld", err)
		}
		live.Abandon() // the holder is killed
		if taker, err = storage.AcquireLease(ctx, st, "lease.json", opts("taker")); err != nil {
			t.Fatalf("acquiring the file lock of a killed holder: %v", err)
		}
	} else {
		if err != nil {
			t.Fatalf("acquiring an expired lease: %v", err)
		}
		if err := live.Err(); !errors.Is(err, storage.ErrLeaseLost) {
			t.Errorf("the expired holder's Err: %v, want ErrLeaseLost", err)
		}
		if err := live.Renew(ctx); !errors.Is(err, storage.ErrLeaseLost) {
			t.Errorf("the expired holder's renewal after a takeover: %v, want ErrLeaseLost", err)
		}
		if err := live.Release(ctx); err != nil {
			t.Errorf("releasing a lost lease: %v", err)
		}
	}
	if rec, _ := storage.ReadLease(ctx, st, "lease.json"); rec == nil || rec.Holder != "taker" || rec.Token == "" {
		t.Errorf("after the takeover the record is %+v, want the taker's", rec)
	}
	if err := taker.Err(); err != nil {
		t.Errorf("the taker's lease: %v", err)
	}
	// Killed with a lease object: blocked until it expires.
	taker.Abandon()
	if !locker {
		clk.Add(30 * time.Second)
		if _, err := storage.AcquireLease(ctx, st, "lease.json", opts("third")); !errors.Is(err, storage.ErrLeaseHeld) {
			t.Fatalf("acquiring an abandoned lease before it expires: %v, want ErrLeaseHeld", err)
		}
		clk.Add(time.Minute)
	}
	third, err := storage.AcquireLease(ctx, st, "lease.json", opts("third"))
	if err != nil {
		t.Fatalf("acquiring an abandoned lease that can be taken: %v", err)
	}
	if err := third.Release(ctx); err != nil {
		t.Error(err)
	}
}
