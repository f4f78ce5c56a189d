package certify

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed assets/certificate.html.tmpl
var assets embed.FS

var certTemplate = template.Must(template.New("certificate.html.tmpl").Funcs(template.FuncMap{
	"utc":       func(t time.Time) string { return dateOf(t) },
	"hasPrefix": strings.HasPrefix,
}).ParseFS(assets, "assets/certificate.html.tmpl"))

// HTML renders certificate.html: one self-contained page that loads
// nothing and prints on paper. attestCmd is the command that checks it.
func (c *Certificate) HTML(attestCmd string) ([]byte, error) {
	simulated := false
	for _, r := range c.Runs {
		simulated = simulated || r.Clock != ""
	}
	var buf bytes.Buffer
	err := certTemplate.Execute(&buf, struct {
		C         *Certificate
		AttestCmd string
		Simulated bool
	}{c, attestCmd, simulated})
	if err != nil {
		return nil, fmt.Errorf("rendering certificate.html: %w", err)
	}
	return buf.Bytes(), nil
}

// JSON renders certificate.json.
func (c *Certificate) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding certificate.json: %w", err)
	}
	return append(b, '\n'), nil
}
