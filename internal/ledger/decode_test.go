package ledger

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkDecoders decodes line with the fast decoder and with encoding/json,
// and fails if the fast decoder accepts a line encoding/json refuses or
// decodes it to anything else. It reports whether the fast decoder
// accepted the line; when it did not, the Reader decodes the line with
// encoding/json alone.
func checkDecoders(t *testing.T, line []byte) bool {
	t.Helper()
	var d decoder
	var fast, slow Entry
	ok := d.entry(line, &fast)
	err := decodeJSON(line, &slow)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("the fast decoder accepted a line encoding/json refuses (%v):\n%s", err, line)
	}
	if diff := cmp.Diff(slow, fast); diff != "" {
		t.Fatalf("the fast decoder (+) and encoding/json (-) disagree on\n%s\n%s", line, diff)
	}
	// cmp compares times with their Equal method; their zones show in
	// their encoding.
	want, errWant := json.Marshal(slow)
	got, errGot := json.Marshal(fast)
	if diff := cmp.Diff(string(want), string(got)); diff != "" || errString(errWant) != errString(errGot) {
		t.Fatalf("decoded entries encode differently (+fast -encoding/json) %v %v:\n%s", errWant, errGot, diff)
	}
	return true
}

const (
	head    = `{"key":"k","verdict":"verified","evidence":"md5"`
	store   = `{"store":"s","role":"legacy","size":1}`
	comp    = `{"store":"s","evidence":"md5","result":"equal","legacy":"md5:00","target":"md5:00"}`
	sumJSON = `{"algorithm":"md5","type":"full_object","value":"00","source":"etag"}`
)

// TestDecoderMatchesEncodingJSON checks the fast decoder against
// encoding/json on the lines the encoder writes, which it must decode
// itself, and on lines it must leave to encoding/json.
func TestDecoderMatchesEncodingJSON(t *testing.T) {
	t.Run("what appendEntry writes", func(t *testing.T) {
		for name, e := range trickyEntries() {
			line, ok := appendEntry(nil, &e)
			if !ok {
				continue
			}
			var slow Entry
			if err := decodeJSON(line, &slow); err != nil {
				continue // an unknown verdict, a value that does not parse
			}
			if !checkDecoders(t, line) {
				t.Errorf("%s: the fast decoder left it to encoding/json:\n%s", name, line)
			}
		}
	})
	for _, tc := range []struct {
		name string
		line string
		fast bool // whether the fast decoder decodes it itself
	}{
		{"members in order", head + `,"detail":"d","stores":[` + store + `],"comparisons":[` + comp + `],"held_by":["s"],"proven_at":{"at":"2026-11-01T08:00:00Z","evidence":"md5","size":3},"deleted_at":"2026-11-02T00:00:00Z"}`, true},
		{"members left out", `{"verdict":"verified"}`, true},
		{"no verdict", `{"key":"k"}`, true},
		{"empty object", `{}`, true},
		{"empty proof", head + `,"proven_at":{}}`, true},
		{"escapes", head + `,"detail":"\"\\\/\b\f\n\r\t\u0000\u00e9\u2028\uFFFD\uabcd"}`, true},
		{"escaped verdict", `{"key":"k","verdict":"verif\u0069ed"}`, true},
		{"raw U+2028 and U+FFFD", head + `,"detail":"` + "\u2028\ufffd日本" + `"}`, true},
		{"DEL", head + `,"detail":"` + "\x7f" + `"}`, true},
		{"negative zero", `{"stores":[{"size":-0}]}`, true},
		{"largest and smallest sizes", `{"stores":[{"size":9223372036854775807},{"size":-9223372036854775808}]}`, true},
		{"false", `{"stores":[{"archived":false}],"comparisons":[{"carried":false}]}`, true},
		{"time zone", head + `,"deleted_at":"2026-11-02T00:00:00.5+05:30"}`, true},
		{"time zone hour 24, which time.Time reads", head + `,"deleted_at":"2026-11-02T00:00:00+24:00"}`, true},
		{"lowercase t and z", head + `,"deleted_at":"2026-11-02t00:00:00z"}`, false},
		{"every presence", `{"stores":[{"presence":"current"},{"presence":"delete_marker"},{"presence":"no_object"}]}`, true},
		{"baseline", head + `,"deleted_at":"2026-11-02T00:00:00Z","baseline":[{"store":"legacy-us","inventory":"s3://inv/m/manifest.json","date":"2024-01-02T03:04:00Z","size":3,"etag":"e","checksums":[{"algorithm":"md5","type":"full_object","value":"ab","source":"etag"}],"encryption":"NONE","version_id":"v"},{}]}`, true},
		{"baseline members out of order", head + `,"baseline":[{"date":"2024-01-02T03:04:00Z","store":"s"}]}`, false},
		{"baseline without a date is read", head + `,"baseline":[{"store":"s"}]}`, true},
		{"empty baseline", head + `,"baseline":[]}`, false},
		{"baseline before deleted_at", head + `,"baseline":[{}],"deleted_at":"2026-11-02T00:00:00Z"}`, false},
		{"a store's role in a baseline", head + `,"baseline":[{"role":"legacy"}]}`, false},

		{"unknown presence", `{"stores":[{"presence":"gone"}]}`, false},
		{"empty value", `{"comparisons":[{"legacy":""}]}`, false},
		{"value with a bad part count", `{"comparisons":[{"legacy":"md5:00-0"}]}`, false},
		{"negative size value", `{"comparisons":[{"legacy":"size:-1"}]}`, false},
		{"unknown verdict", `{"verdict":"fine"}`, false},
		{"empty verdict", `{"verdict":""}`, false},
		{"unknown evidence", `{"evidence":"vibes"}`, false},
		{"unknown field", head + `,"trust":"me"}`, false},
		{"field of a store at the top", head + `,"size":1}`, false},
		{"members out of order", `{"verdict":"verified","key":"k"}`, false},
		{"repeated member", `{"key":"a","key":"b"}`, false},
		{"member in another case", `{"Key":"k"}`, false},
		{"escaped member name", `{"k\u0065y":"k"}`, false},
		{"whitespace", `{"key": "k"}`, false},
		{"whitespace after", head + "} ", false},
		{"whitespace before", " " + head + "}", false},
		{"second value", head + `} {}`, false},
		{"closing brace after", head + `}}`, false},
		{"trailing comma", head + `,}`, false},
		{"null", `{"key":null}`, false},
		{"null proof", head + `,"proven_at":null}`, false},
		{"null time", head + `,"deleted_at":null}`, false},
		{"empty array", head + `,"held_by":[]}`, false},
		{"empty stores", head + `,"stores":[]}`, false},
		{"number for a string", `{"key":1}`, false},
		{"string for a number", `{"stores":[{"size":"1"}]}`, false},
		{"fraction", `{"stores":[{"size":1.0}]}`, false},
		{"exponent", `{"stores":[{"size":1e3}]}`, false},
		{"leading zero", `{"stores":[{"size":01}]}`, false},
		{"plus sign", `{"stores":[{"size":+1}]}`, false},
		{"overflow", `{"stores":[{"size":9223372036854775808}]}`, false},
		{"underflow", `{"stores":[{"size":-9223372036854775809}]}`, false},
		{"twenty digits", `{"stores":[{"size":10000000000000000000}]}`, false},
		{"surrogate pair", head + `,"detail":"\ud83d\ude00"}`, false},
		{"lone surrogate", head + `,"detail":"\ud800"}`, false},
		{"short unicode escape", head + `,"detail":"\u12"}`, false},
		{"unknown escape", head + `,"detail":"\x41"}`, false},
		{"single quote escape", head + `,"detail":"\'"}`, false},
		{"invalid UTF-8", head + ",\"detail\":\"\xff\"}", false},
		{"control character", head + ",\"detail\":\"\x01\"}", false},
		{"raw newline", head + ",\"detail\":\"\n\"}", false},
		{"escaped time", head + `,"deleted_at":"2026-11-02T00:00:00\u005a"}`, false},
		{"bad time", head + `,"deleted_at":"2026-13-02T00:00:00Z"}`, false},
		{"time without zone", head + `,"deleted_at":"2026-11-02T00:00:00"}`, false},
		{"number for a time", head + `,"deleted_at":1}`, false},
		{"object for a list", head + `,"stores":{}}`, false},
		{"array at the top", `[]`, false},
		{"cut", head, false},
		{"cut in a string", `{"key":"k`, false},
		{"cut in an escape", `{"key":"k\`, false},
		{"empty line", ``, false},
		{"numbers in a name list", head + `,"held_by":[1]}`, false},
		{"nested array", head + `,"held_by":[["a"]]}`, false},
		{"true for a string", `{"key":true}`, false},
		{"bool cut", `{"stores":[{"archived":tru}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkDecoders(t, []byte(tc.line)); got != tc.fast {
				t.Errorf("decoded by the fast decoder: %v, want %v", got, tc.fast)
			}
		})
	}
}

// FuzzDecoder feeds arbitrary lines to both decoders.
func FuzzDecoder(f *testing.F) {
	for _, e := range trickyEntries() {
		if line, ok := appendEntry(nil, &e); ok {
			f.Add(string(line))
		}
	}
	f.Add(head + `,"stores":[` + store + `,{"store":"t","role":"target","presence":"delete_marker","size":-0,"checksums":[` + sumJSON + `],"created":"2026-11-01T08:00:00.000000001+01:00"}],"comparisons":[` + comp + `],"held_by":["s","t"]}`)
	f.Add(`{"key":"\u00e9\ud83d\ude00\n","verdict":"verified","evidence":"md5","detail":"\/"}`)
	f.Add(`{"comparisons":[{"legacy":"size:12","target":"md5:ab-3","carried":true}],"proven_at":{"at":"0000-01-01T00:00:00Z","size":-1,"checksums":[` + sumJSON + `],"part_size":5}}`)
	f.Fuzz(func(t *testing.T, line string) {
		checkDecoders(t, []byte(line))
	})
}
