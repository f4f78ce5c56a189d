package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Usage is what one run of a tool cost, from the kernel's accounting of the
// child process (wait4's rusage): it counts the tool alone, not the server
// or the proxy.
type Usage struct {
	WallS     float64 `json:"wall_s"`
	UserS     float64 `json:"user_s"`
	SysS      float64 `json:"sys_s"`
	MaxRSSKiB int64   `json:"max_rss_kib"`
	Exit      int     `json:"exit"`
}

// CPUS is the CPU time, user and system, in seconds.
func (u Usage) CPUS() float64 { return u.UserS + u.SysS }

// measure runs argv with its output in logFile and returns what it cost.
// An exit status other than 0 or 1 (both tools' "differences found") is an
// error.
func measure(ctx context.Context, argv []string, env []string, logFile string) (Usage, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return Usage{}, fmt.Errorf("creating %s: %w", logFile, err)
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	werr := cmd.Wait()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return Usage{}, fmt.Errorf("running %s: %w", strings.Join(argv, " "), werr)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}, fmt.Errorf("running %s: no resource usage from the kernel", argv[0])
	}
	u := Usage{
		WallS:     wall.Seconds(),
		UserS:     time.Duration(ru.Utime.Nano()).Seconds(),
		SysS:      time.Duration(ru.Stime.Nano()).Seconds(),
		MaxRSSKiB: ru.Maxrss, // KiB on Linux
		Exit:      cmd.ProcessState.ExitCode(),
	}
	if ctx.Err() != nil {
		return u, fmt.Errorf("running %s: %w", argv[0], ctx.Err())
	}
	if u.Exit != 0 && u.Exit != 1 {
		return u, fmt.Errorf("%s exited with status %d; its output:\n%s", strings.Join(argv, " "), u.Exit, tail(logFile, 30))
	}
	return u, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ProxyStats are latencyproxy's request counts (its Stats type).
type ProxyStats struct {
	Requests int64 `json:"requests"`
	List     int64 `json:"list"`
	Get      int64 `json:"get"`
	Head     int64 `json:"head"`
	Put      int64 `json:"put"`
	Other    int64 `json:"other"`
}

func (s ProxyStats) minus(o ProxyStats) ProxyStats {
	return ProxyStats{s.Requests - o.Requests, s.List - o.List, s.Get - o.Get, s.Head - o.Head, s.Put - o.Put, s.Other - o.Other}
}

// proxyStats reads the proxy's counts.
func proxyStats(ctx context.Context, proxy string) (ProxyStats, error) {
	var s ProxyStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(proxy, "/")+"/.latencyproxy/stats", nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("reading the proxy's request counts: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("decoding the proxy's request counts: %w", err)
	}
	return s, nil
}

// addedDelay measures what the proxy adds to a request: the median time of
// n anonymous GETs of the service root through the proxy, less the median
// straight to the server (the server refuses them at once either way).
func addedDelay(ctx context.Context, proxy, direct string, n int) (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	median := func(u string) (time.Duration, error) {
		var ds []time.Duration
		for range n {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return 0, err
			}
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return 0, fmt.Errorf("calibrating against %s: %w", u, err)
			}
			resp.Body.Close()
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	d, err := median(direct + "/")
	if err != nil {
		return 0, err
	}
	p, err := median(proxy + "/")
	if err != nil {
		return 0, err
	}
	return p - d, nil
}

// load1 returns the one-minute load average, or -1.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
