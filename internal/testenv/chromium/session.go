package chromium

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is the browser's stderr, written by exec while messages
// read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Session is one headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: commands in on file descriptor 3, answers
// and events out on 4, each a JSON message ended by a NUL byte), with one
// page. It can size the page's viewport, load a URL, evaluate script in it
// (which the page's Content Security Policy does not restrict), emulate
// print media, take screenshots and print to PDF, and it collects every
// console message the page causes.
type Session struct {
	cmd     *exec.Cmd
	toPipe  *os.File
	profile string
	stderr  lockedBuffer
	done    chan struct{} // closed when the reader ends

	mu       sync.Mutex
	nextID   int
	pending  map[int]chan message
	loaded   chan struct{}
	console  []ConsoleMessage
	readErr  error
	session  string
	closedMu sync.Once
}

// message is a DevTools message: an answer (ID set) or an event (Method).
type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start launches exe headless with a fresh profile and attaches to a new
// blank page. Close ends it.
func Start(ctx context.Context, exe string) (*Session, error) {
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		return nil, fmt.Errorf("creating a browser profile: %w", err)
	}
	s := &Session{profile: profile, pending: map[int]chan message{}, done: make(chan struct{})}
	// The browser reads commands from fd 3 and writes to fd 4.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		os.RemoveAll(profile)
		return nil, err
	}
	s.cmd = exec.Command(exe,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
		"--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1", "--mute-audio",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	s.cmd.ExtraFiles = []*os.File{cmdR, outW}
	s.cmd.Stderr = &s.stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		outR.Close()
		outW.Close()
		os.RemoveAll(profile)
		return nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	cmdR.Close()
	outW.Close()
	s.toPipe = cmdW
	go s.read(outR)

	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := s.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		s.Close()
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := s.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		s.Close()
		return nil, err
	}
	s.session = attached.SessionID
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := s.call(ctx, s.session, domain, nil, nil); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// read dispatches the browser's messages until the pipe closes.
func (s *Session) read(r io.ReadCloser) {
	defer close(s.done)
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			s.mu.Lock()
			s.readErr = fmt.Errorf("the browser closed its pipe: %w", err)
			for id, ch := range s.pending {
				close(ch)
				delete(s.pending, id)
			}
			s.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		s.mu.Lock()
		if m.ID != 0 {
			if ch, ok := s.pending[m.ID]; ok {
				ch <- m
				delete(s.pending, m.ID)
			}
		} else {
			s.event(m)
		}
		s.mu.Unlock()
	}
}

// event records what the page said and when it loaded; s.mu is held.
func (s *Session) event(m message) {
	switch m.Method {
	case "Page.loadEventFired":
		if s.loaded != nil {
			close(s.loaded)
			s.loaded = nil
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
			StackTrace *struct {
				CallFrames []struct {
					URL  string `json:"url"`
					Line int    `json:"lineNumber"`
				} `json:"callFrames"`
			} `json:"stackTrace"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			var parts []string
			for _, a := range p.Args {
				if a.Value != nil {
					parts = append(parts, fmt.Sprint(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			cm := ConsoleMessage{Text: p.Type + ": " + strings.Join(parts, " ")}
			if p.StackTrace != nil && len(p.StackTrace.CallFrames) > 0 {
				cm.Source, cm.Line = p.StackTrace.CallFrames[0].URL, p.StackTrace.CallFrames[0].Line+1
			}
			s.console = append(s.console, cm)
		}
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				URL       string `json:"url"`
				Line      int    `json:"lineNumber"`
				Exception *struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			text := p.Details.Text
			if p.Details.Exception != nil {
				text += " " + p.Details.Exception.Description
			}
			s.console = append(s.console, ConsoleMessage{Text: "exception: " + text, Source: p.Details.URL, Line: p.Details.Line + 1})
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Source string `json:"source"`
				Level  string `json:"level"`
				Text   string `json:"text"`
				URL    string `json:"url"`
				Line   int    `json:"lineNumber"`
			} `json:"entry"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			e := p.Entry
			s.console = append(s.console, ConsoleMessage{Text: e.Level + " (" + e.Source + "): " + e.Text, Source: e.URL, Line: e.Line + 1})
		}
	}
}

// call sends a command and decodes its result into out (when not nil).
func (s *Session) call(ctx context.Context, session, method string, params any, out any) error {
	s.mu.Lock()
	if s.readErr != nil {
		err := s.readErr
		s.mu.Unlock()
		return fmt.Errorf("%s: %w\n%s", method, err, tail(s.stderr.String()))
	}
	s.nextID++
	id := s.nextID
	ch := make(chan message, 1)
	s.pending[id] = ch
	s.mu.Unlock()

	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if session != "" {
		req["sessionId"] = session
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := s.toPipe.Write(append(b, 0)); err != nil {
		return fmt.Errorf("%s: writing to the browser: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: the browser ended\n%s", method, tail(s.stderr.String()))
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				return fmt.Errorf("%s: decoding the answer: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Viewport is the size a page is laid out for.
type Viewport struct {
	Width, Height int
	// Mobile lays the page out as a phone does: the viewport meta tag is
	// honoured and the page may not be zoomed out to fit.
	Mobile bool
}

// Load sizes the viewport and loads url, waiting for its load event.
func (s *Session) Load(ctx context.Context, url string, v Viewport) error {
	if err := s.call(ctx, s.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": v.Width, "height": v.Height, "deviceScaleFactor": 1, "mobile": v.Mobile,
	}, nil); err != nil {
		return err
	}
	loaded := make(chan struct{})
	s.mu.Lock()
	s.loaded = loaded
	s.mu.Unlock()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := s.call(ctx, s.session, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("loading %s: %s", url, nav.ErrorText)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		return fmt.Errorf("loading %s: %w", url, ctx.Err())
	case <-s.done:
		return fmt.Errorf("loading %s: the browser ended\n%s", url, tail(s.stderr.String()))
	}
	// Let layout settle (web fonts, the script's controls).
	return s.Eval(ctx, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil)
}

// Eval evaluates a JavaScript expression in the page, awaiting a promise,
// and decodes its value (as JSON) into out when out is not nil.
func (s *Session) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := s.call(ctx, s.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &res); err != nil {
		return err
	}
	if d := res.ExceptionDetails; d != nil {
		msg := d.Text
		if d.Exception != nil {
			msg = d.Exception.Description
		}
		return fmt.Errorf("evaluating %q: %s", expr, msg)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			return fmt.Errorf("evaluating %q: decoding %s: %w", expr, res.Result.Value, err)
		}
	}
	return nil
}

// EmulatePrint lays the page out for paper (true), or stops emulating
// (false): the screen, and paper again when printing to PDF.
func (s *Session) EmulatePrint(ctx context.Context, print bool) error {
	media := ""
	if print {
		media = "print"
	}
	return s.call(ctx, s.session, "Emulation.setEmulatedMedia", map[string]any{"media": media}, nil)
}

// Screenshot returns a PNG of the page from its top: its whole length when
// height is 0, else height pixels of it.
func (s *Session) Screenshot(ctx context.Context, height int) ([]byte, error) {
	var size struct {
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	}
	if err := s.Eval(ctx, `({width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight})`, &size); err != nil {
		return nil, err
	}
	h := size.Height
	if height > 0 {
		h = float64(height)
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := s.call(ctx, s.session, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": size.Width, "height": h, "scale": 1},
	}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// PrintPDF prints the page as the browser's Print to PDF does, with its
// backgrounds and the page size its style sheet asks for (A4 otherwise).
func (s *Session) PrintPDF(ctx context.Context) ([]byte, error) {
	var pdf struct {
		Data string `json:"data"`
	}
	if err := s.call(ctx, s.session, "Page.printToPDF", map[string]any{
		"printBackground": true, "preferCSSPageSize": true, "paperWidth": 8.27, "paperHeight": 11.69,
	}, &pdf); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(pdf.Data)
}

// Console returns the console messages collected so far and forgets them.
func (s *Session) Console() []ConsoleMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.console
	s.console = nil
	return out
}

// Close ends the browser and removes its profile.
func (s *Session) Close() error {
	s.closedMu.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.call(ctx, "", "Browser.close", nil, nil) // it may be gone already
		cancel()
		s.toPipe.Close()
		exited := make(chan struct{})
		go func() {
			_ = s.cmd.Wait() // a browser told to close, or killed: nothing to report
			close(exited)
		}()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// Helpers of the browser may linger in its process group.
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		os.RemoveAll(s.profile)
	})
	return nil
}

// RequireTool returns the path of a command-line tool a browser test
// needs besides the browser, or ends t as Require does: a skip when it is
// missing and CI is not set, a failure otherwise.
func RequireTool(t testing.TB, name, installHint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if errors.Is(err, exec.ErrNotFound) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %s is not installed; install it with: %s", name, installHint)
	}
	t.Fatalf("%s: %v (install it with: %s)", name, err, installHint)
	return ""
}
