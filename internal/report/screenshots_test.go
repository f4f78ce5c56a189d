package report_test

// The demo's report as its readers see it: in headless Chromium at a wide
// desktop, a laptop and a phone's width, and printed to PDF. scripts/
// screenshot keeps what this test sees (go test ./internal/report -run
// TestDemoReportInChromium -screenshots DIR).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parityproof/parityproof/internal/demo"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/testenv/chromium"
)

var screenshots = flag.String("screenshots", "", "keep the demo report's screenshots and printed pages in this `folder` (scripts/screenshot)")

// demoReport runs the demo and returns its last report and report.html's
// URL.
func demoReport(t *testing.T) (*report.Report, string) {
	t.Helper()
	res, err := demo.Run(context.Background(), demo.Options{
		Dir: filepath.Join(t.TempDir(), "demo"), Now: time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC), ToolVersion: "dev",
	})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Runs[len(res.Runs)-1]
	return last.Report, last.Published.HTMLURL
}

// layout is what the page's geometry says about overflow.
type layout struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Wide        []string `json:"wide"`
}

const layoutJS = `(() => {
  const d = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 0.5;
  }).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && e.className.baseVal === undefined ? "." + e.className.trim().replace(/\s+/g, ".") : ""));
  return {scrollWidth: d.scrollWidth, innerWidth: window.innerWidth, wide: wide};
})()`

// exceptionRow is what a reader sees of one exception.
type exceptionRow struct {
	Key      string `json:"key"`
	Verdict  string `json:"verdict"`
	Severity string `json:"severity"`
	Action   string `json:"action"`
	Visible  bool   `json:"visible"`
	Right    int    `json:"right"`
}

const exceptionsJS = `[...document.querySelectorAll("#exceptions-table tbody tr")].map(tr => {
  const a = tr.querySelector(".c-action"), r = a.getBoundingClientRect();
  return {key: tr.querySelector("code.key").textContent, verdict: tr.dataset.verdict, severity: tr.dataset.severity,
    action: a.innerText, visible: getComputedStyle(a).display !== "none" && r.width > 0 && r.height > 0, right: Math.ceil(r.right)};
})`

// TestDemoReportInChromium opens the demo's report at 1400, 1100 and 400
// pixels (the last as a phone): the page never scrolls sideways (the
// document is exactly as wide as the viewport, and no element reaches past
// it), nothing goes to the console, and every critical exception shows
// its action — who acts, what to do, when it clears — within the page.
// Printed to PDF (A4, as the browser's Print does) and rendered with
// pdftoppm, it gives numbered pages without the controls.
func TestDemoReportInChromium(t *testing.T) {
	exe := chromium.Require(t)
	pdftoppm := chromium.RequireTool(t, "pdftoppm", chromium.PopplerHint)
	rep, url := demoReport(t)
	out := *screenshots
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := chromium.Start(ctx, exe)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var critical []string
	var exceptions int
	if err := rep.EachException(ctx, func(x *report.Exception) error {
		exceptions++
		if x.Severity == ledger.Critical {
			critical = append(critical, x.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(critical)
	if len(critical) == 0 {
		t.Fatal("the demo's report has no critical exception to check")
	}

	for _, v := range []chromium.Viewport{{Width: 1400, Height: 1000}, {Width: 1100, Height: 900}, {Width: 400, Height: 850, Mobile: true}} {
		t.Run(fmt.Sprint(v.Width), func(t *testing.T) {
			if err := s.Load(ctx, url, v); err != nil {
				t.Fatal(err)
			}
			for _, m := range s.Console() {
				t.Errorf("console: %s", m)
			}
			var l layout
			if err := s.Eval(ctx, layoutJS, &l); err != nil {
				t.Fatal(err)
			}
			if l.InnerWidth != v.Width || l.ScrollWidth != l.InnerWidth || len(l.Wide) > 0 {
				t.Errorf("at %d px the document is %d px wide in a viewport of %d; elements past its edge: %v", v.Width, l.ScrollWidth, l.InnerWidth, l.Wide)
			}
			var rows []exceptionRow
			if err := s.Eval(ctx, exceptionsJS, &rows); err != nil {
				t.Fatal(err)
			}
			if len(rows) != exceptions {
				t.Errorf("%d exception rows, want %d", len(rows), exceptions)
			}
			var shown []string
			for _, r := range rows {
				if r.Severity != string(ledger.Critical) {
					continue
				}
				shown = append(shown, r.Key)
				a, ok := report.ActionFor(ledger.Verdict(r.Verdict))
				want := strings.Join(strings.Fields(fmt.Sprintf("Who: %s Do: %s Clears: %s", a.Who, a.Check, a.Clears)), " ")
				if got := strings.Join(strings.Fields(r.Action), " "); !ok || got != want {
					t.Errorf("critical %s %s: action %q, want %q", r.Verdict, r.Key, got, want)
				}
				if !r.Visible || r.Right > v.Width {
					t.Errorf("critical %s %s: its action is not within the page (visible %v, right edge %d of %d px)", r.Verdict, r.Key, r.Visible, r.Right, v.Width)
				}
			}
			sort.Strings(shown)
			if strings.Join(shown, " ") != strings.Join(critical, " ") {
				t.Errorf("critical rows %v, want %v", shown, critical)
			}
			shot, err := s.Screenshot(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, shot, v.Width)
			writeFile(t, filepath.Join(out, fmt.Sprintf("report-%d.png", v.Width)), shot)
			if v.Width == 1400 {
				top, err := s.Screenshot(ctx, 1500)
				if err != nil {
					t.Fatal(err)
				}
				checkPNG(t, top, v.Width)
				writeFile(t, filepath.Join(out, "report-screenshot.png"), top)
			}
		})
	}

	t.Run("print", func(t *testing.T) {
		if err := s.Load(ctx, url, chromium.Viewport{Width: 1400, Height: 1000}); err != nil {
			t.Fatal(err)
		}
		if err := s.EmulatePrint(ctx, true); err != nil {
			t.Fatal(err)
		}
		var printed struct {
			Controls string   `json:"controls"`
			Nav      string   `json:"nav"`
			Columns  []string `json:"columns"`
		}
		if err := s.Eval(ctx, `({controls: getComputedStyle(document.getElementById("exceptions-controls")).display,
			nav: getComputedStyle(document.querySelector("nav")).display,
			columns: [...document.querySelectorAll("#exceptions-table thead th")].map(th => getComputedStyle(th).display)})`, &printed); err != nil {
			t.Fatal(err)
		}
		if printed.Controls != "none" || printed.Nav != "none" {
			t.Errorf("printed, the controls display %q and the contents %q; want none", printed.Controls, printed.Nav)
		}
		for i, d := range printed.Columns {
			if d == "none" {
				t.Errorf("printed, exceptions column %d is hidden", i+1)
			}
		}
		if err := s.EmulatePrint(ctx, false); err != nil {
			t.Fatal(err)
		}
		pdf, err := s.PrintPDF(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range s.Console() {
			t.Errorf("console: %s", m)
		}
		tmp := t.TempDir()
		pdfPath := filepath.Join(tmp, "report.pdf")
		writeFile(t, pdfPath, pdf)
		// 60 dots per inch: an A4 page is 496 by 702 pixels.
		if b, err := exec.Command(pdftoppm, "-png", "-r", "60", pdfPath, filepath.Join(tmp, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, b)
		}
		pages, _ := filepath.Glob(filepath.Join(tmp, "page-*.png"))
		sort.Strings(pages)
		if len(pages) < 4 {
			t.Fatalf("the report prints on %d pages, want at least 4 (the sections that begin pages)", len(pages))
		}
		for i, p := range pages {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("page %d: %v", i+1, err)
			}
			if sz := img.Bounds().Size(); sz.X < 490 || sz.X > 500 || sz.Y < 698 || sz.Y > 706 {
				t.Errorf("page %d is %v pixels at 60 dpi, want A4 (496x702)", i+1, sz)
			}
			writeFile(t, filepath.Join(out, fmt.Sprintf("report-print-%d.png", i+1)), b)
		}
	})
}

func checkPNG(t *testing.T, b []byte, width int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Dx(); got != width {
		t.Errorf("screenshot %d px wide, want %d", got, width)
	}
	return img
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
