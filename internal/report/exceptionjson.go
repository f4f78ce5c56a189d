package report

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// exceptionIndent is the prefix of each line of an exception in
// report.json after its first: the exceptions array's depth.
const exceptionIndent = "    "

// appendException appends x as json.MarshalIndent(x, exceptionIndent, "  ")
// writes it, without reflection: report.json holds one exception a line
// group, often millions, and MarshalIndent (encoding, then indenting what
// it encoded) was most of the report's CPU. TestAppendExceptionIsMarshalIndent
// holds the two to the same bytes.
func appendException(b []byte, x *Exception) []byte {
	b = append(b, '{')
	b = stringMember(b, 1, "pair", x.Pair)
	b = stringMember(append(b, ','), 1, "key", x.Key)
	b = stringMember(append(b, ','), 1, "verdict", string(x.Verdict))
	b = stringMember(append(b, ','), 1, "severity", string(x.Severity))
	b = stringMember(append(b, ','), 1, "evidence", string(x.Evidence))
	b = stringMember(append(b, ','), 1, "detail", x.Detail)
	if len(x.Stores) > 0 {
		b = field(append(b, ','), 1, "stores")
		b = append(b, '[')
		for i := range x.Stores {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, 2)
			b = appendExceptionStore(b, &x.Stores[i])
		}
		b = newline(b, 1)
		b = append(b, ']')
	}
	b = newline(b, 0)
	return append(b, '}')
}

// appendExceptionStore appends s at depth 2 (an element of stores).
func appendExceptionStore(b []byte, s *ExceptionStore) []byte {
	b = append(b, '{')
	b = stringMember(b, 3, "store", s.Store)
	b = stringMember(append(b, ','), 3, "role", s.Role)
	b = stringMember(append(b, ','), 3, "presence", s.Presence)
	b = field(append(b, ','), 3, "size")
	b = strconv.AppendInt(b, s.Size, 10)
	if len(s.Checksums) > 0 {
		b = field(append(b, ','), 3, "checksums")
		b = append(b, '[')
		for i, c := range s.Checksums {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, 4)
			b = appendJSONString(b, c)
		}
		b = newline(b, 3)
		b = append(b, ']')
	}
	b = newline(b, 2)
	return append(b, '}')
}

// stringMember appends a member named name whose value is the string s,
// on a new line at depth.
func stringMember(b []byte, depth int, name, s string) []byte {
	return appendJSONString(field(b, depth, name), s)
}

// field begins a member named name at depth: a new line, then `"name": `.
func field(b []byte, depth int, name string) []byte {
	b = newline(b, depth)
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':', ' ')
}

// newline begins a line at depth below the exception's first.
func newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	b = append(b, exceptionIndent...)
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// appendJSONString appends s as encoding/json writes a string, HTML
// escaping on. Most strings of a report (keys, checksums, verdicts) are
// printable ASCII with nothing to escape, and are copied; any other is
// left to encoding/json, so that the escaping stays exactly its own.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ', c >= utf8.RuneSelf, c == '"', c == '\\', c == '<', c == '>', c == '&':
			q, err := json.Marshal(s)
			if err != nil {
				panic("report: a string did not encode: " + err.Error()) // json.Marshal encodes every string
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
