package ocilocal

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Running is a [Server] listening on a loopback port, as tests use it.
type Running struct {
	*Server
	// Endpoint is the base URL to point the SDK at, "http://127.0.0.1:PORT".
	Endpoint string

	http *http.Server
	done chan error
}

// Start creates a server with opts and serves it on a free loopback port
// until [Running.Close].
func Start(opts Options) (*Running, error) {
	return Listen("127.0.0.1:0", opts)
}

// Listen creates a server with opts and serves it on addr until
// [Running.Close].
func Listen(addr string, opts Options) (*Running, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("ocilocal: listening on %s: %w", addr, err)
	}
	r := &Running{
		Server:   s,
		Endpoint: "http://" + ln.Addr().String(),
		http:     &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second},
		done:     make(chan error, 1),
	}
	go func() { r.done <- r.http.Serve(ln) }()
	return r, nil
}

// Close stops serving, closes open connections and releases the state.
func (r *Running) Close() error {
	err := r.http.Close()
	if serr := <-r.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if cerr := r.Server.Close(); err == nil {
		err = cerr
	}
	return err
}
