package ocilocal

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Faults makes the server misbehave on purpose, for tests and benchmarks of
// retries and error handling. Each request draws independently: first the
// added latency, then a connection reset with probability ResetRate, then an
// error status with probabilities Rate429, Rate500 and Rate503 (which must
// add up to at most 1). Faults are injected before the signature check, like
// a throttling front end.
type Faults struct {
	Rate429   float64
	Rate500   float64
	Rate503   float64
	ResetRate float64
	// Latency is added to every request the faults apply to.
	Latency time.Duration
	// Operations limits the faults to the named operations ("ListObjects",
	// "GetObject", ...; see [Operations]); empty means every operation.
	Operations []string
	// Seed seeds the draws so that a run can be repeated; 0 seeds at random.
	Seed uint64
}

// FaultStats counts the faults injected since the server started.
type FaultStats struct {
	TooManyRequests    int64 // 429 answers
	InternalError      int64 // 500 answers
	ServiceUnavailable int64 // 503 answers
	Resets             int64 // connections reset
	Delayed            int64 // requests delayed by Latency
}

// faultInjector holds the current Faults and their random source.
type faultInjector struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand

	tooMany, internal, unavailable, resets, delayed atomic.Int64
}

func (f *faultInjector) set(faults Faults) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = faults
	seed := faults.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	f.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// fault is what one request gets.
type fault struct {
	latency time.Duration
	reset   bool
	status  int
}

func (f *faultInjector) draw(op string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	fs := f.faults
	if len(fs.Operations) > 0 && !slices.Contains(fs.Operations, op) {
		return fault{}
	}
	out := fault{latency: fs.Latency}
	if fs.ResetRate > 0 && f.rng.Float64() < fs.ResetRate {
		out.reset = true
		return out
	}
	if fs.Rate429+fs.Rate500+fs.Rate503 > 0 {
		u := f.rng.Float64()
		switch {
		case u < fs.Rate429:
			out.status = http.StatusTooManyRequests
		case u < fs.Rate429+fs.Rate500:
			out.status = http.StatusInternalServerError
		case u < fs.Rate429+fs.Rate500+fs.Rate503:
			out.status = http.StatusServiceUnavailable
		}
	}
	return out
}

func (f *faultInjector) stats() FaultStats {
	return FaultStats{
		TooManyRequests:    f.tooMany.Load(),
		InternalError:      f.internal.Load(),
		ServiceUnavailable: f.unavailable.Load(),
		Resets:             f.resets.Load(),
		Delayed:            f.delayed.Load(),
	}
}

// inject applies the fault to the request. It reports whether the request
// was answered (or its connection dropped) and must go no further.
func (s *Server) inject(ctx context.Context, w http.ResponseWriter, op string) bool {
	f := s.faults.draw(op)
	if f.latency > 0 {
		s.faults.delayed.Add(1)
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return true
		}
	}
	if f.reset {
		s.faults.resets.Add(1)
		resetConnection(w)
		return true
	}
	switch f.status {
	case http.StatusTooManyRequests:
		s.faults.tooMany.Add(1)
		writeError(w, nil, &apiError{status: f.status, code: "TooManyRequests", msg: "Injected fault: too many requests."})
	case http.StatusInternalServerError:
		s.faults.internal.Add(1)
		writeError(w, nil, &apiError{status: f.status, code: "InternalServerError", msg: "Injected fault: internal server error."})
	case http.StatusServiceUnavailable:
		s.faults.unavailable.Add(1)
		writeError(w, nil, &apiError{status: f.status, code: "ServiceUnavailable", msg: "Injected fault: service unavailable."})
	default:
		return false
	}
	return true
}

// resetConnection drops the client's connection with a TCP reset (SO_LINGER
// 0), without an HTTP answer.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	conn.Close()
}
