package report

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// inOrder gives results in the items' order whatever order work ends
// in, runs at most ahead works at once, and, stopped by use, returns
// once every work it started has returned, having started none far past
// the item it stopped at.
func TestInOrder(t *testing.T) {
	const n = 60
	for _, ahead := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(ahead, " ahead"), func(t *testing.T) {
			for _, stopAt := range []int{-1, 0, 10} {
				var running, most, started atomic.Int64
				work := func(ctx context.Context, i int) int {
					started.Add(1)
					r := running.Add(1)
					defer running.Add(-1)
					for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
					}
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
					return i * i
				}
				var got []int
				errStop := errors.New("stop")
				err := inOrder(context.Background(), n, ahead, work, func(i, r int) error {
					if i == stopAt {
						return errStop
					}
					if r != i*i {
						t.Errorf("item %d gave %d", i, r)
					}
					got = append(got, i)
					return nil
				})
				want := []int{}
				last := n
				if stopAt >= 0 {
					last = stopAt
				}
				for i := range last {
					want = append(want, i)
				}
				if diff := cmp.Diff(want, append([]int{}, got...)); diff != "" {
					t.Errorf("stopping at %d: the items used (-want +got):\n%s", stopAt, diff)
				}
				if stopAt >= 0 && !errors.Is(err, errStop) || stopAt < 0 && err != nil {
					t.Errorf("stopping at %d: inOrder returned %v", stopAt, err)
				}
				if r := running.Load(); r != 0 {
					t.Errorf("stopping at %d: %d works still running after inOrder returned", stopAt, r)
				}
				if m := most.Load(); m > int64(ahead) {
					t.Errorf("stopping at %d: %d works ran at once, more than %d", stopAt, m, ahead)
				}
				if s := started.Load(); stopAt >= 0 && s > int64(stopAt+1+ahead) {
					t.Errorf("stopping at %d: %d works started, more than %d", stopAt, s, stopAt+1+ahead)
				}
			}
		})
	}
}
