// Package motoserver starts moto_server, a local emulator of AWS services,
// for integration tests: on a free loopback port, waiting until it answers,
// and stopping it by its process id.
//
// moto_server is installed with `pip install 'moto[server]'`. Where it is
// missing, [Start] skips the test with that instruction, except under
// CI=true, where a missing emulator fails the test: CI must run every test.
//
// A test binary that needs one server for many tests keeps a [Shared]:
//
//	var moto motoserver.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		moto.Stop()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		srv := moto.Get(t) // started on first use
//		...
//	}
package motoserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// InstallHint says how to install moto_server.
const InstallHint = "pip install 'moto[server]'"

// ErrNotInstalled is returned (wrapped) by [Launch] when no moto_server
// executable can be found.
var ErrNotInstalled = errors.New("moto_server is not installed (" + InstallHint + ")")

// Credentials and region that moto accepts. moto does not check signatures
// unless its authentication is enabled ([Server.EnableAuth]), but the AWS
// SDKs need some credentials to sign with.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
	Region          = "us-east-1"
)

// Options configure a server.
type Options struct {
	// Executable is the moto_server program; empty means $MOTO_SERVER, or
	// moto_server on the PATH.
	Executable string
	// Env is added to the server's environment (for example
	// "MOTO_S3_DEFAULT_MAX_KEYS=5").
	Env []string
	// StartTimeout bounds the wait for the server to answer; 0 means 60s.
	StartTimeout time.Duration
}

// Server is a running moto_server.
type Server struct {
	// URL is the server's endpoint, "http://127.0.0.1:PORT".
	URL string

	cmd     *exec.Cmd
	output  *syncBuffer
	exited  chan struct{}
	once    sync.Once
	buckets atomic.Int64 // BucketName's count
}

// BucketName returns a bucket name that no earlier call on s returned:
// prefix, a dash and a number. Tests that share a server and create a
// bucket of their own take its name from here, so that the test run again
// in the same process (go test -count=N) starts from an empty bucket
// rather than the one its previous run left.
func (s *Server) BucketName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, s.buckets.Add(1))
}

// Start starts a moto_server for the test t and stops it when t ends. If
// moto_server is not installed it skips t with [InstallHint], or fails t
// under CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Launch(context.Background(), opts)
	if err != nil {
		Require(t, err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Require ends the test t when err, from [Launch], is not nil: a skip when
// moto_server is not installed and CI is not set, a failure otherwise.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v; install it with: %s", err, InstallHint)
	}
	t.Fatalf("moto_server: %v", err)
}

// Launch starts a moto_server on a free loopback port and waits until it
// answers. The caller must [Server.Stop] it.
func Launch(ctx context.Context, opts Options) (*Server, error) {
	exe := opts.Executable
	if exe == "" {
		exe = os.Getenv("MOTO_SERVER")
	}
	if exe == "" {
		exe = "moto_server"
	}
	path, err := exec.LookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("looking for %s: %w: %w", exe, ErrNotInstalled, err)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	return launch(ctx, path, opts.Env, timeout)
}

func launch(ctx context.Context, path string, env []string, timeout time.Duration) (*Server, error) {
	s := &Server{output: &syncBuffer{}, exited: make(chan struct{})}
	// Not exec.CommandContext: the server must outlive ctx, which only
	// bounds the start. Port 0: moto binds a free port itself and says
	// which, so no other process can take it between a probe and the bind.
	s.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	s.cmd.Env = serverEnv(env)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	// Its own process group, so that Stop also ends anything it started.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, timeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// runningOn is how moto_server (werkzeug) says where it listens.
var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)

// waitReady waits for the server to say where it listens, then polls it
// until it answers, it exits, or time runs out.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.URL == "" {
			if m := runningOn.FindStringSubmatch(s.Output()); m != nil {
				s.URL = m[1]
			}
		}
		if s.URL != "" {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
			if err != nil {
				return err
			}
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before answering: %s", s.Output())
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer within %s: %w\n%s", timeout, ctx.Err(), s.Output())
		case <-tick.C:
		}
	}
}

// PID returns the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Output returns what the server printed so far.
func (s *Server) Output() string { return s.output.String() }

// Stop kills the server with SIGKILL (moto_server ignores SIGTERM), by its
// process id and its process group, and waits for it to exit. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		pid := s.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGKILL) // the group it leads
		_ = s.cmd.Process.Kill()                // SIGKILL by PID
		<-s.exited
	})
}

// Reset forgets every resource the server holds (moto's /moto-api/reset).
func (s *Server) Reset(ctx context.Context) error {
	return s.post(ctx, "/moto-api/reset", "")
}

// EnableAuth makes the server check credentials, signatures and IAM
// policies on every request after the next n (moto's
// /moto-api/reset-auth). Create the IAM users and keys a test needs within
// those n requests. It applies to the whole server: tests that use it
// should start a server of their own.
func (s *Server) EnableAuth(ctx context.Context, n int) error {
	return s.post(ctx, "/moto-api/reset-auth", strconv.Itoa(n))
}

func (s *Server) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto_server %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto_server %s: %s", path, resp.Status)
	}
	return nil
}

// Env returns environment variables that point the AWS SDKs' default
// credential chain at moto's fake credentials and region, and away from
// the user's own configuration files and the instance metadata service.
// They do not depend on the server, so TestMain can set them first; see
// also [SetEnv].
func Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + Region,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// unsetEnv are the variables that would steer the SDKs' credential chain
// elsewhere than [Env] says.
var unsetEnv = []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"}

// SetEnv sets the variables of [Env] in the process environment and
// unsets those that would override them (AWS_PROFILE, AWS_SESSION_TOKEN,
// ...). It is meant for TestMain, before any test runs; tests of their own
// can use t.Setenv with [Env] instead.
func SetEnv() {
	for _, k := range unsetEnv {
		os.Unsetenv(k)
	}
	for _, kv := range Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}

// serverEnv is the server's environment: the process's, without what
// would make moto's own botocore look for a profile, plus extra.
func serverEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "AWS_PROFILE" || k == "AWS_DEFAULT_PROFILE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// Shared is one server shared by the tests of a test binary, started by
// the first [Shared.Get] and stopped by [Shared.Stop] (from TestMain). The
// zero value is ready to use.
type Shared struct {
	// Options configure the server when it starts.
	Options Options

	mu  sync.Mutex
	srv *Server
	err error
}

// Get returns the shared server, starting it on first use. Like [Start],
// it skips or fails t when the server cannot run.
func (sh *Shared) Get(t testing.TB) *Server {
	t.Helper()
	sh.mu.Lock()
	if sh.srv == nil && sh.err == nil {
		sh.srv, sh.err = Launch(context.Background(), sh.Options)
	}
	srv, err := sh.srv, sh.err
	sh.mu.Unlock()
	Require(t, err)
	return srv
}

// Stop stops the server if it was started.
func (sh *Shared) Stop() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.srv != nil {
		sh.srv.Stop()
	}
}

// syncBuffer collects a process's output for error messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 64<<10 { // keep the start, where errors are
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
