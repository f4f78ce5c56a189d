// Package versitygw starts versitygw, the Versity S3 gateway, for
// integration tests that need an S3 server which checks request
// signatures: on a free loopback port, over a posix backend in a temporary
// folder, with a root key pair of the caller's choosing, optionally over
// HTTPS with a certificate issued by a private certificate authority the
// package generates, and stopped by SIGKILL.
//
// versitygw is installed with [InstallHint]. [Find] looks for it in
// $VERSITYGW, then in the cache folder that command installs into, then
// on the PATH. Where it is missing, [Start] skips the test with that
// instruction, except under CI=true, where a missing server fails the
// test: CI must run every test.
package versitygw

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/buildinfo"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the versitygw release the tests are written against.
const Version = "v1.8.0"

// InstallHint says how to install versitygw where [Find] looks first.
const InstallHint = "GOBIN=${XDG_CACHE_HOME:-$HOME/.cache}/parityproof/bin go install github.com/versity/versitygw/cmd/versitygw@" + Version

// ErrNotInstalled is returned (wrapped) by [Launch] when no versitygw
// executable of the right version can be found.
var ErrNotInstalled = errors.New("versitygw " + Version + " is not installed (" + InstallHint + ")")

// Defaults of [Options].
const (
	DefaultAccessKey = "versitygw-root"
	DefaultSecretKey = "versitygw-root-secret"
	DefaultRegion    = "us-east-1"
)

// Options configure a server.
type Options struct {
	// Executable is the versitygw program; empty means [Find]'s.
	Executable string
	// AccessKey and SecretKey are the root user's key pair; empty means
	// [DefaultAccessKey] and [DefaultSecretKey].
	AccessKey, SecretKey string
	// Region is the region the server signs for; empty means
	// [DefaultRegion].
	Region string
	// TLS serves HTTPS with a certificate for 127.0.0.1 and localhost,
	// issued by a certificate authority generated for this server.
	TLS bool
	// Versioning lets buckets be versioned (posix --versioning-dir).
	Versioning bool
	// Dir holds the server's buckets, metadata and certificates; empty
	// means a temporary folder ([Start]: the test's; [Launch]: one removed
	// by [Server.Stop]).
	Dir string
	// StartTimeout bounds the wait for the server to answer; 0 means 30s.
	StartTimeout time.Duration
}

// Server is a running versitygw.
type Server struct {
	// URL is the server's endpoint, "http://127.0.0.1:PORT" or
	// "https://127.0.0.1:PORT".
	URL string
	// AccessKey, SecretKey and Region are what the server accepts.
	AccessKey, SecretKey, Region string
	// CAFile is the PEM file of the certificate authority that issued the
	// server's certificate (a store's ca_bundle), empty without TLS.
	CAFile string
	// Dir holds the server's buckets (Dir/buckets), metadata and
	// certificates.
	Dir string

	caPool *x509.CertPool
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
	ownDir bool
	once   sync.Once
}

// Start starts a versitygw for the test t and stops it when t ends. If
// versitygw is not installed it skips t with [InstallHint], or fails t
// under CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := Launch(context.Background(), opts)
	Require(t, err)
	t.Cleanup(s.Stop)
	return s
}

// Require ends the test t when err, from [Launch], is not nil: a skip when
// versitygw is not installed and CI is not set, a failure otherwise.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v; install it with: %s", err, InstallHint)
	}
	t.Fatalf("versitygw: %v", err)
}

// Find returns the versitygw executable to run: $VERSITYGW if set, else
// the one [InstallHint] installs, else versitygw on the PATH. An
// executable whose build information names another version than
// [Version] is refused.
func Find() (string, error) {
	var candidates []string
	if env := os.Getenv("VERSITYGW"); env != "" {
		candidates = append(candidates, env)
	} else {
		if cache, err := os.UserCacheDir(); err == nil {
			candidates = append(candidates, filepath.Join(cache, "parityproof", "bin", "versitygw"))
		}
		candidates = append(candidates, "versitygw")
	}
	var tried []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		if err := checkVersion(path); err != nil {
			return "", err
		}
		return path, nil
	}
	return "", fmt.Errorf("looking for %s: %w", strings.Join(tried, ", "), ErrNotInstalled)
}

// checkVersion refuses a go-installed versitygw of another version. A
// binary built from a checkout says "(devel)" and is accepted.
func checkVersion(path string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil // not a Go binary we can read: let it try
	}
	if v := info.Main.Version; v != "" && v != "(devel)" && v != Version {
		return fmt.Errorf("%s is versitygw %s: %w", path, v, ErrNotInstalled)
	}
	return nil
}

// Launch starts a versitygw on a free loopback port and waits until it
// answers. The caller must [Server.Stop] it.
func Launch(ctx context.Context, opts Options) (*Server, error) {
	exe := opts.Executable
	if exe == "" {
		var err error
		if exe, err = Find(); err != nil {
			return nil, err
		}
	} else {
		path, err := exec.LookPath(exe)
		if err != nil {
			return nil, fmt.Errorf("looking for %s: %w: %w", exe, ErrNotInstalled, err)
		}
		exe = path
	}
	s := &Server{
		AccessKey: opts.AccessKey, SecretKey: opts.SecretKey, Region: opts.Region, Dir: opts.Dir,
		output: &syncBuffer{}, exited: make(chan struct{}),
	}
	if s.AccessKey == "" {
		s.AccessKey = DefaultAccessKey
	}
	if s.SecretKey == "" {
		s.SecretKey = DefaultSecretKey
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "versitygw-*")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownDir = dir, true
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := s.start(ctx, exe, opts, timeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, exe string, opts Options, timeout time.Duration) error {
	buckets, meta := filepath.Join(s.Dir, "buckets"), filepath.Join(s.Dir, "meta")
	for _, d := range []string{buckets, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Port 0 where the kernel can say which port the server bound (Linux's
	// /proc): no other process can take it between a probe and the bind.
	port := "0"
	if runtime.GOOS != "linux" {
		p, err := freePort()
		if err != nil {
			return err
		}
		port = strconv.Itoa(p)
	}
	args := []string{
		"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", "127.0.0.1:" + port, "--quiet",
	}
	scheme := "http"
	if opts.TLS {
		cert, key, err := s.issueCertificates()
		if err != nil {
			return fmt.Errorf("issuing the server's certificate: %w", err)
		}
		args = append(args, "--cert", cert, "--key", key)
		scheme = "https"
	}
	// Metadata in a sidecar folder: temporary folders may not take the
	// extended attributes posix stores it in by default.
	args = append(args, "posix", "--sidecar", meta)
	if opts.Versioning {
		versions := filepath.Join(s.Dir, "versions")
		if err := os.MkdirAll(versions, 0o755); err != nil {
			return err
		}
		args = append(args, "--versioning-dir", versions)
	}
	args = append(args, buckets)

	// Not exec.CommandContext: the server must outlive ctx, which only
	// bounds the start.
	s.cmd = exec.Command(exe, args...)
	s.cmd.Env = serverEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	// Its own process group, so that Stop also ends anything it started.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", exe, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	return s.waitReady(ctx, scheme, port, timeout)
}

// waitReady waits until the server listens, then polls it until it
// answers as versitygw, it exits, or time runs out.
func (s *Server) waitReady(ctx context.Context, scheme, port string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := s.HTTPClient()
	client.Timeout = 2 * time.Second
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if port == "0" {
			if p, err := listeningPort(s.cmd.Process.Pid); err == nil && p != 0 {
				port = strconv.Itoa(p)
			}
		}
		if port != "0" {
			s.URL = scheme + "://127.0.0.1:" + port
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/", nil)
			if err != nil {
				return err
			}
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				if resp.Header.Get("Server") == "VERSITYGW" {
					return nil
				}
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("versitygw exited before answering: %s", s.Output())
		case <-ctx.Done():
			return fmt.Errorf("versitygw did not answer within %s: %w\n%s", timeout, ctx.Err(), s.Output())
		case <-tick.C:
		}
	}
}

// HTTPClient returns an HTTP client for the server: for HTTPS, one that
// trusts the server's certificate authority and nothing else. Give it to
// S3 clients through s3.Options.HTTPClient.
func (s *Server) HTTPClient() *http.Client {
	if s.caPool == nil {
		return &http.Client{Transport: &http.Transport{}}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12}}}
}

// PID returns the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Output returns what the server printed so far.
func (s *Server) Output() string { return s.output.String() }

// Stop kills the server with SIGKILL, by its process id and its process
// group, waits for it to exit, and removes its folder if [Launch] made it.
// It is safe to call more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			pid := s.cmd.Process.Pid
			_ = syscall.Kill(-pid, syscall.SIGKILL) // the group it leads
			_ = s.cmd.Process.Kill()                // SIGKILL by PID
			<-s.exited
		}
		if s.ownDir {
			os.RemoveAll(s.Dir)
		}
	})
}

// issueCertificates generates a certificate authority and a server
// certificate for 127.0.0.1 and localhost signed by it, writes ca.pem,
// server.pem and server-key.pem into the server's folder, and returns the
// server's certificate and key files.
func (s *Server) issueCertificates() (certFile, keyFile string, err error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "parityproof test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "versitygw"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	tlsDir := filepath.Join(s.Dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return "", "", err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	s.CAFile = filepath.Join(tlsDir, "ca.pem")
	certFile = filepath.Join(tlsDir, "server.pem")
	keyFile = filepath.Join(tlsDir, "server-key.pem")
	for _, f := range []struct {
		name    string
		content []byte
	}{
		{s.CAFile, caPEM},
		{certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})},
		{keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})},
	} {
		if err := os.WriteFile(f.name, f.content, 0o600); err != nil {
			return "", "", err
		}
	}
	s.caPool = x509.NewCertPool()
	s.caPool.AddCert(ca)
	return certFile, keyFile, nil
}

// serverEnv is the server's environment: the process's, without the
// variables versitygw would read its configuration from (VGW_*, ROOT_*,
// LOGFILE, WEBHOOK), so that only the flags configure it.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VGW_") || strings.HasPrefix(k, "ROOT_") || k == "LOGFILE" || k == "WEBHOOK" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// listeningPort returns the TCP port process pid listens on, from Linux's
// /proc: the inodes of its sockets, found in the listening sockets of
// /proc/net/tcp. It returns 0 while the process does not listen yet.
func listeningPort(pid int) (int, error) {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return 0, err
	}
	inodes := make(map[string]bool)
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if !ok {
				continue
			}
			p, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				return 0, fmt.Errorf("reading %s: port %q: %w", table, hexPort, err)
			}
			return int(p), nil
		}
	}
	return 0, nil
}

// freePort returns a loopback port that was free a moment ago (where
// /proc cannot tell which port a server bound).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
