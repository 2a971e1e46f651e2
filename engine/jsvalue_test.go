package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

// jsEval evaluates a JS expression on a fresh runtime.
func jsEval(t testing.TB, expr string) goja.Value {
	t.Helper()
	vm := goja.New()
	v, err := vm.RunString("(" + expr + "\n)")
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func TestAppendJS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		want string
	}{
		{"integer", `42`, `42`},
		{"million", `1000000`, `1000000`},
		{"million from float math", `2.5 * 400000`, `1000000`},
		{"float", `42.5 * 2 + 0.25`, `85.25`},
		{"point one", `0.1`, `0.1`},
		{"sum of tenths", `0.1 + 0.2`, `0.30000000000000004`},
		{"2^53+1 literal is a double", `9007199254740993`, `9007199254740992`},
		{"huge", `1e21`, `1e+21`},
		{"tiny", `1e-7`, `1e-7`},
		{"negative zero", `-0`, `0`},
		{"NaN", `NaN`, `"NaN"`},
		{"0/0", `0/0`, `"NaN"`},
		{"Infinity", `1/0`, `"Infinity"`},
		{"-Infinity", `-1/0`, `"-Infinity"`},
		{"string never a number", `"0012"`, `"0012"`},
		{"string escapes", `"a\"b\n\u0001"`, `"a\"b\n\u0001"`},
		{"string unicode", `"Köln ✓"`, `"Köln ✓"`},
		{"lone surrogate", `"a\uD800b"`, "\"a\ufffdb\""},
		{"true", `true`, `true`},
		{"false", `1 > 2`, `false`},
		{"null", `null`, `null`},
		{"undefined", `undefined`, `null`},
		{"bigint", `2n ** 64n - 1n`, `18446744073709551615`},
		{"date", `new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 123))`, `"2024-01-02T03:04:05.123Z"`},
		{"array", `[1, 2.5, "x", true, null]`, `[1,2.5,"x",true,null]`},
		{"array map", `[1, 2, 3].map(x => x * 1.5)`, `[1.5,3,4.5]`},
		{"array holes and undefined", `[1, , undefined]`, `[1,null,null]`},
		{"empty array", `[]`, `[]`},
		{"nested object keeps JS order", `{b: 1, a: {z: [1, {y: "s"}], c: null}}`, `{"b":1,"a":{"z":[1,{"y":"s"}],"c":null}}`},
		{"undefined keys left out", `{a: undefined, b: 1}`, `{"b":1}`},
		{"empty object", `{}`, `{}`},
		{"boxed number", `new Number(5)`, `5`},
		{"boxed string", `new String("s")`, `"s"`},
		{"boxed boolean", `new Boolean(false)`, `false`},
		{"typed array", `new Int16Array([1, -2])`, `[1,-2]`},
		{"object with date", `{t: new Date(0)}`, `{"t":"1970-01-01T00:00:00Z"}`},
		{"object with getter", `{get a() { return 7 }}`, `{"a":7}`},
		{"class instance own fields", `new (class { constructor() { this.x = 1 } })()`, `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := jsEval(t, tt.expr)
			got, err := appendJS([]byte("x"), v)
			if err != nil {
				t.Fatalf("appendJS(%s) error: %v", tt.expr, err)
			}
			if string(got[1:]) != tt.want {
				t.Errorf("appendJS(%s)\n got %s\nwant %s", tt.expr, got[1:], tt.want)
			}
			if !json.Valid(got[1:]) {
				t.Errorf("appendJS(%s) = %s is not valid JSON", tt.expr, got[1:])
			}
		})
	}
}

func TestAppendJSErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		want string // in the error
	}{
		{"function", `function f() {}`, "function"},
		{"arrow in object", `{a: 1, f: () => 1}`, `key "f": a function`},
		{"symbol", `Symbol("s")`, "symbol"},
		{"symbol in array", `[1, Symbol("s")]`, "index 1"},
		{"cycle", `(() => { const o = {}; o.self = o; return o })()`, "deeper than"},
		{"throwing getter", `{get a() { throw new Error("boom") }}`, "boom"},
		{"invalid date", `new Date(NaN)`, "invalid Date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := jsEval(t, tt.expr)
			got, err := appendJS([]byte("keep"), v)
			if err == nil {
				t.Fatalf("appendJS(%s) = %s, want an error", tt.expr, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("appendJS(%s) error %q, want it to contain %q", tt.expr, err, tt.want)
			}
			if string(got) != "keep" {
				t.Errorf("on error dst = %q, want it unchanged", got)
			}
		})
	}
}

func TestAppendJSNotDataIsWrapped(t *testing.T) {
	t.Parallel()
	_, err := appendJS(nil, jsEval(t, `() => 1`))
	if !errors.Is(err, errNotData) {
		t.Errorf("error %v does not wrap errNotData", err)
	}
}

// TestAppendJSInterruptPropagates checks that a deadline hit while a getter
// runs during encoding is not turned into a conversion error: the engine
// must see the interrupt to count a timeout.
func TestAppendJSInterruptPropagates(t *testing.T) {
	t.Parallel()
	vm := goja.New()
	v, err := vm.RunString(`({get a() { for (;;) {} }})`)
	if err != nil {
		t.Fatal(err)
	}
	vm.Interrupt("deadline")
	defer func() {
		r := recover()
		if _, ok := r.(*goja.InterruptedError); !ok {
			t.Errorf("recovered %v (%T), want *goja.InterruptedError", r, r)
		}
	}()
	_, err = appendJS(nil, v)
	t.Errorf("appendJS returned %v, want the interrupt to propagate", err)
}
