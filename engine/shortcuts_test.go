package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// The engine's shortcuts (Config.NoShortcuts) must never change a message.
// The tests here compare them with plain JavaScript on generated input: the
// fuzzers on numbers and expressions, TestShortcutsMatchPlainJavaScript on
// whole random engines.

// jsLiteral writes f as JavaScript source that evaluates to f.
func jsLiteral(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "(-Infinity)"
	case f < 0 || math.Signbit(f):
		return "(" + strconv.FormatFloat(f, 'g', -1, 64) + ")"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// fuzzPayload makes the payload a sample with Go value i (when isInt) or f
// becomes in a runtime.
func fuzzPayload(vm *goja.Runtime, i int64, f float64, isInt bool) goja.Value {
	if isInt {
		return vm.ToValue(i)
	}
	return vm.ToValue(f)
}

// arithGen writes a payload expression chosen by the bytes of prog; lits
// are the literals it may use.
type arithGen struct {
	prog []byte
	lits []string
}

func (g *arithGen) next() (byte, bool) {
	if len(g.prog) == 0 {
		return 0, false
	}
	b := g.prog[0]
	g.prog = g.prog[1:]
	return b, true
}

// expr writes an expression of at most depth nested operations, from every
// form payload arithmetic accepts (see payloadexpr.go).
func (g *arithGen) expr(depth int) string {
	b, ok := g.next()
	if !ok || depth == 0 {
		return "msg.payload"
	}
	switch b % 8 {
	case 0, 1:
		return "msg.payload"
	case 2:
		c, _ := g.next()
		return g.lits[int(c)%len(g.lits)]
	case 3:
		return "-(" + g.expr(depth-1) + ")"
	case 4, 5:
		c, _ := g.next()
		return "(" + g.expr(depth-1) + " " + string("+-*/%"[c%5]) + " " + g.expr(depth-1) + ")"
	case 6:
		c, _ := g.next()
		return "Math." + [...]string{"round", "floor", "ceil", "trunc", "abs"}[c%5] + "(" + g.expr(depth-1) + ")"
	}
	c, _ := g.next()
	args := []string{g.expr(depth - 1)}
	for range c % 3 {
		args = append(args, g.expr(depth-1))
	}
	return "Math." + [...]string{"min", "max"}[c%2] + "(" + strings.Join(args, ", ") + ")"
}

// arithLiterals are the constants every generated expression may use
// besides the fuzzed ones: the edges of goja's integer and double rules.
var arithLiterals = []string{"0", "-0", "1", "-1", "2", "0.5", "-2.5", "100", "4294967296", "9007199254740992",
	"9007199254740993", "1e300", "5e-324", "NaN", "Infinity"}

// FuzzPayloadArithmetic evaluates random payload arithmetic (one
// assignment, then optionally a compound one) on random numbers in Go and
// in goja, and requires the same value in the same representation; the
// only permitted refusal is a result goja holds as an integral double.
func FuzzPayloadArithmetic(f *testing.F) {
	f.Add([]byte{4, 2, 0, 9, 0}, 1.5, int64(7), false, 0.1, uint8(0))
	f.Add([]byte{6, 0, 4, 3, 0, 2, 0, 1}, math.Copysign(0, -1), int64(-1)<<53, true, 1e300, uint8(3))
	f.Add([]byte{7, 2, 3, 0, 2, 5, 1}, math.NaN(), int64(math.MaxInt64), true, -2.5, uint8(5))
	f.Add([]byte{5, 4, 0, 2, 1, 1}, math.Inf(1), int64(0), false, 5e-324, uint8(2))
	f.Fuzz(func(t *testing.T, prog []byte, pf float64, pi int64, payloadInt bool, lit float64, compound uint8) {
		g := &arithGen{prog: prog, lits: append([]string{jsLiteral(lit), strconv.FormatInt(pi, 10)}, arithLiterals...)}
		body := "msg.payload = " + g.expr(4) + ";"
		if op := compound % 6; op > 0 {
			body += " msg.payload " + string("+-*/%"[op-1]) + "= " + g.expr(2) + ";"
		}
		s, err := compileScript(StageAdvancedProcessing, kindBody, Snippet{Code: body + " return msg;"}, true)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if s.arith == nil {
			t.Fatalf("%s: not recognised as payload arithmetic", body)
		}
		vm := goja.New()
		fn, err := vm.RunString("(function(p){ 'use strict'; var msg = {payload: p}; " + body + " return msg.payload; })")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		call, _ := goja.AssertFunction(fn)
		p := fuzzPayload(vm, pi, pf, payloadInt)
		want, err := call(goja.Undefined(), p)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		got, ok := s.arith.eval(vm, p)
		if !ok {
			if n, _ := payloadNumber(want); n.isInt || !floatNumber(n.f).isInt {
				t.Fatalf("%s with payload %s: refused, but JavaScript gives %s", body, numberRepr(p), numberRepr(want))
			}
			return
		}
		if g, w := numberRepr(got), numberRepr(want); g != w {
			t.Fatalf("%s with payload %s: got %s, want %s", body, numberRepr(p), g, w)
		}
	})
}

// FuzzPayloadComparison compares a random number payload with a random
// literal under every operator in Go and in goja and requires the same
// result.
func FuzzPayloadComparison(f *testing.F) {
	f.Add(uint8(0), 100.0, int64(100), false, false, 100.5, int64(0), false)
	f.Add(uint8(4), math.Copysign(0, -1), int64(0), true, true, 0.0, int64(0), true)
	f.Add(uint8(7), math.NaN(), int64(1)<<53+1, true, false, 0.0, int64(1)<<53, true)
	f.Add(uint8(2), math.Inf(-1), int64(-5), false, true, math.Inf(-1), int64(0), false)
	f.Fuzz(func(t *testing.T, opIdx uint8, litF float64, litI int64, intLit, swap bool, pf float64, pi int64, payloadInt bool) {
		op := [...]string{"<", "<=", ">", ">=", "==", "===", "!=", "!=="}[opIdx%8]
		lit := jsLiteral(litF)
		if intLit {
			lit = "(" + strconv.FormatInt(litI, 10) + ")"
		}
		expr := "msg.payload " + op + " " + lit
		if swap {
			expr = lit + " " + op + " msg.payload"
		}
		s, err := compileScript("conditions[0].if", kindExpr, Snippet{Code: expr}, true)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if s.cmp == nil {
			t.Fatalf("%s: not recognised as a threshold test", expr)
		}
		vm := goja.New()
		fn, err := vm.RunString("(function(p){ 'use strict'; var msg = {payload: p}; return (" + expr + "); })")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		call, _ := goja.AssertFunction(fn)
		p := fuzzPayload(vm, pi, pf, payloadInt)
		want, err := call(goja.Undefined(), p)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		got, ok := s.cmp.eval(p)
		if !ok {
			t.Fatalf("%s with payload %s: refused a number", expr, numberRepr(p))
		}
		if got != want.ToBoolean() {
			t.Fatalf("%s with payload %s: got %v, JavaScript gives %v", expr, numberRepr(p), got, want)
		}
	})
}

// engineGen writes random tag_processor blocks: stages the shortcuts take
// (meta-only bodies and ifs, payload arithmetic, threshold tests) mixed
// with stages they do not, which read what cached stages wrote and change
// what cached stages read.
type engineGen struct{ r *rand.Rand }

func (g engineGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

// metaRef is a meta key some stage or the node sets.
func (g engineGen) metaRef() string {
	return "msg.meta." + g.pick("opcua_tag_name", "opcua_tag_group", "opcua_tag_path", "opcua_node_id",
		"opcua_data_type", "opcua_status_code", "k0", "k1", "k2", "virtual_path")
}

func (g engineGen) metaValue() string {
	switch g.r.IntN(5) {
	case 0:
		return strconv.Quote(g.pick("a", "axis", "b_1", "x.y"))
	case 1:
		return g.metaRef()
	case 2:
		return g.metaRef() + ` + "_" + ` + g.metaRef()
	case 3:
		return "String(" + g.metaRef() + ").toLowerCase()"
	}
	return "msg.meta.k0 ? " + g.metaRef() + ` : "none"`
}

func (g engineGen) body() string {
	var b strings.Builder
	switch g.r.IntN(6) {
	case 0: // payload arithmetic: nothing else, or Go does not take it
		return fmt.Sprintf("msg.payload = %s; return msg;", g.pick("msg.payload * 2", "Math.round(msg.payload * 100) / 100",
			"-msg.payload % 3", "Math.max(0, Math.min(msg.payload, 5))", "msg.payload / 0"))
	case 1: // reads the payload: never cached
		fmt.Fprintf(&b, "msg.meta.k%d = String(msg.payload);", g.r.IntN(3))
	case 2: // fan-out
		b.WriteString(`if (msg.payload === 7) return [msg, {payload: 1, meta: Object.assign({}, msg.meta, {tag_name: "copy"})}];`)
	}
	for range 1 + g.r.IntN(3) {
		key := g.pick("k0", "k1", "k2", "virtual_path", "tag_name")
		fmt.Fprintf(&b, " msg.meta.%s = %s;", key, g.metaValue())
	}
	if g.r.IntN(8) == 0 {
		b.WriteString(" delete msg.meta.k1;")
	}
	b.WriteString(" return msg;")
	return b.String()
}

func (g engineGen) ifExpr() string {
	switch g.r.IntN(4) {
	case 0:
		return "msg.payload " + g.pick("<", ">=", "===", "!=") + " " + g.pick("2", "5", "-0", "7", "2.5")
	case 1:
		return g.metaRef() + " === " + strconv.Quote(g.pick("a", "axis", "none", "b_1"))
	case 2:
		return `String(` + g.metaRef() + `).startsWith("a")`
	}
	return "msg.payload > 3 && " + g.metaRef() + ` !== "a"`
}

func (g engineGen) config() Config {
	cfg := Config{
		Defaults:           Snippet{Code: testDefaults + g.body()},
		AdvancedProcessing: Snippet{Code: g.body()},
		Runtimes:           1 + g.r.IntN(2),
		BadStatus:          g.pick(BadStatusDrop, BadStatusKeep),
	}
	for range g.r.IntN(4) {
		cfg.Conditions = append(cfg.Conditions, Condition{If: Snippet{Code: g.ifExpr()}, Then: Snippet{Code: g.body()}})
	}
	return cfg
}

// TestShortcutsMatchPlainJavaScript builds random engines with and without
// shortcuts, runs the same random samples through both and requires the
// same messages and failures. The seed is logged on failure.
func TestShortcutsMatchPlainJavaScript(t *testing.T) {
	t.Parallel()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	g := engineGen{rand.New(rand.NewPCG(seed, 0))}
	nodes := []*tag.Node{testNode("a1"), testNode("b2"), testNode("a3"), testNode("axis4")}
	nodes[1].Group, nodes[3].Group = "axis", "axis"
	payloads := []any{1.0, 2.0, 2.5, int64(7), int64(5), math.Copysign(0, -1), 10.5, math.NaN(), "x", true}
	statuses := []uint32{0, 0, 0, 0x40000000, 0x80000000}
	var cached, compared, computed int // stages the shortcuts took
	for i := range 40 {
		cfg := g.config()
		fast := newTestEngine(t, cfg, zerolog.Nop())
		cfg.NoShortcuts = true
		plain := newTestEngine(t, cfg, zerolog.Nop())
		for k, st := range fast.stages {
			if s := st.script; s != nil {
				cached, compared, computed = cached+b2i(s.metaOnly), compared+b2i(s.cmp != nil), computed+b2i(s.arith != nil)
				if p := plain.stages[k].script; p.metaOnly || p.cmp != nil || p.arith != nil {
					t.Fatalf("engine %d: stage %s takes a shortcut with NoShortcuts", i, st.name)
				}
			}
		}
		for j := range 60 {
			s := testSample(nodes[g.r.IntN(len(nodes))], payloads[g.r.IntN(len(payloads))])
			s.Status = statuses[g.r.IntN(len(statuses))]
			got, want := process(fast, s), process(plain, s)
			if gs, ws := describe(got.msgs)+fmt.Sprint(got.fails), describe(want.msgs)+fmt.Sprint(want.fails); gs != ws {
				t.Fatalf("engine %d, sample %d (%s = %#v, status %#x), config %+v:\n got %s\nwant %s",
					i, j, s.Node.Name, s.Value, s.Status, cfg, gs, ws)
			}
		}
	}
	if cached == 0 || compared == 0 || computed == 0 {
		t.Fatalf("the engines took too few shortcuts to compare: %d cached stages, %d Go comparisons, %d Go arithmetic", cached, compared, computed)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
