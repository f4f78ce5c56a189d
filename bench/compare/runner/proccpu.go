package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: clock ticks of
// 1/100 s, which Linux reports on every architecture whatever the
// kernel's own tick rate (USER_HZ).
const userHZ = 100

// processCPU returns the CPU time, user and system, in seconds, that the
// process pid has used so far, all of its threads together. It measures
// the server and the proxy, which run for the whole benchmark, around each
// tool run.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	s, err := parseStatCPU(string(b))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	return s, nil
}

// parseStatCPU returns utime + stime, in seconds, from the contents of
// /proc/PID/stat (proc(5)). The command name, field 2, is in parentheses
// and may itself hold spaces and parentheses, so fields are counted from
// the last ')'.
func parseStatCPU(stat string) (float64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	// After the name come field 3 (state) onwards; utime and stime are
	// fields 14 and 15.
	f := strings.Fields(stat[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("%d fields after the command name, want at least %d", len(f), stime+1)
	}
	var ticks int64
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("field %d is %q, not a count of clock ticks", i+3, f[i])
		}
		ticks += n
	}
	return float64(ticks) / userHZ, nil
}
