package chromium

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConsoleMessages(t *testing.T) {
	log := `[1:2:1129/034023.575620:ERROR:dbus/bus.cc:405] Failed to connect to the bus
[30923:30923:1129/034033.173603:INFO:CONSOLE:1] "boom", source: file:///tmp/t2.html (1)
[30923:30923:1129/034033.173808:INFO:CONSOLE:12] "Uncaught ReferenceError: f is not defined", source: file:///tmp/a b.html (12)
[30923:30923:1129/034033.173808:INFO:CONSOLE(7)] "old style", source: file:///tmp/c.html (7)
`
	want := []ConsoleMessage{
		{Text: "boom", Source: "file:///tmp/t2.html", Line: 1},
		{Text: "Uncaught ReferenceError: f is not defined", Source: "file:///tmp/a b.html", Line: 12},
		{Text: "old style", Source: "file:///tmp/c.html", Line: 7},
	}
	if diff := cmp.Diff(want, consoleMessages(log)); diff != "" {
		t.Errorf("console messages (-want +got):\n%s", diff)
	}
}

// The browser runs a page's script, returns its DOM, and reports what the
// page wrote to the console.
func TestOpenReportsDOMAndConsole(t *testing.T) {
	exe := Require(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "p.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><title>t</title></head><body><p id="x">before</p>`+
		`<script>document.getElementById("x").textContent = "after"; console.error("planted");</script></body></html>`), 0o644)
	shot := filepath.Join(dir, "p.png")
	p, err := Open(context.Background(), exe, "file://"+page, Options{Screenshot: shot, Width: 400, Height: 300})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ConsoleMessage{{Text: "planted", Source: "file://" + page, Line: 1}}, p.Console); diff != "" {
		t.Errorf("console (-want +got):\n%s", diff)
	}
	if want := `<p id="x">after</p>`; !strings.Contains(p.DOM, want) {
		t.Errorf("the DOM lacks %s:\n%s", want, p.DOM)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Errorf("screenshot: %v", err)
	}
}

// A session loads a page at a viewport's size, evaluates script in it,
// collects its console messages (a script's, an uncaught error and a load
// its Content Security Policy blocked), emulates print media, and takes
// screenshots and PDFs.
func TestSession(t *testing.T) {
	exe := Require(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "p.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">`+
		`<style>@media print { #s { display: none } }</style></head><body><p id="s">screen only</p><p id="x">before</p><img src="https://example.invalid/x.png">`+
		`<script>document.getElementById("x").textContent = "after"; console.error("planted"); undefinedFunction();</script></body></html>`), 0o644)
	ctx := context.Background()
	s, err := Start(ctx, exe)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Load(ctx, "file://"+page, Viewport{Width: 420, Height: 300}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Text  string `json:"text"`
		Width int    `json:"width"`
	}
	if err := s.Eval(ctx, `({text: document.getElementById("x").textContent, width: window.innerWidth})`, &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != "after" || got.Width != 420 {
		t.Errorf("the page reads %+v, want after at 420 px", got)
	}
	var texts []string
	for _, m := range s.Console() {
		texts = append(texts, m.Text)
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"error: planted", "undefinedFunction", "Content Security Policy"} {
		if !strings.Contains(joined, want) {
			t.Errorf("console lacks %q:\n%s", want, joined)
		}
	}
	if err := s.EmulatePrint(ctx, true); err != nil {
		t.Fatal(err)
	}
	var display string
	if err := s.Eval(ctx, `getComputedStyle(document.getElementById("s")).display`, &display); err != nil || display != "none" {
		t.Errorf("print media: #s displays %q (%v), want none", display, err)
	}
	if err := s.EmulatePrint(ctx, false); err != nil {
		t.Fatal(err)
	}
	png, err := s.Screenshot(ctx, 0)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %v, %d bytes", err, len(png))
	}
	pdf, err := s.PrintPDF(ctx)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("PDF: %v, %d bytes", err, len(pdf))
	}
}
