package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LeaseSchema names the lease record format.
const LeaseSchema = "parityproof.lease/v1"

// ErrLeaseHeld is wrapped by AcquireLease when another holder has the
// lease; a *HeldError names it.
var ErrLeaseHeld = errors.New("held by another writer")

// ErrLeaseLost is wrapped by the errors of a Lease that is no longer held:
// it expired before it was renewed, or another writer took it over.
var ErrLeaseLost = errors.New("the lease was lost")

// LeaseRecord is what a lease object holds. It is written whole by every
// acquisition, renewal and release; nothing is ever deleted.
type LeaseRecord struct {
	Schema string `json:"schema"`
	// Token identifies one holding: random, "" once released.
	Token string `json:"token"`
	// Holder says who holds it, for messages: the program, its process
	// and host, and what it is doing.
	Holder     string    `json:"holder"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	// ExpiresAt is when another writer may take the lease over unless it
	// is renewed first. Holders and takers compare it with their own
	// clocks: the TTL must dwarf the clock skew between them.
	ExpiresAt  time.Time `json:"expires_at"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
}

// Held reports whether the record is of a holding that has neither been
// released nor expired at now.
func (r *LeaseRecord) Held(now time.Time) bool {
	return r != nil && r.Token != "" && now.Before(r.ExpiresAt)
}

// HeldError says who holds a lease that could not be acquired.
type HeldError struct {
	// URL is the lease object's location.
	URL    string
	Record LeaseRecord
	// Locked is set when a live process holds the lease's file lock (a
	// folder): it ends only when that process releases it or ends.
	Locked bool
}

func (e *HeldError) Error() string {
	r := e.Record
	holder := r.Holder
	if holder == "" {
		holder = "another writer"
	}
	if e.Locked {
		return fmt.Sprintf("%s is held by %s since %s (a live process holds its file lock; it is free as soon as that process ends)",
			e.URL, holder, r.AcquiredAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s is held by %s since %s, until %s unless renewed (a killed holder's lease can be taken over once it expires)",
		e.URL, holder, r.AcquiredAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrLeaseHeld.
func (e *HeldError) Unwrap() error { return ErrLeaseHeld }

// LeaseOptions qualify AcquireLease.
type LeaseOptions struct {
	// Holder says who takes the lease, for the messages of others.
	Holder string
	// TTL is how long the lease lasts unless renewed; Keep renews it every
	// TTL/3.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Lease is a lease held on one name of a Store: while it is held, no other
// AcquireLease of that name succeeds. On a Store that is a Locker (a
// folder) it is a file lock, which the holder's process keeps until it
// releases it or ends, however it ends; on a Conditional store (S3, OCI)
// it is a lease object written with If-None-Match / If-Match, which a
// holder renews and another may take over once it has expired.
type Lease struct {
	st     Store
	name   string
	o      LeaseOptions
	unlock func() error // a Locker's lock, nil otherwise

	mu      sync.Mutex
	rec     LeaseRecord
	version Version
	lost    error
}

// AcquireLease takes the lease called name in st, or returns an error
// wrapping ErrLeaseHeld (a *HeldError) when another holds it. A lease whose
// holder released it, or which expired without renewal, is taken over.
func AcquireLease(ctx context.Context, st Store, name string, o LeaseOptions) (*Lease, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TTL <= 0 {
		return nil, errors.New("a lease needs a positive TTL")
	}
	l := &Lease{st: st, name: name, o: o}
	var tok [16]byte
	rand.Read(tok[:])
	now := o.Now().UTC()
	l.rec = LeaseRecord{Schema: LeaseSchema, Token: hex.EncodeToString(tok[:]), Holder: o.Holder, AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(o.TTL)}

	if lk, ok := st.(Locker); ok {
		unlock, err := lk.TryLock(name)
		if errors.Is(err, ErrLocked) {
			held := &HeldError{URL: st.URL(name), Locked: true}
			// The holder writes its record just after it takes the lock:
			// give it a moment.
			for range 25 {
				if rec, rerr := ReadLease(ctx, st, name); rerr == nil && rec != nil {
					held.Record = *rec
					if rec.Token != "" {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			return nil, held
		}
		if err != nil {
			return nil, fmt.Errorf("taking the lease %s: %w", st.URL(name), err)
		}
		l.unlock = unlock
		if err := l.write(ctx, Condition{}); err != nil {
			_ = unlock()
			return nil, fmt.Errorf("taking the lease %s: %w", st.URL(name), err)
		}
		return l, nil
	}

	c, ok := st.(Conditional)
	if !ok {
		return nil, fmt.Errorf("taking the lease %s: the location cannot write conditionally", st.URL(name))
	}
	for attempt := 0; ; attempt++ {
		body, v, err := c.GetVersion(ctx, name)
		cond := Condition{IfAbsent: true}
		switch {
		case errors.Is(err, ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("taking the lease %s: %w", st.URL(name), err)
		default:
			var cur LeaseRecord
			if derr := decodeLease(body, &cur); derr == nil && cur.Held(o.Now()) {
				return nil, &HeldError{URL: st.URL(name), Record: cur}
			}
			// Released, expired, or not a lease record at all: take it
			// over, if nobody else does first.
			cond = Condition{IfVersion: v}
		}
		err = l.write(ctx, cond)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, ErrPrecondition) || attempt == 2 {
			return nil, fmt.Errorf("taking the lease %s: %w", st.URL(name), err)
		}
		// Another writer got there first: see who.
	}
}

// write writes the lease record under cond and keeps its version. A write
// whose condition fails is read back: if it holds this holding's token
// and expiry, it was this caller's own, retried by the SDK after its
// answer was lost.
func (l *Lease) write(ctx context.Context, cond Condition) error {
	b, err := json.MarshalIndent(l.rec, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	opts := PutOptions{ContentType: "application/json", Tags: RewrittenTags}
	if l.unlock != nil {
		return l.st.Put(ctx, l.name, bytes.NewReader(b), opts)
	}
	c := l.st.(Conditional)
	v, err := c.PutIf(ctx, l.name, b, cond, opts)
	if errors.Is(err, ErrPrecondition) {
		body, gv, gerr := c.GetVersion(ctx, l.name)
		var cur LeaseRecord
		if gerr == nil && decodeLease(body, &cur) == nil && cur.Token == l.rec.Token && cur.ExpiresAt.Equal(l.rec.ExpiresAt) {
			v, err = gv, nil
		}
	}
	if err != nil {
		return err
	}
	l.version = v
	return nil
}

// RewrittenTags label the objects parityproof rewrites in place (leases,
// checkpoints, pointers), so that a bucket's lifecycle rules can expire
// their noncurrent versions without touching anything else.
var RewrittenTags = map[string]string{"parityproof-rewritten": "true"}

// ReadLease reads the lease record called name, nil when there is none.
func ReadLease(ctx context.Context, st Store, name string) (*LeaseRecord, error) {
	rc, err := st.Get(ctx, name)
	if errors.Is(err, ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := readAllCtx(rc, st.URL(name))
	if err != nil {
		return nil, err
	}
	var rec LeaseRecord
	if err := decodeLease(b, &rec); err != nil {
		return nil, fmt.Errorf("reading %s: %w", st.URL(name), err)
	}
	return &rec, nil
}

// DecodeLease decodes a lease record strictly.
func DecodeLease(b []byte) (*LeaseRecord, error) {
	var rec LeaseRecord
	if err := decodeLease(b, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

func decodeLease(b []byte, rec *LeaseRecord) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return fmt.Errorf("not a lease record: %w", err)
	}
	if rec.Schema != LeaseSchema {
		return fmt.Errorf("not a lease record: schema %q, want %q", rec.Schema, LeaseSchema)
	}
	return nil
}

// URL returns where the lease object is.
func (l *Lease) URL() string { return l.st.URL(l.name) }

// Record returns the lease as last written.
func (l *Lease) Record() LeaseRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec
}

// Err returns nil while the lease is held, and an error wrapping
// ErrLeaseLost once it is not: a renewal found another holder, or the
// lease is within a sixth of its TTL of expiring unrenewed (a margin for
// writes in flight). Writers guarded by the lease check it before every
// write.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	if l.unlock != nil {
		return nil // a live file lock cannot be lost
	}
	if !l.o.Now().Before(l.rec.ExpiresAt.Add(-l.o.TTL / 6)) {
		return fmt.Errorf("%s: %w: it expires at %s and was not renewed in time", l.URL(), ErrLeaseLost, l.rec.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// Renew extends the lease by its TTL from now. It fails, wrapping
// ErrLeaseLost, when another writer has taken the lease over.
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	prev := l.rec
	now := l.o.Now().UTC()
	l.rec.RenewedAt, l.rec.ExpiresAt = now, now.Add(l.o.TTL)
	err := l.write(ctx, Condition{IfVersion: l.version})
	if errors.Is(err, ErrPrecondition) {
		l.lost = fmt.Errorf("%s: %w: another writer took it over", l.URL(), ErrLeaseLost)
		return l.lost
	}
	if err != nil {
		l.rec = prev // still held until its old expiry
		return fmt.Errorf("renewing the lease %s: %w", l.URL(), err)
	}
	return nil
}

// Release gives the lease up: the record says so, and the next
// AcquireLease takes it at once. Releasing a lease that was lost does
// nothing.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return nil
	}
	now := l.o.Now().UTC()
	l.rec.Token, l.rec.ReleasedAt, l.rec.ExpiresAt = "", now, now
	err := l.write(ctx, Condition{IfVersion: l.version})
	l.lost = fmt.Errorf("%s: %w: released", l.URL(), ErrLeaseLost)
	if l.unlock != nil {
		if uerr := l.unlock(); err == nil {
			err = uerr
		}
	}
	if errors.Is(err, ErrPrecondition) {
		return nil // taken over already: nothing is ours to release
	}
	if err != nil {
		return fmt.Errorf("releasing the lease %s: %w", l.URL(), err)
	}
	return nil
}

// Keep renews the lease every TTL/3 until stop is called or ctx ends. The
// context it returns, derived from ctx, is cancelled with a cause wrapping
// ErrLeaseLost once the lease is lost (see Err), so that the work it
// guards stops writing. Renewals that fail for other reasons (a network
// error) are tried again at the next tick.
func (l *Lease) Keep(ctx context.Context) (context.Context, func()) {
	wctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() { close(done) })
	}
	every := l.o.TTL / 3
	if l.unlock != nil {
		every = max(every, time.Minute) // the file lock holds; the record is informative
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-wctx.Done():
				return
			case <-t.C:
				_ = l.Renew(wctx) // Err tells whether it mattered
				if err := l.Err(); err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	return wctx, func() { stop(); cancel(context.Canceled) }
}

// Abandon drops the lease without a word, as a killed holder would: its
// file lock, if any, ends with it, and its record stays as it was (a
// lease object then blocks others until it expires). For tests.
func (l *Lease) Abandon() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unlock != nil {
		_ = l.unlock()
	}
	l.lost = fmt.Errorf("%s: %w: abandoned", l.URL(), ErrLeaseLost)
}
