package engine

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dop251/goja"
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

// FuzzParseInput checks that ParseInput never panics and that whatever it
// accepts encodes as valid JSON.
func FuzzParseInput(f *testing.F) {
	f.Add([]byte(`{"payload": 18446744073709551615, "type": "UInt64", "meta": {"opcua_tag_name": "t"}}`))
	f.Add([]byte(`{"payload": [1, 2.5, "x", null, {"a": [true]}], "meta": {"opcua_source_timestamp": "2024-01-02T03:04:05.123+02:00"}}`))
	f.Add([]byte(`{"payload": "AQID", "type": "ByteString"}`))
	f.Add([]byte(`{"payload": {"locale": "de", "text": "x"}, "type": "LocalizedText", "meta": {"opcua_status_code": "BadTimeout"}}`))
	f.Add([]byte(`{"payload": "NaN", "type": "Float"}`))
	f.Add([]byte(`{"payload": 1} x`))
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := ParseInput(line)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "input ") {
				t.Fatalf("error %q does not say it is about the input", err)
			}
			return
		}
		if s.Node == nil {
			t.Fatal("accepted sample without a node")
		}
		b, err := appendValue(nil, s.Value)
		if err != nil || !json.Valid(b) {
			t.Fatalf("value %#v encodes as %s, %v", s.Value, b, err)
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
