package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// walkSerially is what walkExceptions does, one file at a time: the
// manifest's shards in order, each exception file read to its end before
// the next is opened.
func walkSerially(ctx context.Context, st *state.State, runID string, fn func(*Exception) error) (string, error) {
	return st.WalkManifest(ctx, state.ManifestName(runID), func(pair string, sh *ledger.ManifestShard) error {
		if sh.Tally != nil && sh.Tally.Exceptions() == 0 {
			return nil
		}
		return eachShardException(ctx, st, runID, pair, sh, nil, fn)
	})
}

// walked is what a walk gave: the exceptions, in the order given, and how
// it ended.
type walked struct {
	Exceptions []Exception
	Digest     string
	Err        string
}

func walk(t *testing.T, run func(fn func(*Exception) error) (string, error), stopAt int) walked {
	t.Helper()
	var w walked
	d, err := run(func(x *Exception) error {
		if len(w.Exceptions) == stopAt {
			return errStopHere
		}
		w.Exceptions = append(w.Exceptions, *x)
		return nil
	})
	w.Digest = d
	if err != nil {
		w.Err = err.Error()
	}
	return w
}

var errStopHere = errors.New("stop here")

// mostlyMissing has two keys in three missing from the target, and every
// 97th deleted from the legacy store without being proven: exception
// files of more than one batch each.
func mostlyMissing(i int) (legacy, target bool) { return i%97 != 5, i%3 == 0 }

// Reading exception files ahead gives the exceptions a one-file-at-a-time
// walk gives, in the same order, and stops where it stops: when the
// caller fails at an exception (at the first, on a batch's edge, at the
// last), and at a damaged file, whose exceptions
// before the damage are given, as they are serially, and none after.
func TestWalkExceptionsIsTheSerialWalk(t *testing.T) {
	ctx := context.Background()
	b := newRunOf(t, 12_000, mostlyMissing, runAll(t))
	files, _ := exceptionFiles(t, b.st, b.runID)
	serial := walk(t, func(fn func(*Exception) error) (string, error) { return walkSerially(ctx, b.st, b.runID, fn) }, -1)
	if len(files) < 10 || len(serial.Exceptions) < 10*exceptionBatch || serial.Err != "" {
		t.Fatalf("the run has %d exception files and %d exceptions (%s); the test needs more", len(files), len(serial.Exceptions), serial.Err)
	}
	all := len(serial.Exceptions)
	check := func(t *testing.T, stopAt int) {
		t.Helper()
		want := walk(t, func(fn func(*Exception) error) (string, error) { return walkSerially(ctx, b.st, b.runID, fn) }, stopAt)
		for _, readers := range []int{1, 4} {
			got := walk(t, func(fn func(*Exception) error) (string, error) {
				return walkExceptions(ctx, b.st, b.runID, state.ManifestName(b.runID), readers, fn)
			}, stopAt)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%d readers, stopping at exception %d (-serial +ahead):\n%s", readers, stopAt, diff)
			}
		}
	}
	for _, stopAt := range []int{-1, 0, exceptionBatch, all - 1} {
		check(t, stopAt)
	}

	// A damaged exception file, the third: serially, its entries are given
	// up to the damage, and the walk stops there.
	name := files[2]
	damage(t, b.dir, name)
	damaged := walk(t, func(fn func(*Exception) error) (string, error) { return walkSerially(ctx, b.st, b.runID, fn) }, -1)
	if !strings.Contains(damaged.Err, name) || len(damaged.Exceptions) >= all {
		t.Fatalf("the serial walk over a damaged %s: %d of %d exceptions, %q", name, len(damaged.Exceptions), all, damaged.Err)
	}
	check(t, -1)
	check(t, len(damaged.Exceptions)/2)
}

// While the exception being written waits, readers run ahead by at most
// readers files: the current file's, readers-1 waiting their turn, and the
// one the walk holds until a turn frees.
func TestWalkExceptionsReadsABoundedWayAhead(t *testing.T) {
	ctx := context.Background()
	b := newBigRun(t, 20_000, runAll(t))
	files, _ := exceptionFiles(t, b.st, b.runID)
	for _, readers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(readers, " readers"), func(t *testing.T) {
			if len(files) < readers+3 {
				t.Fatalf("the run has %d exception files; the test needs more", len(files))
			}
			reads := &getCounter{Store: b.dir, counts: map[string]int{}}
			read := func() int {
				reads.mu.Lock()
				defer reads.mu.Unlock()
				n := 0
				for _, f := range files {
					n += reads.counts[f]
				}
				return n
			}
			var atFirst int
			first := true
			_, err := walkExceptions(ctx, state.New(reads), b.runID, state.ManifestName(b.runID), readers, func(*Exception) error {
				if !first {
					return errStopHere
				}
				first = false
				// Wait for the reads ahead to start, then a little longer
				// for any that should not.
				for deadline := time.Now().Add(5 * time.Second); read() < readers+1 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(100 * time.Millisecond)
				atFirst = read()
				return nil
			})
			if !errors.Is(err, errStopHere) {
				t.Fatalf("the walk ended with %v", err)
			}
			if atFirst != readers+1 {
				t.Errorf("with %d readers, %d exception files were read while the first exception waited, want %d", readers, atFirst, readers+1)
			}
		})
	}
}

// A walk cancelled by its caller ends with the cancellation, once every
// reader it started has ended.
func TestWalkExceptionsCancelled(t *testing.T) {
	b := newBigRun(t, 5_000, runAll(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	n := 0
	_, err := walkExceptions(ctx, b.st, b.runID, state.ManifestName(b.runID), 4, func(*Exception) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled walk ended with %v", err)
	}
}
