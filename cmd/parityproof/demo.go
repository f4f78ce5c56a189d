package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parityproof/parityproof/internal/demo"
	"github.com/parityproof/parityproof/internal/report"
)

type demoFlags struct {
	dir     string
	objects int
	verbose bool
}

func (f *demoFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("demo", demoUsage)
	fs.StringVar(&f.dir, "dir", "parityproof-demo", "the `folder` the demo writes (emptied if an earlier demo made it)")
	fs.IntVar(&f.objects, "objects", 200, "the `number` of objects migrated (at least 50: the planted faults need them)")
	fs.BoolVar(&f.verbose, "verbose", false, "log the runs as JSON to stderr")
	return fs
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f demoFlags
	fs := f.flagSet()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments (see parityproof demo --help)")
	}
	if f.objects < demo.MinObjects {
		return usagef("demo: --objects %d is too few: the planted faults need at least %d objects", f.objects, demo.MinObjects)
	}
	logger := slog.New(slog.DiscardHandler)
	if f.verbose {
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	now := time.Now()
	if clock := clockFromEnv(); clock != nil {
		now = clock()
	}
	_, err := demo.Run(ctx, demo.Options{Dir: f.dir, Objects: f.objects, Out: stdout, Logger: logger, ToolVersion: version, Now: now, Command: selfCommand()})
	return err
}

// selfCommand is how the user can run parityproof again, for the commands
// the demo prints: "go run ./cmd/parityproof" under go run from the
// repository's root, the path it was started by, or plain parityproof when
// it was found on the PATH.
func selfCommand() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(exe, string(filepath.Separator)+"go-build") {
		if _, err := os.Stat(filepath.Join("cmd", "parityproof", "main.go")); err == nil {
			return "go run ./cmd/parityproof"
		}
		return "go run github.com/parityproof/parityproof/cmd/parityproof"
	}
	if name := os.Args[0]; strings.ContainsRune(name, filepath.Separator) {
		return report.ShellQuote(name)
	}
	return "parityproof"
}
