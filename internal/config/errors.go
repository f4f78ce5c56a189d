package config

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong in a configuration file.
type Problem struct {
	Line, Column int
	// Field is the dotted path of the field ("stores.legacy-us.type").
	Field   string
	Message string
}

// Error lists every problem found in a configuration file.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s", e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
		}
		if p.Field != "" {
			fmt.Fprintf(&b, ": %s", p.Field)
		}
		fmt.Fprintf(&b, ": %s", p.Message)
	}
	return b.String()
}

// ErrNotFound is wrapped by lookups of names a configuration lacks.
var ErrNotFound = errors.New("not found")
