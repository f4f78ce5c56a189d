package verify

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/pkg/inventory"
)

// First-run planning: with no previous ledger to cut a pair by, its key
// space is sampled through the stores' KeySampler, one listing request per
// sample and at most planCalls of them, and cut into shards of about even
// sizes.
//
// Each sample is the (sampleKeys) keys after a point. A sample tells
// exactly which keys lie between its point and its last key; between
// samples the number of keys is estimated from how densely the samples
// around hold them. Density is measured on positions: a key's place in
// [0, 1) when each character is read as a digit of the alphabet seen at
// its depth (with the whole class of a digit or letter seen: a counter's
// digits, hex names), so that keys of regular layouts are evenly spread.
//
// The first sample shows how keys begin. A round of skip samples, one past
// the last key's prefix at each depth where a single character was seen,
// finds how far the key space reaches (a counter's higher digits, the
// next folder), each answered from an earlier one where it can
// (sampleNested); a scan samples the start of every character at the first
// depth where keys differ. Then rounds of samples go where the most keys
// are estimated to be unseen — first skip samples where a folder may go on
// past a sample — until no gap between samples could hold more than half
// a shard, or the calls are spent. Cuts fall on sampled keys,
// and at interpolated positions between samples.
//
// Even layouts — one flat prefix of counters, folders of about even
// sizes, hash names — are cut within a few percent. A layout where one
// folder holds most keys among many small ones of another naming can be
// cut unevenly: how far that folder goes is known only where samples
// land, and densities measured inside a small folder do not extrapolate
// across it. A later run splits a shard that grew past twice the shard
// size at keys its ledger gives (planFromLedger).

const (
	// planCalls bounds the listing requests planning one pair makes.
	planCalls = 128
	// sampleKeys is how many keys one sample asks for: enough to tell how
	// densely keys lie where it lands, few enough that sampling costs a
	// small part of listing the pair.
	sampleKeys = 100
	// planRound is how many samples go out at once.
	planRound = 16
	// planSkips bounds the skip samples.
	planSkips = 32
	// minShardPages is the fewest pages of keys a shard is cut to hold when
	// a pair is cut into more shards than its size asks, so that every
	// worker has one.
	minShardPages = 10
	// maxDepth bounds the depths of keys the alphabets look at.
	maxDepth = 200
	// maxShards bounds the shards of one pair a first run is cut into.
	maxShards = 1 << 20
)

// planReport is what planning a pair cost and found, for the run's log.
type planReport struct {
	Store     string
	Calls     int
	Sampled   int
	Estimated int64
	Shards    int
	Took      time.Duration
}

// planFirstRun cuts a pair with no previous ledger into shards, sampling
// its first legacy store (or the next store of the pair if that holds
// less than a page of keys). Stores that cannot sample keys are cut at
// their common prefixes instead.
func (r *Verifier) planFirstRun(ctx context.Context, pair config.Pair) ([]inventory.KeyRange, error) {
	t0 := time.Now()
	names := append(slices.Clone(pair.Legacy), pair.Target)
	page := max(1, r.cfg.Run.PageSize)
	var best *sampler
	for _, name := range names {
		s, err := r.openStore(ctx, name)
		if err != nil {
			return nil, err
		}
		ks, ok := s.(inventory.KeySampler)
		if !ok {
			r.log.Info("planning by common prefixes: a store cannot sample its keys", "pair", pair.Name, "store", name)
			return r.planFromPrefixes(ctx, names)
		}
		sm := &sampler{name: name, ks: ks, page: page, maxCalls: planCalls, skipped: map[string]bool{}}
		if err := sm.sample(ctx, []sampleReq{{after: "", n: sm.skipKeys()}}); err != nil {
			return nil, err
		}
		if best == nil || len(sm.keys) > len(best.keys) {
			best = sm
		}
		if sm.probes[0].more {
			break // more than a page: this store is sampled
		}
	}
	if !best.probes[0].more {
		// Every key seen in one sample: cut at the folders, as ever.
		return r.planFromPrefixes(ctx, names)
	}
	workers := max(1, r.cfg.Run.Workers)
	ranges, rep, err := best.plan(ctx, int64(r.cfg.Run.ShardSize), workers)
	if err != nil {
		return nil, fmt.Errorf("sampling %s: %w", best.name, err)
	}
	rep.Took = time.Since(t0)
	r.log.Info("planned pair by sampling its keys", "pair", pair.Name, "store", rep.Store, "list_calls", rep.Calls,
		"keys_sampled", rep.Sampled, "keys_estimated", rep.Estimated, "shards", rep.Shards, "took", rep.Took.Round(time.Millisecond).String())
	return ranges, nil
}

// sampler is what sampling one store has learned of its keys.
type sampler struct {
	name     string
	ks       inventory.KeySampler
	page     int
	calls    int
	maxCalls int

	probes  []probe
	keys    []string // every key sampled, sorted, distinct
	alpha   alphabets
	skipped map[string]bool // keys skip samples went after
}

// probe is one sample: the keys after a point, and whether more follow.
type probe struct {
	after string
	keys  []string
	more  bool
}

type sampleReq struct {
	after string
	n     int
}

// sample makes the requests at once, within the calls left, and learns
// from them.
func (s *sampler) sample(ctx context.Context, reqs []sampleReq) error {
	reqs = reqs[:min(len(reqs), s.maxCalls-s.calls)]
	out := make([]probe, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, q := range reqs {
		wg.Go(func() {
			keys, more, err := s.ks.SampleKeys(ctx, q.after, q.n)
			out[i], errs[i] = probe{after: q.after, keys: keys, more: more && len(keys) > 0}, err
		})
	}
	wg.Wait()
	s.calls += len(reqs)
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("sampling the keys of %s after %q: %w", s.name, reqs[i].after, err)
		}
	}
	for _, p := range out {
		s.probes = append(s.probes, p)
		s.keys = append(s.keys, p.keys...)
	}
	slices.Sort(s.keys)
	s.keys = slices.Compact(s.keys)
	s.alpha = newAlphabets(s.keys)
	return nil
}

// skipBatch is how many skip samples go out at once: the rest may be
// answered by what those return (see sampleNested).
const skipBatch = 4

// sampleNested makes the requests, smallest points first, skipBatch at a
// time, and answers a request from a sample already made where it can:
// a sample after p that returned keys up to h (or every key after p)
// answers every request after a point in [p, h) (or after p) with the
// sampled keys past that point. Skip samples are nested so — one past a
// prefix at a deeper depth lies before one at a shallower depth — and on
// a key space whose folders end soon after a sample, most of them fall
// inside an earlier answer. On 100,000 keys (the planner tests) the skip
// round made 12 calls instead of 26 on 100 folders, 8 instead of 25 on one
// flat prefix, 4 instead of 10 on hash names.
func (s *sampler) sampleNested(ctx context.Context, reqs []sampleReq) error {
	reqs = slices.Clone(reqs)
	slices.SortFunc(reqs, func(a, b sampleReq) int { return strings.Compare(a.after, b.after) })
	var made []probe
	for len(reqs) > 0 && s.calls < s.maxCalls {
		var ask []sampleReq
		k := 0
		for ; k < len(reqs) && len(ask) < skipBatch; k++ {
			if d, ok := answered(made, reqs[k]); ok {
				s.probes = append(s.probes, d) // its keys are known
				continue
			}
			ask = append(ask, reqs[k])
		}
		reqs = reqs[k:]
		if len(ask) == 0 {
			break
		}
		n := len(s.probes)
		if err := s.sample(ctx, ask); err != nil {
			return err
		}
		made = append(made, s.probes[n:]...)
	}
	return nil
}

// answered returns the answer to q that a sample made holds, if one does.
func answered(made []probe, q sampleReq) (probe, bool) {
	for _, p := range made {
		if q.after < p.after {
			continue
		}
		hi := ""
		if len(p.keys) > 0 {
			hi = p.keys[len(p.keys)-1]
		}
		if p.more && q.after >= hi {
			continue // past what p saw
		}
		i := sort.SearchStrings(p.keys, q.after)
		if i < len(p.keys) && p.keys[i] == q.after {
			i++
		}
		keys := p.keys[i:min(len(p.keys), i+q.n)]
		more := p.more || i+q.n < len(p.keys)
		return probe{after: q.after, keys: keys, more: more && len(keys) > 0}, true
	}
	return probe{}, false
}

// plan samples until the estimate is good enough or the calls are spent,
// and cuts the key space into shards of about size keys (smaller, down to
// minShardPages pages, so that there are at least workers shards).
func (s *sampler) plan(ctx context.Context, size int64, workers int) ([]inventory.KeyRange, planReport, error) {
	if len(s.probes) > 0 && s.probes[len(s.probes)-1].more {
		if err := s.sampleNested(ctx, s.skips()); err != nil {
			return nil, planReport{}, err
		}
		if err := s.sample(ctx, s.scan()); err != nil {
			return nil, planReport{}, err
		}
		for s.calls < s.maxCalls {
			reqs := s.refine(s.target(size, workers))
			if len(reqs) == 0 {
				break
			}
			if err := s.sample(ctx, reqs); err != nil {
				return nil, planReport{}, err
			}
		}
	}
	sp := s.spans()
	total := s.total(sp)
	target := s.target(size, workers)
	ranges := s.cut(sp, total, target)
	return ranges, planReport{Store: s.name, Calls: s.calls, Sampled: len(s.keys), Estimated: int64(math.Round(total)), Shards: len(ranges)}, nil
}

// target is the number of keys a shard aims at, given the estimate so far.
func (s *sampler) target(size int64, workers int) float64 {
	total := s.total(s.spans())
	per := math.Ceil(total / float64(workers))
	return max(1, min(float64(size), max(per, float64(minShardPages*s.page))))
}

// skips are samples past the last key seen, one per depth at which all
// keys seen so far have the same character: each tells whether any key
// goes on with a greater one there.
func (s *sampler) skips() []sampleReq {
	last := s.keys[len(s.keys)-1]
	var depths []int
	for d := range min(len(last), maxDepth) {
		if c := last[d]; c < utf8.RuneSelf-1 && s.alpha.size(d) == 1 {
			depths = append(depths, d)
		}
	}
	var reqs []sampleReq
	for i := range min(len(depths), planSkips) {
		d := depths[i*len(depths)/min(len(depths), planSkips)] // spread over the depths when there are more
		reqs = append(reqs, sampleReq{after: last[:d] + string(rune(last[d]+1)), n: s.skipKeys()})
	}
	return reqs
}

// skipKeys is how many keys a sample asks for.
func (s *sampler) skipKeys() int { return sampleKeys }

// scan samples the start of every character at the first depth where keys
// differ, so that the first keys of each group there (a folder, a letter)
// are seen, however few or many it holds.
func (s *sampler) scan() []sampleReq {
	d := 0
	for d < len(s.alpha.syms) && s.alpha.size(d) == 1 {
		d++
	}
	if d >= len(s.alpha.syms) {
		return nil
	}
	prefix := s.keys[0][:d]
	var syms []int16
	for _, c := range s.alpha.syms[d] {
		if c >= 0 && c < utf8.RuneSelf {
			syms = append(syms, c)
		}
	}
	n := min(len(syms), planSkips)
	var reqs []sampleReq
	for i := range n {
		reqs = append(reqs, sampleReq{after: prefix + string(rune(syms[i*len(syms)/n])), n: s.skipKeys()})
	}
	return reqs
}

// span is a stretch of the key space every key of which was sampled:
// the keys in (lo, hi], or every key after lo when end is set.
type span struct {
	lo, hi string
	end    bool
	i, j   int // the span's keys are keys[i:j]
}

// spans merges the samples into the stretches they cover, in order.
func (s *sampler) spans() []span {
	ps := slices.Clone(s.probes)
	sort.SliceStable(ps, func(a, b int) bool { return ps[a].after < ps[b].after })
	var out []span
	for _, p := range ps {
		if len(p.keys) == 0 && p.more {
			continue // tells nothing
		}
		hi := ""
		if len(p.keys) > 0 {
			hi = p.keys[len(p.keys)-1]
		}
		if n := len(out); n > 0 {
			c := &out[n-1]
			if c.end {
				continue
			}
			if p.after <= c.hi {
				c.hi = max(c.hi, hi)
				c.end = !p.more
				continue
			}
		}
		out = append(out, span{lo: p.after, hi: hi, end: !p.more})
	}
	for k := range out {
		sp := &out[k]
		sp.i = sort.SearchStrings(s.keys, sp.lo)
		if sp.i < len(s.keys) && s.keys[sp.i] == sp.lo {
			sp.i++
		}
		switch {
		case sp.end:
			sp.j = len(s.keys)
		case sp.hi == "":
			sp.j = sp.i
		default:
			sp.j = sort.SearchStrings(s.keys, sp.hi) + 1
		}
	}
	return out
}

// gap is the unsampled stretch after span k: (spans[k].hi, spans[k+1].lo],
// or every key after spans[k].hi when k is the last span (hi is "").
type gap struct {
	k        int
	lo, hi   string
	width    float64
	estimate float64
	// uncertain: the keys at the end of the stretch before it lie far
	// closer than the estimate assumes; a folder may go on into the gap.
	uncertain bool
}

// maxEstimate bounds what one gap is estimated to hold, so that no
// precision lost on positions makes a plan of absurd size.
const maxEstimate = 1e12

// gaps estimates the keys in each unsampled stretch.
func (s *sampler) gaps(sp []span) []gap {
	var out []gap
	for k := range sp {
		if sp[k].end {
			break
		}
		g := gap{k: k, lo: sp[k].hi}
		if k < len(sp)-1 {
			g.hi = sp[k+1].lo
		}
		g.width = s.alpha.width(g.lo, g.hi)
		if g.width > 0 {
			g.estimate = min(maxEstimate, g.width*s.density(sp, k))
			g.uncertain = !s.skipped[g.lo] && g.width*s.inside(sp[k]) > 10*max(1, g.estimate)
		}
		out = append(out, g)
	}
	return out
}

// density is the keys per unit of position around the gap after span k:
// from the nearest sampled stretches on either side that hold enough keys
// to tell, each from where it was sampled to its last key. The stretch
// before a sample's first key tells how far apart keys lie at the scale
// gaps span (from one folder to the next), the keys after it how closely
// inside one.
func (s *sampler) density(sp []span, k int) float64 {
	var n, w float64
	add := func(x span, least int) bool {
		if x.j-x.i < least {
			return false
		}
		from := x.lo
		if x.lo == "" {
			from = s.keys[x.i] // the first sample starts before any key could
		}
		n += float64(x.j - x.i)
		w += s.alpha.width(from, s.keys[x.j-1])
		return true
	}
	full := max(2, min(50, s.page/2))
	for l := k; l >= 0 && !add(sp[l], full); l-- {
	}
	for r := k + 1; r < len(sp) && !add(sp[r], full); r++ {
	}
	if n == 0 {
		for _, x := range sp {
			add(x, 2)
		}
	}
	if n == 0 {
		return 0
	}
	if w <= 0 {
		return maxEstimate // keys closer than positions tell apart
	}
	return n / w
}

// inside is how densely the keys of span x lie among themselves, from its
// first key to its last.
func (s *sampler) inside(x span) float64 {
	if x.j-x.i < 2 {
		return 0
	}
	w := s.alpha.width(s.keys[x.i], s.keys[x.j-1])
	if w <= 0 {
		return maxEstimate
	}
	return float64(x.j-x.i-1) / w
}

// total is the estimated number of keys.
func (s *sampler) total(sp []span) float64 {
	t := float64(len(s.keys))
	for _, g := range s.gaps(sp) {
		t += g.estimate
	}
	return t
}

// refine returns the next round of samples. First, after the last key
// before each uncertain gap, skip samples at a few depths: where the folder
// it is in, and the folders around it, end (a folder holding most of the
// keys looks, in its first keys, like any other). Then samples spread over
// the gaps that may hold the most keys, in proportion. It stops when no gap
// is uncertain and none may hold half a shard.
func (s *sampler) refine(target float64) []sampleReq {
	sp := s.spans()
	gs := s.gaps(sp)
	slices.SortFunc(gs, func(a, b gap) int {
		switch {
		case a.estimate > b.estimate:
			return -1
		case a.estimate < b.estimate:
			return 1
		}
		return 0
	})
	n := min(planRound, s.maxCalls-s.calls)
	var reqs []sampleReq
	seen := map[string]bool{}
	ask := func(at, lo, hi string) {
		if at > lo && (hi == "" || at < hi) && !seen[at] {
			seen[at] = true
			reqs = append(reqs, sampleReq{after: at, n: s.skipKeys()})
		}
	}
	for _, g := range gs {
		if len(reqs) >= n/2 {
			break
		}
		if !g.uncertain {
			continue
		}
		s.skipped[g.lo] = true
		d, _ := s.alpha.common(g.lo, g.hi)
		if g.hi == "" {
			d = 0
		}
		for _, at := range extentSkips(g.lo, d+1, s.alpha, min(4, n/2-len(reqs))) {
			ask(at, g.lo, g.hi)
		}
	}
	// Each gap that could hold more than half a shard gets as many samples
	// as would cut it into stretches of half a shard at most (one for a
	// gap of up to a shard), the biggest gaps first, as far as the round
	// goes. (Stopping at a quarter of a shard, with the round shared in
	// proportion, cut 100,000 keys within 3% but with 76 calls against 32
	// on one flat prefix, 69 against 31 on hash names; each call costs
	// some stores as much as a page of the listing.)
	for _, g := range gs {
		if len(reqs) >= n || g.estimate <= target/2 {
			break
		}
		k := int(math.Ceil(g.estimate/(target/2))) - 1
		k = max(1, min(k, n-len(reqs)))
		for j := 1; j <= k; j++ {
			ask(s.alpha.between(g.lo, g.hi, float64(j)/float64(k+1)), g.lo, g.hi)
		}
	}
	return reqs
}

// extentSkips are up to n skip samples after key, at depths from from on,
// spread from the deepest (the end of key's own run) to the shallowest
// (the end of the group of folders it is in).
func extentSkips(key string, from int, a alphabets, n int) []string {
	var depths []int
	for d := min(len(key), len(a.syms)) - 1; d >= from; d-- {
		if key[d] < utf8.RuneSelf-1 {
			depths = append(depths, d)
		}
	}
	var out []string
	for i := range min(n, len(depths)) {
		d := depths[i*(len(depths)-1)/max(1, min(n, len(depths))-1)]
		out = append(out, key[:d]+string(rune(key[d]+1)))
	}
	return out
}

// cut cuts the key space into ranges of about target keys each.
func (s *sampler) cut(sp []span, total, target float64) []inventory.KeyRange {
	shards := min(maxShards, max(1, int(math.Round(total/target))))
	var cuts []string
	if shards > 1 {
		per := total / float64(shards)
		gs := s.gaps(sp)
		next := per // the count at which the next cut falls
		var count float64
		add := func(c string) {
			if c != "" && utf8.ValidString(c) && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
				cuts = append(cuts, c)
			}
		}
		gi := 0
		for k := range sp {
			n := float64(sp[k].j - sp[k].i)
			for next < count+n && len(cuts) < shards-1 {
				add(s.keys[sp[k].i+int(next-count)])
				next += per
			}
			count += n
			if gi < len(gs) && gs[gi].k == k {
				g := gs[gi]
				gi++
				est := g.estimate
				for next < count+est && len(cuts) < shards-1 {
					c := s.alpha.between(g.lo, g.hi, (next-count)/est)
					if c <= g.lo || g.hi != "" && c > g.hi {
						c = g.lo // no key can be made there: cut at the last key sampled
					}
					add(c)
					next += per
				}
				count += est
			}
		}
	}
	out := make([]inventory.KeyRange, 0, len(cuts)+1)
	start := ""
	for _, c := range cuts {
		out = append(out, inventory.KeyRange{Start: start, End: c})
		start = c
	}
	return append(out, inventory.KeyRange{Start: start})
}

// alphabets reads keys as numbers in [0, 1): at each depth, the characters
// seen there (and the end of a key, before every character) are the digits
// of that place, in byte order. A depth where every key has the same
// character takes no place.
type alphabets struct {
	syms [][]int16 // per depth: the digits, -1 for the end of a key
}

func newAlphabets(keys []string) alphabets {
	depth := 0
	for _, k := range keys {
		depth = max(depth, min(len(k), maxDepth))
	}
	var a alphabets
	varying := false
	hex := hexNames(keys, depth)
	for d := range depth {
		var seen [256]bool
		end := false
		for _, k := range keys {
			if d < len(k) {
				seen[k[d]] = true
			} else {
				end = true
			}
		}
		// A digit or a letter seen stands for its whole class.
		var lowerHex, lowerAll, upperHex, upperAll bool
		for c := range 256 {
			switch {
			case !seen[c]:
			case c >= 'a' && c <= 'f':
				lowerHex = true
			case c >= 'g' && c <= 'z':
				lowerAll = true
			case c >= 'A' && c <= 'F':
				upperHex = true
			case c >= 'G' && c <= 'Z':
				upperAll = true
			}
		}
		distinct := 0
		for c := range 256 {
			if seen[c] {
				distinct++
			}
		}
		if end {
			distinct++
		}
		digits := anyIn(&seen, '0', '9')
		var syms []int16
		if end {
			syms = append(syms, -1)
		}
		for c := range 256 {
			in := seen[c]
			if distinct > 1 {
				// Letters with digits and no letter past f are hex digits;
				// other letters stand for the whole alphabet.
				lower := lowerAll || lowerHex && !digits && !hex
				upper := upperAll || upperHex && !digits
				in = in || hex && (digits || lowerHex) && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f') ||
					c >= '0' && c <= '9' && digits ||
					c >= 'a' && c <= 'f' && lowerHex || c >= 'a' && c <= 'z' && lower ||
					c >= 'A' && c <= 'F' && upperHex || c >= 'A' && c <= 'Z' && upper
			}
			if in {
				syms = append(syms, int16(c))
			}
		}
		if distinct > 1 && !varying {
			// At the first depth where keys differ, a digit below and above
			// the characters seen stands for those not seen yet, so that
			// samples reach them. Deeper, pages show every character used
			// (but for hex, below).
			varying = true
			first := 0
			if end {
				first = 1
			}
			if lo := syms[first]; lo > ' ' {
				syms = slices.Insert(syms, first, lo-1)
			}
			if hi := syms[len(syms)-1]; hi < '~' {
				syms = append(syms, hi+1)
			}
		}
		a.syms = append(a.syms, syms)
	}
	return a
}

// hexNames reports whether keys look like hex names (hashes, UUIDs): where
// they differ, they show a-f with digits, and never g-z. Then every such depth can hold
// any hex digit, although a sample seen only some: keys next to each other
// share their first hex digits.
func hexNames(keys []string, depth int) bool {
	hex := false
	for d := range depth {
		var seen [256]bool
		distinct := 0
		for _, k := range keys {
			if d < len(k) && !seen[k[d]] {
				seen[k[d]] = true
				distinct++
			}
		}
		if distinct < 2 {
			continue
		}
		if anyIn(&seen, 'g', 'z') {
			return false
		}
		hex = hex || anyIn(&seen, 'a', 'f') && anyIn(&seen, '0', '9')
	}
	return hex
}

func anyIn(seen *[256]bool, lo, hi byte) bool {
	for c := int(lo); c <= int(hi); c++ {
		if seen[c] {
			return true
		}
	}
	return false
}

// size is the number of digits at depth d (1 past the known depths).
func (a alphabets) size(d int) int {
	if d >= len(a.syms) {
		return 1
	}
	return len(a.syms[d])
}

// sym is the digit of key at depth d: its byte, or -1 past its end.
func sym(key string, d int) int16 {
	if d < len(key) {
		return int16(key[d])
	}
	return -1
}

// from is the place of key among the keys that share its first d bytes,
// in [0, 1). It never decreases along byte order.
func (a alphabets) from(key string, d int) float64 {
	x, scale := 0.0, 1.0
	for ; d < len(a.syms); d++ {
		syms := a.syms[d]
		r, found := slices.BinarySearch(syms, sym(key, d)) // r: the digits below it
		if len(syms) == 1 {
			switch {
			case found:
				continue
			case r == 0:
				return x // before every key seen here
			default:
				return x + scale // after every key seen here
			}
		}
		scale /= float64(len(syms))
		x += float64(r) * scale
		if !found || scale < 1e-300 {
			break // a character that is no digit here: nothing deeper counts
		}
	}
	return x
}

// pos is the place of key in [0, 1).
func (a alphabets) pos(key string) float64 { return a.from(key, 0) }

// common returns the depth at which lo and hi part, and the share of the
// whole key space the keys that share their first d bytes take.
func (a alphabets) common(lo, hi string) (d int, scale float64) {
	scale = 1
	for ; d < len(lo) && d < len(hi) && lo[d] == hi[d] && d < len(a.syms); d++ {
		if n := len(a.syms[d]); n > 1 {
			scale /= float64(n)
		}
	}
	return d, scale
}

// width is the share of the key space between lo and hi ("" for the end of
// the key space), measured from where they part so that keys deep in a
// long common prefix keep their precision.
func (a alphabets) width(lo, hi string) float64 {
	if hi == "" {
		return max(0, 1-a.pos(lo))
	}
	d, scale := a.common(lo, hi)
	return max(0, scale*(a.from(hi, d)-a.from(lo, d)))
}

// between returns a string at the fraction f of the way from lo to hi (""
// for the end of the key space), made valid UTF-8.
func (a alphabets) between(lo, hi string, f float64) string {
	if hi == "" {
		x := a.pos(lo)
		return a.keyFrom("", 0, x+f*(1-x))
	}
	d, _ := a.common(lo, hi)
	x, y := a.from(lo, d), a.from(hi, d)
	return a.keyFrom(lo[:d], d, x+f*(y-x))
}

// keyFrom is the least string the alphabets read, from depth d on, as
// place x after prefix, within their precision.
func (a alphabets) keyFrom(prefix string, d int, x float64) string {
	var b strings.Builder
	b.WriteString(prefix)
	scale := 1.0
	for ; d < len(a.syms); d++ {
		syms := a.syms[d]
		if len(syms) == 1 {
			if syms[0] < 0 {
				break
			}
			b.WriteByte(byte(syms[0]))
			continue
		}
		n := float64(len(syms))
		r := min(len(syms)-1, max(0, int(x*n)))
		x = x*n - float64(r)
		scale /= n
		if syms[r] < 0 {
			break
		}
		b.WriteByte(byte(syms[r]))
		if scale < 1e-15 {
			break // the place says nothing deeper
		}
	}
	return strings.ToValidUTF8(b.String(), "")
}
