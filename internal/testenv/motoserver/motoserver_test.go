package motoserver_test

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/internal/testenv/motoserver"
)

func TestLaunchMissingExecutable(t *testing.T) {
	_, err := motoserver.Launch(context.Background(), motoserver.Options{Executable: "/nonexistent/moto_server"})
	if !errors.Is(err, motoserver.ErrNotInstalled) {
		t.Errorf("got %v, want an error wrapping ErrNotInstalled", err)
	}
}

func TestStartAnswersAndStopKills(t *testing.T) {
	srv := motoserver.Start(t, motoserver.Options{})
	resp, err := http.Get(srv.URL + "/moto-api/")
	if err != nil {
		t.Fatalf("the started server does not answer: %v", err)
	}
	resp.Body.Close()
	if err := srv.Reset(context.Background()); err != nil {
		t.Errorf("reset: %v", err)
	}
	pid := srv.PID()
	srv.Stop()
	srv.Stop() // twice is harmless
	// Stop waited for the process: its PID is gone (signal 0 probes).
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after Stop: kill(0) = %v", pid, err)
	}
	if _, err := http.Get(srv.URL + "/moto-api/"); err == nil {
		t.Error("the server still answers after Stop")
	}
}

// BucketName never repeats a name on one server, so a test run again in
// the same process gets a bucket of its own.
func TestBucketNameIsNewOnEveryCall(t *testing.T) {
	var s motoserver.Server
	got := []string{s.BucketName("pp-a"), s.BucketName("pp-a"), s.BucketName("pp-b")}
	if diff := cmp.Diff([]string{"pp-a-1", "pp-a-2", "pp-b-3"}, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}
