package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dop251/goja/parser"
	"github.com/rs/zerolog"
)

func TestUndeclaredAssignments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want []string
	}{
		{name: "none", code: `msg.meta.x = 1; return msg;`},
		{name: "plain", code: `msg1 = {}; msg2 = msg1; return [msg1, msg2];`, want: []string{"msg1", "msg2"}},
		{name: "compound and update", code: `n += 1; i++; --j; return msg;`, want: []string{"i", "j", "n"}},
		{name: "declared with var later", code: `x = 1; var x; return msg;`},
		{name: "declared with let", code: `let x; x = 1; return msg;`},
		{name: "declared with const in a for", code: `for (const k in msg.meta) { k; } return msg;`},
		{name: "for-in target", code: `for (k in msg.meta) {} return msg;`, want: []string{"k"}},
		{name: "for-of target", code: `for (v of [1]) {} return msg;`, want: []string{"v"}},
		{name: "destructuring", code: `[a, b = 2, ...c] = [1]; ({d, e: f} = {}); return msg;`, want: []string{"a", "b", "c", "d", "f"}},
		{name: "nested function", code: `[1].forEach(function(x) { total = x; }); return msg;`, want: []string{"total"}},
		{name: "inner declaration shadows", code: `{ let y; y = 1; } return msg;`, want: []string{"y"}},
		{name: "function declaration", code: `function f() {} f = null; return msg;`},
		{name: "parameter msg", code: `msg = null; return msg;`},
		{name: "member assignment", code: `msg.meta.a = 1; cache.x = 1; return msg;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prg, err := parser.ParseFile(nil, "t", bodyHead+tt.code+bodyTail, 0)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := undeclaredAssignments(prg); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUndeclaredAssignmentRuns runs UMH code that assigns undeclared names
// (sloppy mode in UMH) in every kind of stage.
func TestUndeclaredAssignmentRuns(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults: Snippet{Code: testDefaults + "\ncount = 0;\nfor (k in msg.meta) count++;\nreturn msg;"},
		Conditions: []Condition{
			cond(`(seen = msg.meta.tag_name) === "t1"`, `unit = "degC"; msg.meta.unit = unit; return msg;`),
		},
		AdvancedProcessing: Snippet{Code: `
msg1 = {payload: msg.payload, meta: {...msg.meta}};
msg2 = {payload: msg.payload * 2, meta: {...msg.meta, tag_name: msg.meta.tag_name + "_doubled"}};
return [msg1, msg2];`},
	}, zerolog.Nop())
	r := process(e, testSample(testNode("t1"), 1.5))
	if len(r.fails) != 0 {
		t.Fatalf("failures: %v", r.fails)
	}
	want := []string{"umh.v1.enterprise.site._historian.t1", "umh.v1.enterprise.site._historian.t1_doubled"}
	if got := r.subjects(); !slices.Equal(got, want) {
		t.Fatalf("subjects %q, want %q", got, want)
	}
	if u, _ := header(r.msgs[0], "unit"); u != "degC" {
		t.Errorf("unit header %q, want degC", u)
	}
}

// TestUndeclaredGlobalIsolation writes an undeclared name in message 1 and
// probes for it in message 2, on the same runtime and on another one.
func TestUndeclaredGlobalIsolation(t *testing.T) {
	t.Parallel()
	code := testDefaults + `
if (msg.meta.tag_name === "first") { leak = "from first"; }
msg.meta.probe = typeof leak + ":" + String(leak);
return msg;`
	want := map[string]string{"first": "string:from first", "second": "undefined:undefined"}
	run := func(t *testing.T, e *Engine, name string) {
		t.Helper()
		r := process(e, testSample(testNode(name), 1.0))
		if len(r.msgs) != 1 {
			t.Fatalf("%s: failures %v", name, r.fails)
		}
		if got, _ := header(r.msgs[0], "probe"); got != want[name] {
			t.Errorf("%s: probe %q, want %q", name, got, want[name])
		}
	}
	t.Run("same runtime", func(t *testing.T) {
		e := newTestEngine(t, Config{Defaults: Snippet{Code: code}, Runtimes: 1}, zerolog.Nop())
		run(t, e, "first")
		run(t, e, "second")
		run(t, e, "second")
	})
	t.Run("another runtime", func(t *testing.T) {
		e := newTestEngine(t, Config{Defaults: Snippet{Code: code}, Runtimes: 2}, zerolog.Nop())
		// Holding one runtime out of the pool makes the next sample run
		// on the other one.
		a := e.pool.get()
		run(t, e, "first") // on runtime b
		b := e.pool.get()  // the only free one: the runtime that ran first
		e.pool.put(a)
		run(t, e, "second") // on runtime a
		e.pool.put(b)
		if a == b {
			t.Fatal("the pool handed out one runtime twice")
		}
		for _, rt := range e.rts {
			if v := rt.vm.GlobalObject().Get("leak"); v != nil {
				t.Errorf("runtime %d has a global leak = %v", rt.slot, v)
			}
		}
	})
}

// TestUndeclaredAssignmentErrorPosition checks that a snippet given
// declarations keeps its line and column in runtime and compile errors.
func TestUndeclaredAssignmentErrorPosition(t *testing.T) {
	t.Parallel()
	// The same error in the same place, once with an undeclared name.
	pos := func(decl string) (int, int) {
		e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + "\n" + decl + "\n  null.foo;\nreturn msg;"}}, zerolog.Nop())
		r := process(e, testSample(testNode("t1"), 1.0))
		if len(r.fails) != 1 {
			t.Fatalf("%s: failures %v, want 1", decl, r.fails)
		}
		return r.fails[0].Line, r.fails[0].Column
	}
	l1, c1 := pos("var x = 1;")
	l2, c2 := pos("x = 1;")
	if l2 != 3 || l1 != l2 || c1 != c2 {
		t.Errorf("runtime error at %d:%d with an undeclared name, %d:%d without; want line 3 in both", l2, c2, l1, c1)
	}
	_, err := New(Config{Defaults: Snippet{Code: "y = 1;\nlet z = ;"}}, zerolog.Nop())
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Line != 2 || ce.Column != 9 {
		t.Errorf("compile error %v, want line 2 column 9", err)
	}
	if err != nil && !strings.Contains(err.Error(), "defaults") {
		t.Errorf("compile error %q does not name the stage", err)
	}
}
