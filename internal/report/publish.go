package report

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// beside report.json, before report.json.
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
// Newest). exceptions.csv and report.json grow with the number of
// exceptions (a gigabyte a million); each is streamed to the store as it
// is written (storage sends it in parts), so that the memory Publish uses
// does not grow with them and no local disk is needed.
func Publish(ctx context.Context, st storage.Store, r *Report, opts ...PublishOption) (Published, error) {
	var o publishOptions
	for _, fn := range opts {
		fn(&o)
	}
	pub := Locate(st, r)
	dir := r.RunID + "/"
	put := func(name, ctype string, write func(io.Writer) error) error {
		if err := putStream(ctx, st, dir+name, storage.PutOptions{ContentType: ctype, RetainUntil: o.retainUntil}, write); err != nil {
			return fmt.Errorf("publishing the report of run %s: %w", r.RunID, err)
		}
		return nil
	}
	// One pass over the exceptions writes exceptions.csv and report.json
	// (and, signed, hashes report.json for its signature). report.json is
	// stored last, its presence meaning the report is whole: its Put is
	// held open while the other files are written, and ended after them.
	reportJSON := holdPut(ctx, st, dir+"report.json", storage.PutOptions{ContentType: "application/json", RetainUntil: o.retainUntil})
	fail := func(err error) (Published, error) {
		if errors.Is(err, errPutEnded) { // report.json's Put stopped first: its error says why
			return pub, fmt.Errorf("publishing the report of run %s: %w", r.RunID, reportJSON.end(err))
		}
		_ = reportJSON.end(err) // err, which fails it
		return pub, err
	}
	var jsonW io.Writer = reportJSON
	h := sha256.New()
	if o.signer != nil {
		jsonW = io.MultiWriter(reportJSON, h)
	}
	if err := put("exceptions.csv", "text/csv; charset=utf-8", func(w io.Writer) error {
		return r.writeCSVAndJSON(ctx, w, jsonW)
	}); err != nil {
		return fail(err)
	}
	if err := put("summary.md", "text/markdown; charset=utf-8", func(w io.Writer) error { _, err := w.Write(r.Summary(pub)); return err }); err != nil {
		return fail(err)
	}
	if err := put("report.html", "text/html; charset=utf-8", func(w io.Writer) error { return r.WriteHTML(w, pub) }); err != nil {
		return fail(err)
	}
	if o.signer != nil {
		att, err := Sign(ctx, o.signer, r.statement(hex.EncodeToString(h.Sum(nil))))
		if err != nil {
			return fail(err)
		}
		if err := put(AttestationName, "application/json", func(w io.Writer) error { _, err := w.Write(att); return err }); err != nil {
			return fail(err)
		}
	}
	if err := reportJSON.end(nil); err != nil {
		return pub, fmt.Errorf("publishing the report of run %s: %w", r.RunID, err)
	}
	if o.newest != nil && !*o.newest {
		return pub, nil
	}
	if !r.Complete {
		return pub, nil // latest.json names complete runs only
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

// errPutEnded stops a writer whose Put ended before it did.
var errPutEnded = errors.New("the store stopped reading")

// putStream stores at name what write writes, as it writes it. An error of
// write fails the Put: nothing is stored.
func putStream(ctx context.Context, st storage.Store, name string, o storage.PutOptions, write func(io.Writer) error) error {
	hp := holdPut(ctx, st, name, o)
	return hp.end(write(hp))
}

// heldPut is a Put of a stream written while other files are stored,
// whose end waits for end: the file is stored after them.
type heldPut struct {
	pw   *io.PipeWriter
	bw   *bufio.Writer
	done chan error // the Put's error
}

// holdPut starts storing at name what is written to the heldPut.
func holdPut(ctx context.Context, st storage.Store, name string, o storage.PutOptions) *heldPut {
	pr, pw := io.Pipe()
	hp := &heldPut{pw: pw, bw: bufio.NewWriterSize(pw, 1<<16), done: make(chan error, 1)}
	go func() {
		err := st.Put(ctx, name, pr, o)
		pr.CloseWithError(errPutEnded) // a write after the Put ended fails
		hp.done <- err
	}()
	return hp
}

func (hp *heldPut) Write(p []byte) (int, error) { return hp.bw.Write(p) }

// end ends the stream and waits for the Put: with werr, the writer's
// error, nil the file is stored; otherwise the Put fails and nothing is
// stored. It returns werr, or the Put's error when werr is nil or only
// says that the Put stopped reading first.
func (hp *heldPut) end(werr error) error {
	cause := werr
	if cause == nil {
		cause = hp.bw.Flush()
	}
	hp.pw.CloseWithError(cause) // nil: the reader sees EOF
	err := <-hp.done
	if werr != nil && (err == nil || !errors.Is(werr, errPutEnded)) {
		return werr
	}
	return err
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

// JSON renders report.json in memory. Reports Build makes stream their
// exceptions from the state (with a background context): Publish writes
// them through WriteJSON instead.
func (r *Report) JSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.WriteJSON(context.Background(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes report.json to w, the exceptions one at a time: the
// bytes json.MarshalIndent(r, "", "  ") would give with every exception in
// r.Exceptions.
func (r *Report) WriteJSON(ctx context.Context, w io.Writer) error {
	js, err := r.newJSONWriter(w)
	if err != nil {
		return err
	}
	return r.writeExceptions(ctx, js)
}

// writeCSVAndJSON writes exceptions.csv to csvW and report.json to jsonW
// in one pass over the exceptions: the bytes WriteCSV and WriteJSON write.
func (r *Report) writeCSVAndJSON(ctx context.Context, csvW, jsonW io.Writer) error {
	cs, err := newCSVWriter(csvW)
	if err != nil {
		return err
	}
	js, err := r.newJSONWriter(jsonW)
	if err != nil {
		return err
	}
	return r.writeExceptions(ctx, cs, js)
}

// exceptionWriter writes a file of the report an exception at a time.
type exceptionWriter interface {
	add(*Exception) error
	end() error // after the last exception
}

// writeExceptions gives every exception of the report to each of ws, in
// one pass over them, then ends each.
func (r *Report) writeExceptions(ctx context.Context, ws ...exceptionWriter) error {
	if err := r.EachException(ctx, func(x *Exception) error {
		for _, w := range ws {
			if err := w.add(x); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("writing the exceptions of run %s: %w", r.RunID, err)
	}
	for _, w := range ws {
		if err := w.end(); err != nil {
			return err
		}
	}
	return nil
}

// jsonWriter writes report.json around exceptions added one at a time.
type jsonWriter struct {
	w    io.Writer
	tail []byte
	n    int64
	buf  []byte // the exception being written
}

// exceptionsField is where the exceptions go in report.json, as
// json.MarshalIndent writes the report with none.
var exceptionsField = []byte("\n  \"exceptions\": [],\n")

func (r *Report) newJSONWriter(w io.Writer) (*jsonWriter, error) {
	head := *r
	head.Exceptions = []Exception{}
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report.json: %w", err)
	}
	i := bytes.Index(b, exceptionsField)
	if i < 0 || bytes.Count(b, exceptionsField) != 1 {
		return nil, errors.New("encoding report.json: cannot find where its exceptions go")
	}
	js := &jsonWriter{w: w, tail: append(b[i+len(exceptionsField)-1:], '\n')}
	if _, err := w.Write(append(b[:i:i], "\n  \"exceptions\": ["...)); err != nil {
		return nil, fmt.Errorf("writing report.json: %w", err)
	}
	return js, nil
}

func (js *jsonWriter) add(x *Exception) error {
	b := js.buf[:0]
	if js.n > 0 {
		b = append(b, ',')
	}
	b = append(b, '\n')
	b = append(b, exceptionIndent...)
	b = appendException(b, x)
	js.buf = b
	js.n++
	if _, err := js.w.Write(b); err != nil {
		return fmt.Errorf("writing report.json: %w", err)
	}
	return nil
}

func (js *jsonWriter) end() error {
	closing := "]," // no exception: "exceptions": [],
	if js.n > 0 {
		closing = "\n  ],"
	}
	if _, err := io.WriteString(js.w, closing); err != nil {
		return fmt.Errorf("writing report.json: %w", err)
	}
	if _, err := js.w.Write(js.tail); err != nil {
		return fmt.Errorf("writing report.json: %w", err)
	}
	return nil
}
