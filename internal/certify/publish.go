package certify

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/storage"
)

// Published says where a certificate's files are.
type Published struct {
	JSON, HTML string
}

// Publish writes certificate.json and certificate.html under dir (a
// folder name ending in "/", or "") at st. program is how the reader runs
// parityproof, for the command in the page that checks it.
func Publish(ctx context.Context, st storage.Store, dir string, c *Certificate, program string) (Published, error) {
	pub := Published{JSON: st.URL(dir + "certificate.json"), HTML: st.URL(dir + "certificate.html")}
	js, err := c.JSON()
	if err != nil {
		return pub, err
	}
	page, err := c.HTML(report.AttestCommandFor(program, pub.JSON))
	if err != nil {
		return pub, err
	}
	for _, f := range []struct {
		name, ctype string
		body        []byte
	}{
		{"certificate.html", "text/html; charset=utf-8", page},
		{"certificate.json", "application/json", js},
	} {
		if err := st.Put(ctx, dir+f.name, bytes.NewReader(f.body), storage.PutOptions{ContentType: f.ctype}); err != nil {
			return pub, fmt.Errorf("writing the certificate of %s: %w", c.Subject, err)
		}
	}
	return pub, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Folder is where a reports location keeps a subject's certificate:
// certificates/<subject>/<issued>/, the subject's prefix or key made safe
// for a file name.
func Folder(c *Certificate) string {
	name := c.Subject.Key
	if name == "" {
		name = c.Subject.Prefix
	}
	name = strings.Trim(unsafeChars.ReplaceAllString(name, "_"), "_.")
	if name == "" {
		name = "all"
	}
	if c.Subject.Pair != "" {
		name = c.Subject.Pair + "-" + name
	}
	return "certificates/" + name + "/" + c.IssuedAt.UTC().Format("20060102T150405Z") + "/"
}
