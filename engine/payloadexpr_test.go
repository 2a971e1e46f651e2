package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"
)

func TestPayloadArithmeticShape(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		`msg.payload = msg.payload * 2; return msg;`:                            true,
		`msg.payload = Math.round(msg.payload * 100) / 100; return msg;`:        true,
		`"use strict"; msg.payload *= 0.1; msg.payload -= 3; return msg;`:       true,
		`msg.payload = Math.max(0, Math.min(msg.payload, 100), -1); return msg`: true,
		`msg.payload = -(msg.payload % 7) + -0.5; ; return msg;`:                true,
		`msg.payload = msg.payload * 2; return msg; ;`:                          true,
		`msg.payload = msg.payload * 2;`:                                        false, // no return: drops
		`return msg;`:                                                           false, // nothing to evaluate
		`msg.payload = msg.payload * 2; return null;`:                           false,
		`msg.payload = msg.payload ** 2; return msg;`:                           false,
		`msg.payload = msg.payload + "x"; return msg;`:                          false,
		`msg.payload = msg.payload * 10n; return msg;`:                          false,
		`msg.payload = Math.sqrt(msg.payload); return msg;`:                     false,
		`msg.payload = Math.round(msg.payload, 1); return msg;`:                 false,
		`msg.payload = Math.max(); return msg;`:                                 false,
		`msg.payload = msg.meta.scale * msg.payload; return msg;`:               false,
		`msg.payload = x * msg.payload; return msg;`:                            false,
		`msg.payload = msg.payload++; return msg;`:                              false,
		`msg.payload <<= 1; return msg;`:                                        false,
		`msg.meta.x = "1"; msg.payload = msg.payload * 2; return msg;`:          false,
		`msg.payload = msg.payload * 2; console.log(1); return msg;`:            false,
		`msg.payload = msg.payload * 2; return msg.payload;`:                    false,
	} {
		s, err := compileScript(StageAdvancedProcessing, kindBody, Snippet{Code: code}, true)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if got := s.arith != nil; got != want {
			t.Errorf("%s: payload arithmetic %v, want %v", code, got, want)
		}
	}
}

// arithPayloads holds JavaScript numbers of every kind goja distinguishes,
// as JavaScript source.
var arithPayloads = []string{
	"0", "-0", "1", "-1", "2", "7", "-7", "42.5", "-2.5", "2.5", "0.5", "-0.5", "0.49999999999999994",
	"100", "101", "255", "256", "-255", "1e300", "-1e300", "5e-324", "0.1",
	"9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740992", "18446744073709551615",
	"4294967296", "-4294967296", "NaN", "Infinity", "-Infinity",
}

// TestPayloadArithmeticMatchesJavaScript evaluates expressions of every
// operator and built-in in Go and in goja on each kind of number, and
// requires the same value in the same representation (integer or double,
// the sign of zero, NaN); the only permitted refusal is a result goja holds
// as an integral double.
func TestPayloadArithmeticMatchesJavaScript(t *testing.T) {
	t.Parallel()
	exprs := []string{
		"msg.payload", "msg.payload * 2", "msg.payload * -1", "-1 * msg.payload", "msg.payload * 0", "msg.payload * 0.1",
		"msg.payload * msg.payload", "msg.payload * 4294967296", "msg.payload + 1", "msg.payload + 0.5", "msg.payload + -0",
		"-0 + msg.payload", "msg.payload - msg.payload", "msg.payload - 1e300", "msg.payload / 2", "msg.payload / 0",
		"msg.payload / -0", "0 / msg.payload", "-msg.payload / Infinity", "1 / msg.payload", "msg.payload / msg.payload",
		"msg.payload % 2", "msg.payload % -2", "msg.payload % 0", "-7 % msg.payload", "msg.payload % 0.5",
		"msg.payload % Infinity", "-msg.payload", "-(-msg.payload)", "-(msg.payload * 0)", "- -0",
		"Math.round(msg.payload)", "Math.round(msg.payload * 100) / 100", "Math.round(-msg.payload)",
		"Math.floor(msg.payload)", "Math.ceil(msg.payload)", "Math.ceil(-msg.payload / 2)", "Math.trunc(msg.payload)",
		"Math.abs(msg.payload)", "Math.abs(-msg.payload)", "Math.min(msg.payload, 100)", "Math.max(msg.payload, -0)",
		"Math.max(0, Math.min(msg.payload, 100))", "Math.min(msg.payload)", "Math.max(msg.payload, NaN)",
		"(msg.payload - 32) * 5 / 9", "Math.floor(msg.payload / 10) * 10 + msg.payload % 10",
		"9007199254740992 + msg.payload", "msg.payload * 9007199254740993",
	}
	vm := goja.New()
	for _, expr := range exprs {
		code := "msg.payload = " + expr + "; return msg;"
		s, err := compileScript(StageAdvancedProcessing, kindBody, Snippet{Code: code}, true)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if s.arith == nil {
			t.Fatalf("%s: not recognised as payload arithmetic", expr)
		}
		fn, err := vm.RunString("(function(p){ 'use strict'; var msg = {payload: p}; msg.payload = " + expr + "; return msg.payload; })")
		if err != nil {
			t.Fatal(err)
		}
		call, _ := goja.AssertFunction(fn)
		for _, src := range arithPayloads {
			p, err := vm.RunString(src)
			if err != nil {
				t.Fatal(err)
			}
			want, err := call(goja.Undefined(), p)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.arith.eval(vm, p)
			if !ok {
				if n, _ := payloadNumber(want); n.isInt || !floatNumber(n.f).isInt {
					t.Errorf("%s with payload %s: refused, but JavaScript gives %s", expr, src, numberRepr(want))
				}
				continue
			}
			if g, w := numberRepr(got), numberRepr(want); g != w {
				t.Errorf("%s with payload %s: got %s, want %s", expr, src, g, w)
			}
		}
	}
}

// numberRepr describes a goja number exactly: its representation and bits.
func numberRepr(v goja.Value) string {
	n, ok := payloadNumber(v)
	switch {
	case !ok:
		return fmt.Sprintf("non-number %v", v)
	case n.isInt:
		return fmt.Sprintf("int %d", n.i)
	case math.IsNaN(n.f):
		return "double NaN"
	}
	return fmt.Sprintf("double %v (%#x)", n.f, math.Float64bits(n.f))
}

// TestPayloadArithmeticEngineMatchesJavaScript runs stages with payload
// arithmetic through an engine that evaluates them in Go and one without
// shortcuts that runs them in JavaScript, on
// payloads of every kind, and requires the same messages and failures;
// later stages see the computed payload.
func TestPayloadArithmeticEngineMatchesJavaScript(t *testing.T) {
	t.Parallel()
	payloads := []any{int64(-6), int64(0), int64(99), int64(100), int64(1) << 60, int32(7), uint64(math.MaxUint64),
		math.NaN(), math.Inf(1), math.Inf(-1), 100.0, 42.125, math.Copysign(0, -1), -2.5, float32(2.5),
		"150", "abc", "", true, false, nil, []float64{101}, []int64{}, map[string]any{"a": 1.0}}
	for _, body := range []string{
		"msg.payload = msg.payload * 2;",
		"msg.payload = Math.round(msg.payload * 100) / 100;",
		"msg.payload -= 32; msg.payload = msg.payload * 5 / 9;",
		"msg.payload = -msg.payload % 3;",
		"msg.payload = Math.max(0, Math.min(msg.payload, 100));",
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			build := func(noShortcuts bool) *Engine {
				return newTestEngine(t, Config{
					Defaults:           Snippet{Code: testDefaults + `return msg;`},
					Conditions:         []Condition{cond(`msg.payload > 50`, `msg.meta.virtual_path = "high"; return msg;`)},
					AdvancedProcessing: Snippet{Code: body + " return msg;"},
					Runtimes:           1,
					NoShortcuts:        noShortcuts,
				}, zerolog.Nop())
			}
			fast, js := build(false), build(true)
			if fast.stages[3].script.arith == nil || js.stages[3].script.arith != nil {
				t.Fatal("the engines do not differ in how they run the stage")
			}
			for _, p := range payloads {
				s := testSample(testNode("t1"), p)
				got, want := process(fast, s), process(js, s)
				if g, w := describe(got.msgs)+fmt.Sprint(got.fails), describe(want.msgs)+fmt.Sprint(want.fails); g != w {
					t.Errorf("payload %#v:\n got %s\nwant %s", p, g, w)
				}
			}
		})
	}
}
