package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parityproof/parityproof/internal/storage"
)

// Published says where a report went.
type Published struct {
	// ReportURL is report.json's location; HTMLURL report.html's, CSVURL
	// exceptions.csv's and SummaryURL summary.md's.
	ReportURL  string
	HTMLURL    string
	CSVURL     string
	SummaryURL string
}

// Locate returns where Publish puts r's files in st.
func Locate(st storage.Store, r *Report) Published {
	dir := r.RunID + "/"
	return Published{
		ReportURL:  st.URL(dir + "report.json"),
		HTMLURL:    st.URL(dir + "report.html"),
		CSVURL:     st.URL(dir + "exceptions.csv"),
		SummaryURL: st.URL(dir + "summary.md"),
	}
}

// PublishOption qualifies a Publish.
type PublishOption func(*publishOptions)

type publishOptions struct {
	retainUntil time.Time
	newest      *bool
	signer      Signer
}

// SignWith signs the report's root digest (report.json, the manifest, the
// run record) with s and publishes the signature as attestation.json
// beside report.json.
func SignWith(s Signer) PublishOption {
	return func(o *publishOptions) { o.signer = s }
}

// Newest says whether the report is of the newest complete run, as the
// state location knows it, and so whether latest.json is to point at it.
// Without it, latest.json moves unless it names a run whose id sorts
// after this one (ids sort by start time to the second only).
func Newest(newest bool) PublishOption {
	return func(o *publishOptions) { o.newest = &newest }
}

// RetainUntil asks the store to keep the report's files under an Object
// Lock retention until t, where it can. A bucket with a default retention
// applies its own without this.
func RetainUntil(t time.Time) PublishOption {
	return func(o *publishOptions) { o.retainUntil = t }
}

// latest is latest.json: the newest complete run's report.
type latest struct {
	RunID  string `json:"run_id"`
	Report string `json:"report"`
}

// Publish writes the report's four files under <run_id>/ at the reports
// location — report.json last, so that its presence means the report is
// whole — and points latest.json at it when it is the newest run's (see
// Newest).
func Publish(ctx context.Context, st storage.Store, r *Report, opts ...PublishOption) (Published, error) {
	var o publishOptions
	for _, fn := range opts {
		fn(&o)
	}
	pub := Locate(st, r)
	js, err := r.JSON()
	if err != nil {
		return pub, err
	}
	csvb, err := r.CSV()
	if err != nil {
		return pub, err
	}
	html, err := r.HTML(pub)
	if err != nil {
		return pub, err
	}
	dir := r.RunID + "/"
	type file struct {
		name, ctype string
		body        []byte
	}
	files := []file{
		{"exceptions.csv", "text/csv; charset=utf-8", csvb},
		{"summary.md", "text/markdown; charset=utf-8", r.Summary(pub)},
		{"report.html", "text/html; charset=utf-8", html},
	}
	if o.signer != nil {
		att, err := Sign(ctx, o.signer, r.Statement(js))
		if err != nil {
			return pub, err
		}
		files = append(files, file{AttestationName, "application/json", att})
	}
	files = append(files, file{"report.json", "application/json", js})
	for _, f := range files {
		err := st.Put(ctx, dir+f.name, bytes.NewReader(f.body), storage.PutOptions{ContentType: f.ctype, RetainUntil: o.retainUntil})
		if err != nil {
			return pub, fmt.Errorf("publishing the report of run %s: %w", r.RunID, err)
		}
	}
	if o.newest != nil && !*o.newest {
		return pub, nil
	}
	if o.newest == nil {
		cur, err := readLatest(ctx, st)
		if err != nil {
			return pub, err
		}
		if cur.RunID > r.RunID {
			return pub, nil
		}
	}
	b, err := json.Marshal(latest{RunID: r.RunID, Report: pub.ReportURL})
	if err != nil {
		return pub, fmt.Errorf("encoding latest.json: %w", err)
	}
	if err := st.Put(ctx, "latest.json", bytes.NewReader(append(b, '\n')), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return pub, fmt.Errorf("pointing latest.json at run %s: %w", r.RunID, err)
	}
	return pub, nil
}

// readLatest reads latest.json; a location without one, or with one that
// is not JSON, has no latest run.
func readLatest(ctx context.Context, st storage.Store) (latest, error) {
	var l latest
	rc, err := st.Get(ctx, "latest.json")
	if errors.Is(err, storage.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("reading latest.json: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return l, fmt.Errorf("reading %s: %w", st.URL("latest.json"), err)
	}
	if json.Unmarshal(b, &l) != nil {
		return latest{}, nil // a broken pointer is replaced
	}
	return l, nil
}

// JSON renders report.json.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report.json: %w", err)
	}
	return append(b, '\n'), nil
}
