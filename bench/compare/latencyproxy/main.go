// Command latencyproxy is a loopback HTTP proxy that holds every request for
// a fixed delay before forwarding it to one upstream, to stand in for the
// round trip to a distant object store. It keeps the Host header the client
// sent, so AWS SigV4 signatures made for the proxy's address verify at the
// upstream. GET /.latencyproxy/stats answers the request counts so far.
//
//	latencyproxy -upstream http://127.0.0.1:7070 -delay 50ms -addr-file FILE
//
// bench/compare/run.sh puts it between versitygw and the tools it compares.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var (
		listen   = flag.String("listen", "127.0.0.1:0", "address to listen on")
		upstream = flag.String("upstream", "", "URL of the server to forward to (required)")
		delay    = flag.Duration("delay", 0, "time to hold each request before forwarding it")
		addrFile = flag.String("addr-file", "", "write the proxy's URL to this file once it listens")
	)
	flag.Parse()
	if err := run(*listen, *upstream, *delay, *addrFile); err != nil {
		fmt.Fprintln(os.Stderr, "latencyproxy:", err)
		os.Exit(1)
	}
}

func run(listen, upstream string, delay time.Duration, addrFile string) error {
	if upstream == "" {
		return errors.New("-upstream is required")
	}
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-upstream %q is not an http(s) URL", upstream)
	}
	if delay < 0 {
		return fmt.Errorf("-delay %v is negative", delay)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	srv := &http.Server{
		Handler:           newProxy(u, delay, errorLog),
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          errorLog,
	}
	self := "http://" + ln.Addr().String()
	if addrFile != "" {
		if err := writeAtomically(addrFile, self+"\n"); err != nil {
			return err
		}
	}
	logger.Info("forwarding", "listen", self, "upstream", upstream, "delay", delay)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", self, err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// writeAtomically writes s to path through a temporary file, so that a
// reader polling for path never sees it half written.
func writeAtomically(path, s string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
	}
	return nil
}
