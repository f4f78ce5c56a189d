package report

import (
	"context"
	"sync"
)

// inOrder calls work for items 0 to n-1, up to ahead at once, and use
// with each result in the items' order, from the calling goroutine. work
// for item i starts only once fewer than ahead items after the one being
// used are pending, so at most ahead+1 results are held. use's first error
// cancels the context work is given, and is returned once every work
// started has returned.
func inOrder[R any](ctx context.Context, n, ahead int, work func(ctx context.Context, i int) R, use func(i int, r R) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ahead = max(ahead, 1)
	var running sync.WaitGroup
	defer running.Wait()
	pending := make([]chan R, 0, ahead+1) // the results to come, in order
	next := 0
	start := func() {
		c := make(chan R, 1)
		i := next
		next++
		running.Add(1)
		go func() {
			defer running.Done()
			c <- work(ctx, i)
		}()
		pending = append(pending, c)
	}
	for next < n && len(pending) < ahead {
		start()
	}
	for i := 0; len(pending) > 0; i++ {
		r := <-pending[0]
		pending = pending[1:]
		if next < n {
			start()
		}
		if err := use(i, r); err != nil {
			cancel()
			return err
		}
	}
	return nil
}
