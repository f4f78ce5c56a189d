package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Check is one thing the preflight checked.
type Check struct {
	// Subject names what was checked: "store legacy-us", "the state
	// location s3://…".
	Subject string
	// Did says what was done: "opened bucket …, listed one page".
	Did string
	// Err is the problem found, nil when the check passed.
	Err error
	// Permanent is true when Err is a problem a rerun cannot fix (see
	// Permanent).
	Permanent bool
}

// Preflight is what Runner.Preflight found: every check, passed or not.
type Preflight struct {
	Checks []Check
}

// Problems returns the checks that failed.
func (p *Preflight) Problems() []Check {
	var out []Check
	for _, c := range p.Checks {
		if c.Err != nil {
			out = append(out, c)
		}
	}
	return out
}

// Err returns nil when every check passed, and otherwise a
// *PreflightError naming every problem.
func (p *Preflight) Err() error {
	if probs := p.Problems(); len(probs) > 0 {
		return &PreflightError{Problems: probs}
	}
	return nil
}

// PreflightError lists every problem the preflight found.
type PreflightError struct {
	Problems []Check
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("the preflight found a problem; nothing was begun: ")
		b.WriteString(e.Problems[0].Describe())
		return b.String()
	}
	fmt.Fprintf(&b, "the preflight found %d problems; nothing was begun:", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  - %s", p.Describe())
	}
	return b.String()
}

// Describe says what the problem is in one line, naming what was checked
// unless the error already does.
func (c Check) Describe() string {
	msg := c.Err.Error()
	name := strings.TrimPrefix(c.Subject, "store ")
	if strings.HasPrefix(c.Subject, "store ") && (strings.Contains(msg, "store "+name+" ") || strings.Contains(msg, `store "`+name+`"`)) {
		return msg
	}
	return c.Subject + ": " + msg
}

// Unwrap returns the problems' errors.
func (e *PreflightError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Err
	}
	return out
}

// Permanent reports whether any problem is one a rerun cannot fix.
func (e *PreflightError) Permanent() bool {
	for _, p := range e.Problems {
		if p.Permanent {
			return true
		}
	}
	return false
}

// preflightTimeout bounds each check: a store that does not answer a
// listing within it is a problem (a rerun may find it answering).
const preflightTimeout = 2 * time.Minute

// neverMatches is an ETag no object has: a write conditional on it is
// refused by the store — after it has checked the caller's permission to
// write, which is what the preflight wants to know — and writes nothing.
const neverMatches = storage.Version(`"parityproof-preflight-never-matches"`)

// Preflight checks, before anything is written, that a run can proceed:
// it opens every store of every pair (reading the bucket, as the backends
// do) and lists one page of it, reads the state and reports locations and
// asks each whether this caller may write there (a conditional write that
// the store refuses without writing). Every problem is reported, not only
// the first. Every run begins with it; `parityproof check` runs it alone.
func (r *Runner) Preflight(ctx context.Context) *Preflight {
	var names []string
	for _, p := range r.cfg.Pairs {
		for _, n := range append(append([]string{}, p.Legacy...), p.Target) {
			if !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	checks := make([]Check, len(names)+2)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { checks[i] = r.checkStore(ctx, name) })
	}
	wg.Go(func() {
		checks[len(names)] = checkLocation(ctx, "the state location "+r.cfg.State.String(), r.state.Store(), "current.json")
	})
	wg.Go(func() {
		checks[len(names)+1] = checkLocation(ctx, "the reports location "+r.cfg.Reports.String(), r.reports, "latest.json")
	})
	wg.Wait()
	if r.cfg.Signing.Enabled() {
		key := r.cfg.Signing.KeyFile
		if key == "" {
			key = r.cfg.Signing.KMSKey
		}
		c := Check{Subject: "the signing key " + key, Did: "read its public key"}
		if _, err := r.signer(ctx); err != nil {
			c.Err = err
		}
		checks = append(checks, classify(c))
	}
	return &Preflight{Checks: checks}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// classify says whether a check's problem is permanent: one a rerun
// cannot fix, or — before anything is begun — an endpoint that cannot be
// reached or that answers a bucket's first request with a client error
// (an endpoint that is not the store's).
func classify(c Check) Check {
	if c.Err != nil {
		c.Permanent = permanent(c.Err) || unreachable(c.Err) || clientError(c.Err)
	}
	return c
}

// clientError reports whether err carries an HTTP answer of 4xx other than
// 408 and 429 (which a rerun may not get) — one whose body was read: an
// error answer cut short on the way says nothing of what the store meant.
func clientError(err error) bool {
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return false
	}
	var aws interface{ HTTPStatusCode() int }
	var oci interface{ GetHTTPStatusCode() int }
	status := 0
	switch {
	case errors.As(err, &aws):
		status = aws.HTTPStatusCode()
	case errors.As(err, &oci):
		status = oci.GetHTTPStatusCode()
	}
	return status >= 400 && status < 500 && status != 408 && status != 429
}

// checkStore opens a store and lists one page of it.
func (r *Runner) checkStore(ctx context.Context, name string) Check {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	c := Check{Subject: "store " + name}
	s, err := r.verify.Store(ctx, name)
	if err != nil {
		c.Err = err
		return classify(c)
	}
	l := s.List(ctx, inventory.KeyRange{})
	defer l.Close()
	page, err := l.NextPage()
	if err != nil && !errors.Is(err, io.EOF) {
		c.Err = fmt.Errorf("listing one page: %w", err)
		return classify(c)
	}
	c.Did = fmt.Sprintf("opened and listed one page (%d keys)", len(page))
	return c
}

// probeName is what the write check names: a store that ignored the
// condition would write an empty file under it, and nothing else.
const probeName = "preflight-probe"

// checkLocation reads name at a location and asks whether this caller
// may write there.
func checkLocation(ctx context.Context, subject string, st storage.Store, name string) Check {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	c := Check{Subject: subject}
	rc, err := st.Get(ctx, name)
	switch {
	case err == nil:
		rc.Close()
	case errors.Is(err, storage.ErrNotExist):
	default:
		c.Err = err
		return classify(c)
	}
	cond, ok := st.(storage.Conditional)
	if !ok {
		c.Did = "read"
		return c
	}
	_, err = cond.PutIf(ctx, probeName, nil, storage.Condition{IfVersion: neverMatches}, storage.PutOptions{ContentType: "application/json"})
	switch {
	case errors.Is(err, storage.ErrPrecondition):
		c.Did = "read; writes are allowed"
	case err == nil:
		// A store that ignored the condition: the write happened.
		c.Err = fmt.Errorf("the location wrote %s although the condition did not hold: it does not write conditionally, and cannot hold a lease", probeName)
	default:
		c.Err = fmt.Errorf("checking that writes are allowed: %w", err)
	}
	return classify(c)
}
