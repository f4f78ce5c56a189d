package inventory

import (
	"context"
	"fmt"
	"io"
)

// Prefetch returns a Listing of the pages produce makes, listed in a
// goroutine of its own one page ahead of the caller: while the caller works
// on one page, produce fetches the next and waits to hand it over. produce
// passes each page to emit, in key order, and stops when emit returns false
// (the listing was closed or ctx ended); it returns nil at the end of the
// listing, or its error. Errors from ctx are wrapped with what ("listing
// [a, b) of store"), unless what is empty.
func Prefetch(ctx context.Context, what string, produce func(ctx context.Context, emit func([]Fingerprint) bool) error) Listing {
	ctx, cancel := context.WithCancel(ctx)
	l := &prefetched{ctx: ctx, cancel: cancel, pages: make(chan prefetchedPage), done: make(chan struct{}), what: what}
	go func() {
		defer close(l.done)
		defer close(l.pages)
		err := produce(ctx, func(fps []Fingerprint) bool {
			select {
			case l.pages <- prefetchedPage{fps: fps}:
				return true
			case <-ctx.Done():
				return false
			}
		})
		if err != nil {
			select {
			case l.pages <- prefetchedPage{err: err}:
			case <-ctx.Done():
			}
		}
	}()
	return l
}

type prefetchedPage struct {
	fps []Fingerprint
	err error
}

// prefetched hands out the pages a goroutine produces. The channel is
// unbuffered, so the goroutine is one page ahead and no more.
type prefetched struct {
	ctx    context.Context
	cancel context.CancelFunc
	pages  chan prefetchedPage
	done   chan struct{}
	what   string
	err    error // sticky
	closed bool
}

func (l *prefetched) wrap(err error) error {
	if l.what == "" {
		return err
	}
	return fmt.Errorf("%s: %w", l.what, err)
}

// NextPage implements Listing.
func (l *prefetched) NextPage() ([]Fingerprint, error) {
	if l.closed {
		return nil, l.wrap(fmt.Errorf("the listing is closed"))
	}
	if l.err != nil {
		return nil, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = l.wrap(err)
		return nil, l.err
	}
	select {
	case p, ok := <-l.pages:
		switch {
		case !ok:
			if err := l.ctx.Err(); err != nil {
				l.err = l.wrap(err)
				return nil, l.err
			}
			l.err = io.EOF
			return nil, io.EOF
		case p.err != nil:
			l.err = p.err
			return nil, p.err
		}
		return p.fps, nil
	case <-l.ctx.Done():
		l.err = l.wrap(l.ctx.Err())
		return nil, l.err
	}
}

// Close implements Listing: it stops the goroutine and waits for it.
func (l *prefetched) Close() error {
	if !l.closed {
		l.closed = true
		l.cancel()
		<-l.done
	}
	return nil
}
