package parity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// Concurrent resolution (Config.Concurrency above one).
//
// The merge judges each key as it comes. A key that needs HEADs or content
// reads is detached from the sources' pages and handed to a goroutine of its
// own, and the merge goes on. Keys wait in a window, in key order, until
// they are settled, and are emitted from the window's head: entries leave
// in key order, exactly as the serial path emits them, and a caller that
// checkpoints what it was given never covers a key still being resolved.
// The window holds windowPerRequest keys per request in flight (at least
// minWindow); when it is full the merge waits for its oldest key.
//
// A key's HEADs (of every store it needs headed: the legacy copies and the
// target together) and its content reads are issued at once, each taking
// one of Concurrency places, and their answers are applied in store order,
// as the serial path applies them one after the other. The requests run on
// at most Concurrency long-lived goroutines rather than one goroutine each:
// an SDK request runs deep enough to grow a fresh goroutine's stack twice,
// and that copying cost about 6% of a HEAD-bound run's CPU.
//
// The deep verification budget is reserved in key order. A key that wants
// to read waits at a gate. It may reserve as the serial path would (a read
// at a time, the first refusal ending its reads) when every earlier key in
// the window is final: settled, or unable to reserve any more bytes. It may
// reserve earlier, all its reads at once, when the budget would still hold
// every byte the earlier keys could yet reserve (the sum of their
// potentials, see potential) after its own: then every earlier key gets
// what it would have got had it gone first, and so does this one. Otherwise
// it waits. So the same bytes are spent on the same keys as in the serial
// path.

const (
	windowPerRequest = 8
	minWindow        = 64
	// unbounded is the potential of a key whose future reads cannot be
	// bounded yet (a HEAD may still change a size).
	unbounded = math.MaxInt64
)

// slot holds one key in the window.
type slot struct {
	st  *keyState
	d   decision // the final decision, once done
	err error    // why it could not be settled, once done

	// Under pipeline.mu.
	done  bool
	final bool  // it will reserve nothing more
	pot   int64 // an upper bound on the bytes it may still reserve
	want  []readPlan
	// todo holds the reads granted; granted tells the key's goroutine.
	todo    []readPlan
	granted chan struct{}
}

// pipeline is the window of keys of one concurrent Verify.
type pipeline struct {
	e       *Engine
	ctx     context.Context
	jobs    chan func()  // requests for an idle worker
	workers atomic.Int32 // workers started, at most e.concurrency
	wg      sync.WaitGroup
	changed chan struct{} // a key was settled

	mu      sync.Mutex
	ring    []*slot
	head, n int // the window is ring[head], ... ring[head+n-1] (mod len)
	waiters int // keys waiting at the gate
}

func (e *Engine) verifyConcurrent(ctx context.Context, r inventory.KeyRange, in Inputs, emit func(*ledger.Entry) error) (ledger.Tally, error) {
	tally := ledger.NewTally()
	ctx, cancel := context.WithCancel(ctx)
	window := e.window
	if window <= 0 {
		window = max(minWindow, windowPerRequest*e.concurrency)
	}
	p := &pipeline{
		e:       e,
		ctx:     ctx,
		jobs:    make(chan func()),
		changed: make(chan struct{}, 1),
		ring:    make([]*slot, window),
	}
	defer func() {
		cancel()
		p.wg.Wait()
	}()
	out := func(d decision, key string) error {
		if d.skip {
			return nil
		}
		if err := emit(d.entry); err != nil {
			return fmt.Errorf("emitting entry %q: %w", key, err)
		}
		tally.Add(d.entry)
		return nil
	}
	m := newMerger(e.pair, r, in)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return tally, err
			}
		}
		s, err := p.free(out)
		if err != nil {
			return tally, err
		}
		ok, err := m.next(s.st)
		if err != nil {
			return tally, err
		}
		if !ok {
			break
		}
		if p.n == 0 {
			// Nothing waits: a key that needs no request is emitted at
			// once, straight from the sources' pages.
			d := e.judge(s.st)
			if !d.needs() {
				if err := out(d, s.st.key); err != nil {
					return tally, err
				}
				continue
			}
			s.st.detach()
			p.launch(s, d)
			continue
		}
		s.st.detach()
		if d := e.judge(s.st); d.needs() {
			p.launch(s, d)
		} else {
			p.admit(s, true, d)
		}
	}
	return tally, p.drain(out)
}

// free emits the settled keys at the window's head and returns the slot
// the next key goes into, waiting for the oldest key while the window is
// full. Only the merge's goroutine moves the window.
func (p *pipeline) free(out func(decision, string) error) (*slot, error) {
	for {
		if err := p.emitSettled(out); err != nil {
			return nil, err
		}
		if p.n < len(p.ring) {
			i := (p.head + p.n) % len(p.ring)
			if p.ring[i] == nil {
				p.ring[i] = &slot{st: newKeyState(len(p.e.pair.Legacy)), granted: make(chan struct{}, 1)}
			}
			return p.ring[i], nil
		}
		<-p.changed
	}
}

// emitSettled emits the keys at the head of the window that are settled.
func (p *pipeline) emitSettled(out func(decision, string) error) error {
	for p.n > 0 {
		s := p.ring[p.head]
		p.mu.Lock()
		done := s.done
		p.mu.Unlock()
		if !done {
			return nil
		}
		if s.err != nil {
			return s.err
		}
		if err := out(s.d, s.st.key); err != nil {
			return err
		}
		p.mu.Lock()
		p.head = (p.head + 1) % len(p.ring)
		p.n--
		if p.n == 0 {
			// Start again from the first slot: slots are made when first
			// used, so the window holds as many as ever waited at once,
			// not the whole ring.
			p.head = 0
		}
		p.mu.Unlock()
	}
	return nil
}

// drain emits every key left in the window, in order.
func (p *pipeline) drain(out func(decision, string) error) error {
	for {
		if err := p.emitSettled(out); err != nil {
			return err
		}
		if p.n == 0 {
			return nil
		}
		<-p.changed
	}
}

// admit appends the slot the merge just filled to the window: settled with
// d, or to be resolved.
func (p *pipeline) admit(s *slot, done bool, d decision) {
	p.mu.Lock()
	s.d, s.err = d, nil
	s.done, s.final = done, done
	s.pot = unbounded
	if done {
		s.pot = 0
	}
	s.want = nil
	p.n++
	p.mu.Unlock()
}

// launch admits the slot and resolves its key, from its first decision d,
// in a goroutine of its own.
func (p *pipeline) launch(s *slot, d decision) {
	p.admit(s, false, decision{})
	p.wg.Add(1)
	go p.resolve(s, d)
}

func (p *pipeline) resolve(s *slot, d decision) {
	defer p.wg.Done()
	d, err := p.settle(s, d)
	p.mu.Lock()
	s.d, s.err = d, err
	s.done, s.final, s.pot = true, true, 0
	if s.want != nil {
		s.want = nil
		p.waiters--
	}
	p.evaluate()
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// settle is Engine.settle with HEADs and reads issued together and the
// budget reserved at the gate.
func (p *pipeline) settle(s *slot, d decision) (decision, error) {
	for d.needs() {
		if len(d.heads) > 0 {
			p.mu.Lock()
			s.pot = unbounded // a HEAD may change a size
			p.mu.Unlock()
			if err := p.heads(s.st, d.heads); err != nil {
				return decision{}, err
			}
		}
		if len(d.reads) > 0 {
			todo, err := p.request(s, d.reads)
			if err != nil {
				return decision{}, err
			}
			if err := p.reads(s.st, todo); err != nil {
				return decision{}, err
			}
		}
		d = p.e.judge(s.st)
	}
	return d, nil
}

// submit runs job on a worker: an idle one, a new one while fewer than
// Concurrency have started, or else the first to come free. Workers stop
// when the pipeline's context ends; a job not taken by then is not run.
func (p *pipeline) submit(job func()) error {
	select {
	case p.jobs <- job:
		return nil
	default:
	}
	if p.workers.Add(1) <= int32(p.e.concurrency) {
		p.wg.Add(1)
		go p.work(job)
		return nil
	}
	p.workers.Add(-1)
	select {
	case p.jobs <- job:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

func (p *pipeline) work(job func()) {
	defer p.wg.Done()
	for {
		job()
		select {
		case job = <-p.jobs:
		case <-p.ctx.Done():
			return
		}
	}
}

// heads asks every store in idx for a HEAD of the key at once, and applies
// the answers in store order.
func (p *pipeline) heads(st *keyState, idx []int) error {
	type answer struct {
		fp  inventory.Fingerprint
		err error
	}
	answers := make([]answer, len(idx))
	var wg sync.WaitGroup
	var err error
	for j, i := range idx {
		st.headed[i] = true
		name := p.e.storeName(st, i)
		wg.Add(1)
		if err = p.submit(func() {
			defer wg.Done()
			answers[j].fp, answers[j].err = p.e.resolver.Head(p.ctx, name, st.key)
		}); err != nil {
			wg.Done()
			break
		}
	}
	wg.Wait()
	if err != nil {
		return fmt.Errorf("head %q: %w", st.key, err)
	}
	for j, i := range idx {
		if err := p.e.applyHead(p.ctx, st, i, answers[j].fp, answers[j].err); err != nil {
			return err
		}
	}
	return nil
}

// reads makes the granted content reads at once and applies the answers in
// order.
func (p *pipeline) reads(st *keyState, todo []readPlan) error {
	type answer struct {
		sums []inventory.Checksum
		err  error
	}
	answers := make([]answer, len(todo))
	var wg sync.WaitGroup
	var err error
	for j, r := range todo {
		req := p.e.readRequest(st, r)
		wg.Add(1)
		if err = p.submit(func() {
			defer wg.Done()
			answers[j].sums, answers[j].err = p.e.resolver.Read(p.ctx, req)
		}); err != nil {
			wg.Done()
			break
		}
	}
	wg.Wait()
	if err != nil {
		return fmt.Errorf("reading %q: %w", st.key, err)
	}
	refused := false
	for j, r := range todo {
		if refused {
			// A resolver that keeps its own budget refused an earlier
			// read: the serial path would not have asked for this one.
			continue
		}
		if err := p.e.applyRead(p.ctx, st, r, answers[j].sums, answers[j].err); err != nil {
			return err
		}
		refused = errors.Is(answers[j].err, ErrBudgetExhausted)
	}
	return nil
}

// request waits at the gate until the key's reads are reserved, and
// returns those that were: the serial path's reads, up to the first the
// budget refuses.
func (p *pipeline) request(s *slot, reads []readPlan) ([]readPlan, error) {
	p.mu.Lock()
	s.want = reads
	s.pot = p.e.potential(s.st)
	p.waiters++
	p.evaluate()
	p.mu.Unlock()
	select {
	case <-s.granted:
		return s.todo, nil
	case <-p.ctx.Done():
		p.mu.Lock()
		if s.want != nil {
			s.want = nil
			p.waiters--
		} else {
			<-s.granted // granted meanwhile: leave the slot clean
		}
		p.mu.Unlock()
		return nil, fmt.Errorf("reading %q: %w", s.st.key, p.ctx.Err())
	}
}

// evaluate lets through the keys waiting at the gate that may reserve now,
// in key order. p.mu is held.
func (p *pipeline) evaluate() {
	if p.waiters == 0 {
		return
	}
	frontier := true // every earlier key is final
	var before int64 // what the earlier keys may still reserve
	for k := 0; k < p.n; k++ {
		s := p.ring[(p.head+k)%len(p.ring)]
		if s.want != nil && p.grant(s, frontier, before) {
			s.want = nil
			p.waiters--
			s.granted <- struct{}{}
		}
		if !s.final && s.pot > 0 {
			frontier = false
			before = addSat(before, s.pot)
		}
	}
}

// grant reserves the reads s waits for, if it may: at the frontier as the
// serial path would; elsewhere all of them at once, if the budget keeps
// keep bytes for the earlier keys besides. p.mu is held, and s's goroutine
// waits for the grant, so its state is the gate's to change.
func (p *pipeline) grant(s *slot, frontier bool, keep int64) bool {
	e, st := p.e, s.st
	s.todo = s.todo[:0]
	switch {
	case e.budget == nil:
		for _, r := range s.want {
			st.read[r.store] = true
			s.todo = append(s.todo, r)
		}
	case frontier:
		for _, r := range s.want {
			st.read[r.store] = true
			if st.noRead != "" {
				continue
			}
			if !e.reserve(st, r, 0) {
				st.noRead = budgetSpent
				continue
			}
			s.todo = append(s.todo, r)
		}
	default:
		if keep == unbounded {
			return false
		}
		var total int64
		for _, r := range s.want {
			total = addSat(total, st.fp(r.store).Size)
		}
		if total == unbounded || !e.budget.Reserve(st.key, total, keep) {
			return false
		}
		for _, r := range s.want {
			st.read[r.store] = true
			s.todo = append(s.todo, r)
		}
	}
	s.pot = e.potential(st)
	return true
}

// potential is an upper bound on the bytes the key in s may still reserve:
// the sizes of the copies it may still read. A HEAD can change a size, so
// while a readable copy may still be headed there is no bound.
func (e *Engine) potential(s *keyState) int64 {
	if e.budget == nil || !e.policy.DeepVerify || s.noRead != "" {
		return 0
	}
	var sum int64
	for i := 0; i <= len(s.legacy); i++ {
		if s.read[i] || !e.canRead(s, i) {
			continue
		}
		if e.info(i).Features.Head && !s.headed[i] {
			return unbounded
		}
		sum = addSat(sum, s.fp(i).Size)
	}
	return sum
}

// info describes store i of the pair (the target is len(Legacy)).
func (e *Engine) info(i int) StoreInfo {
	if i == len(e.pair.Legacy) {
		return e.pair.Target
	}
	return e.pair.Legacy[i]
}

// addSat adds two non-negative sizes, saturating at unbounded.
func addSat(a, b int64) int64 {
	if b < 0 {
		b = 0
	}
	if a > unbounded-b {
		return unbounded
	}
	return a + b
}
