package main

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       float64
		wantErr    bool
	}{
		{
			name: "versitygw",
			stat: "4242 (versitygw) S 1 4242 4242 0 -1 4194560 20413 0 0 0 853 44 0 0 20 0 9 0 1234 1500000000 9000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			want: 8.97,
		},
		{
			name: "a name with spaces and parentheses",
			stat: "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 150 50 0 0 20 0 1 0 1 1 1\n",
			want: 2,
		},
		{name: "no name", stat: "7 a R 1", wantErr: true},
		{name: "cut short", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 150", wantErr: true},
		{name: "not a number", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 50 0", wantErr: true},
		{name: "negative", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -1 50 0", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.stat)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseStatCPU: error %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseStatCPU (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProcessCPUCountsThisProcess checks processCPU on this process: it
// spins until processCPU reports CPU time, which a broken reading never
// does.
func TestProcessCPUCountsThisProcess(t *testing.T) {
	deadline := time.Now().Add(5 * time.Second)
	spin := 0
	for {
		got, err := processCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if got > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processCPU(self) = %v s after 5 s of spinning, want more than 0", got)
		}
		for i := range 10_000_000 {
			spin ^= i
		}
	}
	_ = spin
	if _, err := processCPU(-1); err == nil {
		t.Error("processCPU(-1): no error")
	}
}

// TestSideCPUMeasuresOnlyWhatItIsGiven checks that a process id of 0
// leaves its figure unmeasured (nil, shown as – in the tables) rather than
// 0, and that a process that does not exist is an error.
func TestSideCPUMeasuresOnlyWhatItIsGiven(t *testing.T) {
	before, err := sideCPU(options{serverPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	after, err := sideCPU(options{serverPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	server, proxy := after.minus(before)
	if server == nil || *server < 0 {
		t.Errorf("server CPU = %v, want a measured figure of at least 0", server)
	}
	if proxy != nil {
		t.Errorf("proxy CPU = %v, want nil (not measured)", *proxy)
	}
	if _, err := sideCPU(options{proxyPID: -1}); err == nil {
		t.Error("sideCPU with a process that does not exist: no error")
	}
}
