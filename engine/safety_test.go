package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Defaults: Snippet{Code: "var a = 1;\nvar b = ;\nreturn msg;", File: "site.yaml", Line: 20},
		Conditions: []Condition{
			cond("msg.meta.x ===", "return msg;"),
			{If: Snippet{Code: "true"}, Then: Snippet{Code: "return msg;\n}); globalThis.leak = 1; (function(){", File: "site.yaml", Line: 30}},
			{If: Snippet{Code: "true"}, Then: Snippet{Code: "  with (msg) { return msg; }"}},
			{If: Snippet{Code: "true"}, Then: Snippet{Code: "   "}},
		},
		AdvancedProcessing: Snippet{Code: "return msg;\n\nif (x {"},
	}
	_, err := New(cfg, zerolog.Nop())
	if err == nil {
		t.Fatal("New: no error")
	}
	want := []struct {
		stage    string
		line     int
		fileLine int
	}{
		{StageDefaults, 2, 21},
		{"conditions[0].if", 1, 0},
		{"conditions[1].then", 2, 31},
		{"conditions[2].then", 1, 0},
		{"conditions[3].then", 0, 0},
		{StageAdvancedProcessing, 3, 0},
	}
	var got []*CompileError
	for _, e := range flatten(err) {
		var ce *CompileError
		if !errors.As(e, &ce) {
			t.Fatalf("error %v is not a *CompileError", e)
		}
		got = append(got, ce)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(got), len(want), err)
	}
	for i, w := range want {
		t.Run(w.stage, func(t *testing.T) {
			g := got[i]
			if g.Stage != w.stage || g.Line != w.line || g.FileLine != w.fileLine {
				t.Errorf("got %s line %d file line %d (%v), want %s line %d file line %d",
					g.Stage, g.Line, g.FileLine, g, w.stage, w.line, w.fileLine)
			}
			if w.line > 0 && g.Column < 1 {
				t.Errorf("column %d", g.Column)
			}
			if !strings.Contains(g.Error(), w.stage) {
				t.Errorf("message %q does not name the stage", g.Error())
			}
		})
	}
}

// flatten unwraps errors.Join trees.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		code  string
		stage string
	}{
		{"infinite loop in defaults", testDefaults + `if (msg.meta.tag_name === "spin") { while (true) {} } return msg;`, StageDefaults},
		{"infinite loop in catch-all try", testDefaults + `if (msg.meta.tag_name === "spin") { for (;;) { try { while (true) {} } catch (e) {} } } return msg;`, StageDefaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: tt.code}, Timeout: 50 * time.Millisecond, Runtimes: 1}, zerolog.Nop())
			r := process(e, testSample(testNode("spin"), 1.0))
			if len(r.msgs) != 0 || len(r.fails) != 1 || r.fails[0].Reason != ReasonTimeout || r.fails[0].Stage != tt.stage {
				t.Fatalf("spin: got %d messages, failures %v; want one timeout in %s", len(r.msgs), r.fails, tt.stage)
			}
			if r.fails[0].Line != 1 {
				t.Errorf("timeout line %d, want 1", r.fails[0].Line)
			}
			// The same (only) runtime keeps working.
			for i := range 3 {
				r = process(e, testSample(testNode("ok"), 1.0))
				if len(r.msgs) != 1 || len(r.fails) != 0 {
					t.Fatalf("sample %d after timeout: %d messages, failures %v", i, len(r.msgs), r.fails)
				}
			}
			if got := e.Stats().Failed[tt.stage][ReasonTimeout]; got != 1 {
				t.Errorf("timeout counter %d, want 1", got)
			}
		})
	}
}

func TestStackLimit(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `
function f(n) { return f(n + 1) + 1; }
if (msg.meta.tag_name === "deep") f(0);
return msg;`}}, zerolog.Nop())
	r := process(e, testSample(testNode("deep"), 1.0))
	if len(r.fails) != 1 || r.fails[0].Reason != ReasonException {
		t.Fatalf("deep recursion: failures %v, want one exception", r.fails)
	}
	if r = process(e, testSample(testNode("ok"), 1.0)); len(r.msgs) != 1 {
		t.Fatalf("after deep recursion: failures %v", r.fails)
	}
}

func TestMissingReturnWarning(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults}}, zerolog.New(&logs))
	warnings := func() int { return len(logs.lines(t, "return msg")) }
	for i := range 150 {
		r := process(e, testSample(testNode("t1"), 1.0))
		if len(r.msgs) != 0 || len(r.fails) != 0 {
			t.Fatalf("sample %d: %d messages, failures %v; want a silent drop", i, len(r.msgs), r.fails)
		}
		want := 0
		if i >= 99 {
			want = 1
		}
		if got := warnings(); got != want {
			t.Fatalf("after %d calls: %d warnings, want %d", i+1, got, want)
		}
	}
	if got := e.Stats().Filtered[StageDefaults]; got != 150 {
		t.Errorf("filtered %d, want 150", got)
	}
}

func TestMissingReturnNoWarningWhenSomeReturn(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `if (msg.payload > 5) return msg;`}}, zerolog.New(&logs))
	for i := range 120 {
		process(e, testSample(testNode("t1"), float64(i%10)))
	}
	if got := len(logs.lines(t, "return msg")); got != 0 {
		t.Errorf("%d warnings, want 0", got)
	}
}

// TestNoLeakBetweenMessages runs an attempt to leave state behind in one
// message and probes for it in the next one on the same runtime.
func TestNoLeakBetweenMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		attempt string
		probe   string // a JS expression; its String() must be want
		want    string
	}{
		{"undeclared assignment", `x = 1;`, `typeof x`, "undefined"},
		{"global property", `globalThis.y = 1;`, `typeof globalThis.y`, "undefined"},
		{"this at top level", `(function(){ return this; })().z = 1;`, `typeof globalThis.z`, "undefined"},
		{"Array prototype", `Array.prototype.foo = function() { return 1; };`, `typeof [].foo`, "undefined"},
		{"Object prototype", `Object.prototype.bar = 1;`, `typeof ({}).bar`, "undefined"},
		{"overridable prototype property", `Object.prototype.toString = function() { return "pwned"; };`, `({}).toString()`, "[object Object]"},
		{"error prototype name", `Error.prototype.name = "pwned";`, `new Error("x").name`, "Error"},
		{"Object.defineProperty on a prototype", `Object.defineProperty(String.prototype, "q", {value: 1});`, `typeof "".q`, "undefined"},
		{"replace a built-in", `JSON.stringify = function() { return "x"; };`, `JSON.stringify({a: 1})`, `{"a":1}`},
		{"Math", `Math.random = function() { return 4; };`, `Math.random() < 1`, "true"},
		{"iterator prototype", `Object.getPrototypeOf([][Symbol.iterator]()).leak = 1;`, `typeof [][Symbol.iterator]().leak`, "undefined"},
		{"console", `console.log = null;`, `typeof console.log`, "function"},
		{"cache object", `cache.get = null;`, `typeof cache.get`, "function"},
		{"msg prototype", `Object.setPrototypeOf(msg, {evil: 1}); Object.setPrototypeOf(msg.meta, null);`, `typeof msg.evil + typeof msg.meta.hasOwnProperty`, "undefinedfunction"},
		{"msg extra key", `msg.extra = 1;`, `typeof msg.extra`, "undefined"},
		{"eval", `eval("1");`, `typeof eval`, "undefined"},
		{"Function", `Function("return 1")();`, `typeof Function`, "undefined"},
		{"function constructor", `(function(){}).constructor("globalThis.w = 1")();`, `typeof globalThis.w`, "undefined"},
		{"arrow constructor", `(() => 1).constructor("globalThis.w = 1")();`, `typeof globalThis.w`, "undefined"},
		{"generator constructor", `(function*(){}).constructor("yield 1")().next();`, `typeof globalThis.w`, "undefined"},
		{"async constructor", `(async function(){}).constructor("return 1")();`, `typeof globalThis.w`, "undefined"},
		{"require", `require("fs");`, `typeof require`, "undefined"},
		{"timers", `setTimeout(function() {}, 1);`, `typeof setTimeout + typeof setInterval`, "undefinedundefined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code := testDefaults + `
if (msg.meta.tag_name === "first") { ` + tt.attempt + ` }
msg.meta.probe = String(` + tt.probe + `);
return msg;`
			e := newTestEngine(t, Config{Defaults: Snippet{Code: code}, Runtimes: 1}, zerolog.Nop())
			process(e, testSample(testNode("first"), 1.0)) // may throw: that is fine
			r := process(e, testSample(testNode("second"), 1.0))
			if len(r.msgs) != 1 {
				t.Fatalf("second message: failures %v", r.fails)
			}
			if got, _ := header(r.msgs[0], "probe"); got != tt.want {
				t.Errorf("probe %s: got %q, want %q", tt.probe, got, tt.want)
			}
		})
	}
}

// TestAssignmentInIfStaysLocal checks that an if assigning an undeclared
// name works as in UMH's sloppy mode and leaves no global behind.
func TestAssignmentInIfStaysLocal(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults:   Snippet{Code: testDefaults + `return msg;`},
		Conditions: []Condition{cond(`(leaked = 1) === 1`, `msg.meta.probe = typeof leaked; return msg;`)},
		Runtimes:   1,
	}, zerolog.Nop())
	r := process(e, testSample(testNode("t1"), 1.0))
	if len(r.msgs) != 1 {
		t.Fatalf("failures %v", r.fails)
	}
	if got, _ := header(r.msgs[0], "probe"); got != "undefined" {
		t.Errorf("then sees the if's local as %q, want undefined", got)
	}
	if v := e.rts[0].vm.GlobalObject().Get("leaked"); v != nil {
		t.Errorf("global leaked = %v", v)
	}
}

// TestOrdinaryJSStillWorks checks that the frozen sandbox leaves everyday
// script code working: new objects, arrays, classes, dates, regular
// expressions, JSON and errors are the script's own and stay mutable.
func TestOrdinaryJSStillWorks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string
	}{
		{`(function() { var a = [3, 1]; a.push(2); a.sort(); return a.join(","); })()`, "1,2,3"},
		{`(function() { var o = {}; o.x = 1; o.toString = function() { return "o"; }; return String(o); })()`, "o"},
		{`(function() { class P { constructor(v) { this.v = v; } twice() { return this.v * 2; } } return new P(21).twice(); })()`, "42"},
		{`new Date(Date.UTC(2026, 0, 2)).toISOString()`, "2026-01-02T00:00:00.000Z"},
		{`"a-b-c".replace(/-/g, ".")`, "a.b.c"},
		{`(function() { var r = /b/g; r.test("abc"); return r.lastIndex; })()`, "2"},
		{`JSON.stringify(JSON.parse('{"a":[1,{"b":2}]}'))`, `{"a":[1,{"b":2}]}`},
		{`(function() { try { throw new RangeError("r"); } catch (e) { return e.name + ":" + e.message; } })()`, "RangeError:r"},
		{`Object.keys(Object.assign({}, msg.meta)).length > 10`, "true"},
		{`[1, 2, 3].map(function(x) { return x * 2; }).filter(function(x) { return x > 2; }).join()`, "4,6"},
		{`(function() { var m = new Map(); m.set("k", 1); return m.get("k"); })()`, "1"},
		{`Math.round(2.675 * 100) / 100`, "2.68"},
		{`(function() { var s = new Set([1, 1, 2]); return s.size; })()`, "2"},
		{`parseInt("0012", 10) + parseFloat("1.5")`, "13.5"},
		{`[msg.meta.hasOwnProperty("opcua_tag_name"), "opcua_tag_group" in msg.meta, "nope" in msg.meta].join()`, "true,true,false"},
		{`(function() { var n = 0; for (var k in msg.meta) n++; return n === Object.keys(msg.meta).length; })()`, "true"},
		{`JSON.parse(JSON.stringify(msg)).meta.opcua_tag_name`, "t1"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `msg.meta.out = String(` + tt.expr + `); return msg;`}, Runtimes: 1}, zerolog.Nop())
			for round := range 2 {
				r := process(e, testSample(testNode("t1"), 1.0))
				if len(r.msgs) != 1 {
					t.Fatalf("round %d: failures %v", round, r.fails)
				}
				if got, _ := header(r.msgs[0], "out"); got != tt.want {
					t.Errorf("round %d: got %q, want %q", round, got, tt.want)
				}
			}
		})
	}
}

func TestOverrideOnOwnObjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		want string
	}{
		{`var e = new Error("m"); e.name = "MyError"; e.message = "changed"; msg.meta.out = e.name + ":" + e.message + ":" + String(e);`, "MyError:changed:MyError: changed"},
		{`var a = [1]; a.toString = function() { return "arr"; }; msg.meta.out = String(a) + String([2]);`, "arr2"},
		{`function C() {} C.prototype.constructor = C; msg.meta.out = String(new C().constructor === C);`, "true"},
		{`var o = {}; o.valueOf = function() { return 41; }; msg.meta.out = String(o + 1);`, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + tt.code + ` return msg;`}, Runtimes: 1}, zerolog.Nop())
			for round := range 2 {
				r := process(e, testSample(testNode("t1"), 1.0))
				if len(r.msgs) != 1 {
					t.Fatalf("round %d: failures %v", round, r.fails)
				}
				if got, _ := header(r.msgs[0], "out"); got != tt.want {
					t.Errorf("round %d: got %q, want %q", round, got, tt.want)
				}
			}
		})
	}
}
