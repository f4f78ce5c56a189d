// Package chromium opens pages in headless Chromium for tests: Debian's
// chromium package, with a fresh profile, no network services of its own,
// and the page's DOM, console messages and a screenshot collected.
//
// Where Chromium is missing, [Require] skips the test with how to install
// it, except under CI=true, where a missing browser is a failure.
package chromium

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InstallHint says how to install the browser the tests use.
const InstallHint = "apt-get install -y chromium (or run scripts/ci-chromium as root)"

// PopplerHint says how to install pdftoppm, which renders printed pages as
// PNGs.
const PopplerHint = "apt-get install -y poppler-utils (or run scripts/ci-chromium as root)"

// ErrNotInstalled is wrapped by Find when no browser is found.
var ErrNotInstalled = errors.New("chromium is not installed")

// Find returns the browser to run: $CHROMIUM if set, else the first of
// chromium, chromium-browser, google-chrome on the PATH.
func Find() (string, error) {
	if exe := os.Getenv("CHROMIUM"); exe != "" {
		p, err := exec.LookPath(exe)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w: %w", exe, ErrNotInstalled, err)
		}
		return p, nil
	}
	for _, exe := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(exe); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("looking for chromium on the PATH: %w", ErrNotInstalled)
}

// Require returns the browser, or ends t: a skip when none is installed
// and CI is not set, a failure otherwise.
func Require(t testing.TB) string {
	t.Helper()
	exe, err := Find()
	if err == nil {
		return exe
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v; install it with: %s", err, InstallHint)
	}
	t.Fatalf("chromium: %v", err)
	return ""
}

// Options qualify an Open.
type Options struct {
	// Screenshot, if set, is where to write a PNG of the window.
	Screenshot string
	// Width and Height are the window's size; 0 means 1280 by 1024.
	Width, Height int
	// Timeout bounds the browser's run; 0 means 60 seconds.
	Timeout time.Duration
}

// Page is what the browser made of a page.
type Page struct {
	// DOM is the document after its scripts ran, serialized.
	DOM string
	// Console holds the messages the page wrote to the console: its
	// logs, uncaught errors and Content Security Policy violations.
	Console []ConsoleMessage
	// Log is everything the browser wrote to stderr.
	Log string
}

// ConsoleMessage is one console message.
type ConsoleMessage struct {
	Text   string
	Source string
	Line   int
}

func (m ConsoleMessage) String() string { return fmt.Sprintf("%s (%s:%d)", m.Text, m.Source, m.Line) }

// Open loads url in headless Chromium exe, waits for it to load, and
// returns its DOM and console messages, writing a screenshot if asked.
func Open(ctx context.Context, exe, url string, o Options) (*Page, error) {
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1280, 1024
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		return nil, fmt.Errorf("creating a browser profile: %w", err)
	}
	defer os.RemoveAll(profile)
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
		"--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
		fmt.Sprintf("--window-size=%d,%d", o.Width, o.Height), "--dump-dom",
	}
	if o.Screenshot != "" {
		args = append(args, "--screenshot="+o.Screenshot)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append(args, url)...)
	// Its own process group, so that a timeout ends its helpers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("opening %s in %s: %w\n%s", url, exe, err, tail(stderr.String()))
	}
	p := &Page{DOM: stdout.String(), Log: stderr.String(), Console: consoleMessages(stderr.String())}
	if p.DOM == "" {
		return p, fmt.Errorf("opening %s in %s: no document came back\n%s", url, exe, tail(p.Log))
	}
	if o.Screenshot != "" {
		if _, err := os.Stat(o.Screenshot); err != nil {
			return p, fmt.Errorf("opening %s in %s: no screenshot: %w\n%s", url, exe, err, tail(p.Log))
		}
	}
	return p, nil
}

// consoleRE matches what --enable-logging=stderr writes for a console
// message: [pid:tid:time:INFO:CONSOLE:LINE] "TEXT", source: URL (LINE)
var consoleRE = regexp.MustCompile(`:CONSOLE(?:\(\d+\)|:\d+)?\] "(.*)", source: (.*) \((\d+)\)$`)

func consoleMessages(log string) []ConsoleMessage {
	var out []ConsoleMessage
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if m := consoleRE.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[3])
			out = append(out, ConsoleMessage{Text: m[1], Source: m[2], Line: n})
		}
	}
	return out
}

// tail keeps the end of a long log, for error messages.
func tail(s string) string {
	const keep = 4 << 10
	if len(s) > keep {
		return "…" + s[len(s)-keep:]
	}
	return s
}
