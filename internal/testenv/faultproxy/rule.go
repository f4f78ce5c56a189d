package faultproxy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of fault.
type Kind string

// The kinds of fault the proxy injects.
const (
	// KindStatus answers with an S3 error status (429 or 503 SlowDown, with
	// Retry-After) instead of forwarding the request.
	KindStatus Kind = "status"
	// KindReset closes the connection with a TCP reset (SO_LINGER 0)
	// instead of forwarding the request.
	KindReset Kind = "reset"
	// KindDropAnswer forwards the request, so that it takes effect, and
	// then closes the connection with a TCP reset instead of answering:
	// the client cannot tell whether a write happened.
	KindDropAnswer Kind = "drop-answer"
	// KindTruncate forwards the request and cuts the answer's body short,
	// keeping its Content-Length, then closes the connection.
	KindTruncate Kind = "truncate"
	// KindMalformedXML forwards the request and replaces a 200 XML answer
	// with malformed XML (the start of the answer, then a stray end tag),
	// with a Content-Length that matches it.
	KindMalformedXML Kind = "malformed-xml"
	// KindStall holds the request for a while before forwarding it, or
	// until the client gives up.
	KindStall Kind = "stall"
)

// Fault is what the proxy does to a request a [Rule] chose. Build one with
// [SlowDown], [TooManyRequests], [Unavailable], [Reset], [DropAnswer], [Truncate],
// [MalformedXML] or [Stall].
type Fault struct {
	Kind Kind
	// Status, Code and RetryAfter shape a KindStatus answer; RetryAfter is
	// sent in whole seconds, rounded up, and left out when zero.
	Status     int
	Code       string
	RetryAfter time.Duration
	// Keep is how many bytes of the body a KindTruncate answer delivers
	// (at most all but one).
	Keep int64
	// For is how long a KindStall holds the request before forwarding it;
	// zero holds it until the client gives up (or the proxy closes).
	For time.Duration
}

// SlowDown is S3's throttling answer: 503 SlowDown with Retry-After.
func SlowDown(retryAfter time.Duration) Fault {
	return Fault{Kind: KindStatus, Status: 503, Code: "SlowDown", RetryAfter: retryAfter}
}

// TooManyRequests is 429 SlowDown with Retry-After, the throttling answer
// of some S3-compatible stores.
func TooManyRequests(retryAfter time.Duration) Fault {
	return Fault{Kind: KindStatus, Status: 429, Code: "SlowDown", RetryAfter: retryAfter}
}

// Unavailable is 503 ServiceUnavailable with Retry-After.
func Unavailable(retryAfter time.Duration) Fault {
	return Fault{Kind: KindStatus, Status: 503, Code: "ServiceUnavailable", RetryAfter: retryAfter}
}

// Reset closes the client's connection with a TCP reset.
func Reset() Fault { return Fault{Kind: KindReset} }

// DropAnswer forwards the request, then resets the connection instead of
// answering.
func DropAnswer() Fault { return Fault{Kind: KindDropAnswer} }

// Truncate delivers the first keep bytes of the answer's body (at most
// all but one), with the answer's Content-Length, and closes the
// connection. An answer without a body (HEAD, an empty object) cannot be
// cut: it passes unchanged and the fault is not counted.
func Truncate(keep int64) Fault { return Fault{Kind: KindTruncate, Keep: keep} }

// MalformedXML replaces a 200 answer whose body is XML with malformed XML.
// Other answers pass unchanged and the fault is not counted.
func MalformedXML() Fault { return Fault{Kind: KindMalformedXML} }

// Stall holds the request for d before forwarding it; Stall(0) holds it
// until the client gives up.
func Stall(d time.Duration) Fault { return Fault{Kind: KindStall, For: d} }

// Name is how [Stats] counts the fault: its kind, or for a KindStatus
// fault its status and code ("503-SlowDown").
func (f Fault) Name() string {
	if f.Kind == KindStatus {
		return strconv.Itoa(f.Status) + "-" + f.Code
	}
	return string(f.Kind)
}

func (f Fault) validate() error {
	switch f.Kind {
	case KindStatus:
		if f.Status < 400 || f.Status > 599 || f.Code == "" {
			return fmt.Errorf("a status fault needs a 4xx or 5xx status and a code, not %d %q", f.Status, f.Code)
		}
	case KindTruncate:
		if f.Keep < 0 {
			return fmt.Errorf("a truncation cannot keep %d bytes", f.Keep)
		}
	case KindStall:
		if f.For < 0 {
			return fmt.Errorf("a stall cannot last %s", f.For)
		}
	case KindReset, KindDropAnswer, KindMalformedXML:
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	return nil
}

// Rule chooses requests and the fault they get. The zero values of its
// selection fields match every request; a request must match all that are
// set. Of the matching requests, the first Skip pass untouched; after
// them each is faulted (with Probability, if set) until Limit faults have
// been injected.
//
// For example: the first three GetObjects of keys under "a/" get 503
// SlowDown:
//
//	Rule{Op: faultproxy.GetObject, KeyPrefix: "a/", Limit: 3, Fault: faultproxy.SlowDown(time.Second)}
//
// Only the fifth listing is reset:
//
//	Rule{Op: faultproxy.ListObjectsV2, Skip: 4, Limit: 1, Fault: faultproxy.Reset()}
//
// Each request, with probability 0.05, at most 20 in all, is stalled 2s:
//
//	Rule{Probability: 0.05, Limit: 20, Fault: faultproxy.Stall(2 * time.Second)}
type Rule struct {
	// Method is the HTTP method ("GET", "PUT", ...).
	Method string
	// Op is the S3 operation.
	Op Op
	// Bucket is the bucket's name.
	Bucket string
	// KeyPrefix matches object keys that start with it, and listings whose
	// prefix parameter starts with it.
	KeyPrefix string
	// Match, if set, must also accept the request. It is called with the
	// proxy's lock held: it must not call the proxy.
	Match func(Call) bool

	// Skip is how many matching requests pass before faults begin: the
	// Nth matching request alone is Skip: N-1, Limit: 1.
	Skip int
	// Limit is how many faults the rule injects at most; 0 is no limit.
	Limit int
	// Probability, if not zero, is the chance that a matching request
	// (past Skip, within Limit) is faulted, drawn from the proxy's seeded
	// random numbers.
	Probability float64

	// Fault is what chosen requests get.
	Fault Fault
}

func (r Rule) validate() error {
	if r.Skip < 0 || r.Limit < 0 {
		return errors.New("skip and limit cannot be negative")
	}
	if r.Probability < 0 || r.Probability > 1 {
		return fmt.Errorf("probability %v is not between 0 and 1", r.Probability)
	}
	return r.Fault.validate()
}

func (r Rule) matches(c Call) bool {
	if r.Method != "" && !strings.EqualFold(r.Method, c.Method) {
		return false
	}
	if r.Op != "" && r.Op != c.Op {
		return false
	}
	if r.Bucket != "" && r.Bucket != c.Bucket {
		return false
	}
	if r.KeyPrefix != "" {
		name := c.Key
		if name == "" {
			name = c.Prefix
		}
		if !strings.HasPrefix(name, r.KeyPrefix) {
			return false
		}
	}
	return r.Match == nil || r.Match(c)
}

// ruleState is a rule with its counts, guarded by the proxy's mutex.
type ruleState struct {
	Rule
	rng     *rand.Rand
	matched int // requests that matched
	faulted int // faults injected (or reserved, for faults decided on the answer)
}

func (s *ruleState) choose(c Call) bool {
	if !s.matches(c) {
		return false
	}
	s.matched++
	if s.matched <= s.Skip || (s.Limit > 0 && s.faulted >= s.Limit) {
		return false
	}
	if s.Probability > 0 && s.rng.Float64() >= s.Probability {
		return false
	}
	s.faulted++
	return true
}
