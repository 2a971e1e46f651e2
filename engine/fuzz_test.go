package engine

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"
)

// FuzzSubject checks that appendSubject either builds a subject whose
// tokens all match [A-Za-z0-9_-]+ or explains the offending field.
func FuzzSubject(f *testing.F) {
	f.Add("umh.v1", "acme.berlin", "_historian", "", "temp")
	f.Add("umh.v1", "acme..berlin", "_historian", "null", "a.b")
	f.Add("umh.v1", "acme.Werk Köln", "historian", "<nil>", "t.")
	f.Add("umh.v1", "_acme", "_", " ", "\xff")
	f.Fuzz(func(t *testing.T, prefix, location, contract, vp, tagName string) {
		got, err := appendSubject([]byte("x"), prefix, location, contract, vp, tagName)
		if err != nil {
			var se *SubjectError
			if !errors.As(err, &se) || se.Field == "" {
				t.Fatalf("error %v is not a *SubjectError naming a field", err)
			}
			if string(got) != "x" {
				t.Fatalf("on error dst = %q", got)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not valid UTF-8: %q", err.Error())
			}
			return
		}
		subj := string(got[1:])
		for _, tok := range strings.Split(subj, ".") {
			if tok == "" {
				t.Fatalf("subject %q has an empty token", subj)
			}
			for i := 0; i < len(tok); i++ {
				if !tokenBytes[tok[i]] {
					t.Fatalf("subject %q has byte %q", subj, tok[i])
				}
			}
		}
		want := prefix + "." + location + "." + contract + "."
		if v := normalizeVirtualPath(vp); v != "" {
			want += v + "."
		}
		if want += tagName; subj != want {
			t.Fatalf("subject %q, want %q", subj, want)
		}
		if contract[0] != '_' || len(contract) < 2 || strings.Contains(contract, ".") {
			t.Fatalf("contract %q accepted", contract)
		}
		for _, tok := range strings.Split(prefix+"."+location, ".") {
			if tok[0] == '_' {
				t.Fatalf("prefix/location token %q starting with _ accepted", tok)
			}
		}
	})
}

// FuzzValueEncoder checks that the Go and JS value encoders always produce
// valid JSON, that numbers round-trip, and that strings survive.
func FuzzValueEncoder(f *testing.F) {
	f.Add("a\"b\\\n\x00\xff", 0.1, int64(-1), uint64(math.MaxUint64), float32(0.1), `{"a":[1,2.5,"x",null,true,{"b":{}}]}`)
	f.Add("\u2028", math.Inf(1), int64(math.MinInt64), uint64(0), float32(1e-45), `[1e21, 1e-7, -0, 18446744073709551615]`)
	f.Add("", 1e21, int64(0), uint64(1), float32(3.4e38), `"\ud800"`)
	// One runtime for all inputs: a fuzz worker calls the function serially.
	vm := goja.New()
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	f.Fuzz(func(t *testing.T, s string, f64 float64, i64 int64, u64 uint64, f32 float32, jsonText string) {
		values := []any{s, f64, i64, u64, f32, []any{s, f64, i64, u64, f32}, map[string]any{s: f64, "k": []string{s}}}
		for _, v := range values {
			b, err := appendValue(nil, v)
			if err != nil {
				t.Fatalf("appendValue(%#v): %v", v, err)
			}
			if !json.Valid(b) {
				t.Fatalf("appendValue(%#v) = %s is not valid JSON", v, b)
			}
		}
		// Finite floats round-trip through their shortest form.
		if !math.IsNaN(f64) && !math.IsInf(f64, 0) {
			b, _ := appendValue(nil, f64)
			if back, err := strconv.ParseFloat(string(b), 64); err != nil || back != f64 && !(f64 == 0 && back == 0) {
				t.Fatalf("%v encoded as %s parses back as %v (%v)", f64, b, back, err)
			}
		}
		b, _ := appendValue(nil, u64)
		if back, err := strconv.ParseUint(string(b), 10, 64); err != nil || back != u64 {
			t.Fatalf("%d encoded as %s", u64, b)
		}
		// Valid UTF-8 strings survive exactly.
		if utf8.ValidString(s) {
			b, _ := appendValue(nil, s)
			var back string
			if err := json.Unmarshal(b, &back); err != nil || back != s {
				t.Fatalf("%q encoded as %s decodes as %q (%v)", s, b, back, err)
			}
		}
		// Whatever JSON user code parses encodes as valid JSON.
		if v, err := parse(goja.Undefined(), vm.ToValue(jsonText)); err == nil {
			b, err := appendJS(nil, v)
			if err != nil {
				t.Fatalf("appendJS(JSON.parse(%q)): %v", jsonText, err)
			}
			if !json.Valid(b) {
				t.Fatalf("appendJS(JSON.parse(%q)) = %s is not valid JSON", jsonText, b)
			}
			if _, ok := metaString(v); !ok && !goja.IsNull(v) {
				t.Fatalf("metaString(JSON.parse(%q)) removed a non-null value", jsonText)
			}
		}
		for _, v := range []goja.Value{vm.ToValue(s), vm.ToValue(f64), vm.ToValue(i64), toJS(vm, f32), toJS(vm, u64)} {
			b, err := appendJS(nil, v)
			if err != nil || !json.Valid(b) {
				t.Fatalf("appendJS(%v) = %s, %v", v, b, err)
			}
		}
	})
}

// FuzzParseTimestampMs checks that parseTimestampMs never panics and that
// integers it accepts are exactly the integers strconv accepts.
func FuzzParseTimestampMs(f *testing.F) {
	for _, s := range []string{"1700000000123", "0", "-5", "1.5", "2024-01-02T03:04:05.123456+02:00", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, ok := parseTimestampMs(s)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && (!ok || ms != n) {
			t.Fatalf("parseTimestampMs(%q) = %d, %v; want %d", s, ms, ok, n)
		}
	})
}

// FuzzCompileScript feeds arbitrary snippets to the compiler: it either
// compiles them or returns *CompileErrors naming the stage, and never
// crashes (deep nesting is refused before goja's recursive parser runs).
func FuzzCompileScript(f *testing.F) {
	f.Add("return msg;", false)
	f.Add("msg.payload > 1", true)
	f.Add("var z = ((((((1))))));\nreturn msg;", false)
	f.Add("`${`${1}`}` + '((' // ((\nreturn msg;", false)
	f.Add("return msg;\n}); globalThis.x = 1; (function(){", false)
	f.Add(strings.Repeat("[", 2000), false)
	f.Add("a=>b=>c=>d", true)
	f.Fuzz(func(t *testing.T, code string, expr bool) {
		kind := kindBody
		if expr {
			kind = kindExpr
		}
		s, err := compileScript("defaults", kind, Snippet{Code: code, File: "site.yaml", Line: 3}, true)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Stage != "defaults" {
				t.Fatalf("error %v is not a *CompileError of stage defaults", err)
			}
			if ce.Line < 0 || ce.Line > strings.Count(code, "\n")+1 {
				t.Fatalf("error %v points at line %d of a %d-line snippet", err, ce.Line, strings.Count(code, "\n")+1)
			}
			return
		}
		if s.prog == nil {
			t.Fatal("no program and no error")
		}
	})
}

// fanOutEngine is built once per fuzz process: a stage that returns the
// array the input describes.
var fanOutEngine = sync.OnceValues(func() (*Engine, error) {
	return New(Config{
		Defaults: Snippet{Code: testDefaults + `
var a = [];
var n = msg.payload.n, holes = msg.payload.holes, bad = msg.payload.bad;
if (msg.payload.length !== undefined) a.length = msg.payload.length;
for (var i = 0; i < n; i++) a[i * (holes + 1)] = (bad && i === n - 1) ? 42 : {payload: i, meta: msg.meta};
return a;`},
		Timeout:  time.Minute,
		Runtimes: 1,
	}, zerolog.Nop())
})

// FuzzFanOut returns arrays of every shape from a stage: beyond MaxFanOut
// (by length or by elements) the sample fails with limit fan_out, a bad
// element fails it with bad_return, and otherwise every non-null element
// becomes one message, in order.
func FuzzFanOut(f *testing.F) {
	f.Add(uint16(3), uint8(0), uint32(0), false)
	f.Add(uint16(0), uint8(0), uint32(4294967295), false)
	f.Add(uint16(2), uint8(5), uint32(0), true)
	f.Add(uint16(10001), uint8(0), uint32(0), false)
	f.Add(uint16(50), uint8(250), uint32(0), false)
	f.Fuzz(func(t *testing.T, n uint16, holes uint8, length uint32, bad bool) {
		if n > 12000 {
			n = 12000
		}
		e, err := fanOutEngine()
		if err != nil {
			t.Fatal(err)
		}
		p := map[string]any{"n": int64(n), "holes": int64(holes), "bad": bad}
		if length > 0 {
			p["length"] = int64(length)
		}
		r := process(e, testSample(testNode("f"), p))
		span := int64(0)
		if n > 0 {
			span = int64(n-1)*(int64(holes)+1) + 1
		}
		total := max(span, int64(length))
		switch {
		case total > MaxFanOut:
			if len(r.msgs) != 0 || len(r.fails) != 1 || r.fails[0].Reason != ReasonLimit {
				t.Fatalf("array of length %d: %d messages, failures %v; want one limit", total, len(r.msgs), r.fails)
			}
		case bad && n > 0:
			if len(r.msgs) != 0 || len(r.fails) != 1 || r.fails[0].Reason != ReasonBadReturn {
				t.Fatalf("bad element: %d messages, failures %v; want one bad_return", len(r.msgs), r.fails)
			}
		default:
			if len(r.fails) != 0 || len(r.msgs) != int(n) {
				t.Fatalf("%d elements: %d messages, failures %v", n, len(r.msgs), r.fails)
			}
			for i, m := range r.msgs {
				if !strings.HasPrefix(string(m.Payload), `{"value":`+strconv.Itoa(i)+",") {
					t.Fatalf("message %d has payload %s", i, m.Payload)
				}
			}
		}
	})
}
