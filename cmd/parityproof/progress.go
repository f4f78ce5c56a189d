package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/parityproof/parityproof/internal/report"
	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progressDisplay shows a run's progress on a terminal: shards done as a
// bar, and objects, bytes and rate beside it. Without a terminal it does
// nothing (the JSON logs say what happens).
type progressDisplay struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	out     *os.File
	start   time.Time
	objects int64
	bytes   int64
}

func newProgressDisplay(out *os.File) *progressDisplay {
	return &progressDisplay{out: out, start: time.Now()}
}

// Planned implements run.Progress.
func (p *progressDisplay) Planned(shards int) {
	if p.out == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions(shards,
		progressbar.OptionSetWriter(p.out),
		progressbar.OptionSetDescription("shards"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetElapsedTime(true),
	)
}

// Judged implements run.Progress.
func (p *progressDisplay) Judged(entries, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.objects += entries
	p.bytes += bytes
	if p.bar != nil {
		p.bar.Describe(p.describe())
	}
}

// ShardDone implements run.Progress.
func (p *progressDisplay) ShardDone(pair, shard string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add(1) // a display: nothing to do if it fails
	}
}

func (p *progressDisplay) describe() string {
	secs := time.Since(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(p.objects) / secs
	}
	return fmt.Sprintf("%d objects · %s · %.0f objects/s", p.objects, report.HumanBytes(p.bytes), rate)
}

// Finish ends the display.
func (p *progressDisplay) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
	}
}
