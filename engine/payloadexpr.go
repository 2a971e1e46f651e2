package engine

import (
	"math"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// A body stage that only does arithmetic on the payload, the common unit
// scaling and rounding
//
//	msg.payload = msg.payload * 0.1; return msg;
//	msg.payload = Math.round(msg.payload * 100) / 100; return msg;
//
// is evaluated in Go when the payload is a JavaScript number, without
// calling into JavaScript; any other payload (a string, a boolean, an
// object, a deleted payload, a copy of the message) runs the stage as
// written, so JavaScript's conversions apply.
//
// The stage must be a sequence of assignments to msg.payload (= or one of
// += -= *= /= %=) ending in `return msg;`. Each right-hand side is built
// from number literals, Infinity, NaN, msg.payload, unary minus, + - * / % and the
// built-ins Math.round, floor, ceil, trunc, abs, min and max (Math and its
// functions are frozen by the sandbox, and the stage declares nothing that
// could shadow them). With a number payload every intermediate value is a
// number, so none of this can throw, call user code or loop.
//
// Results are exactly goja's, value and representation: goja keeps a
// number either as an integer (within ±2^53) or as a double, and the
// evaluator follows its rules for each operator (integer fast paths,
// overflow to double, -0, NaN and the infinities) so that what is
// published, and every later stage, sees the same value. A result goja
// would hold as a double with an integral value (which only -(-0) makes)
// cannot be produced from Go; the stage then runs in JavaScript.

// arithOp is one node kind of a payload expression.
type arithOp uint8

const (
	opPayload arithOp = iota
	opConst
	opNeg
	opAdd
	opSub
	opMul
	opDiv
	opMod
	opRound
	opFloor
	opCeil
	opTrunc
	opAbs
	opMin
	opMax
)

// jsNumber is a JavaScript number as goja holds it: an integer when isInt,
// else the double f.
type jsNumber struct {
	i     int64
	f     float64
	isInt bool
}

func (n jsNumber) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// maxSafeInt bounds goja's integer representation.
const maxSafeInt = 1 << 53

// intNumber is goja's intToValue.
func intNumber(i int64) jsNumber {
	if i >= -maxSafeInt && i <= maxSafeInt {
		return jsNumber{i: i, isInt: true}
	}
	return jsNumber{f: float64(i)}
}

// floatNumber is goja's floatToValue.
func floatNumber(f float64) jsNumber {
	if (f != 0 || !math.Signbit(f)) && !math.IsInf(f, 0) && f == math.Trunc(f) && f >= -maxSafeInt && f <= maxSafeInt {
		return intNumber(int64(f))
	}
	return jsNumber{f: f}
}

// arithExpr is one node of a payload expression.
type arithExpr struct {
	op   arithOp
	c    jsNumber // opConst
	args []*arithExpr
}

// payloadArith is a stage of payload assignments, in order.
type payloadArith struct {
	assigns []*arithExpr
}

// payloadArithmetic returns the payload arithmetic a body stage program
// consists of, or nil.
func payloadArithmetic(prg *ast.Program) *payloadArith {
	assigns, ok := assignmentsThenReturn(prg)
	if !ok || len(assigns) == 0 {
		return nil
	}
	var pa payloadArith
	for _, as := range assigns {
		if !isMsgPayload(as.Left) {
			return nil
		}
		e := arithTree(as.Right)
		if e == nil {
			return nil
		}
		if as.Operator != token.ASSIGN {
			op, ok := binaryOps[as.Operator]
			if !ok {
				return nil
			}
			e = &arithExpr{op: op, args: []*arithExpr{{op: opPayload}, e}}
		}
		pa.assigns = append(pa.assigns, e)
	}
	return &pa
}

var binaryOps = map[token.Token]arithOp{
	token.PLUS: opAdd, token.MINUS: opSub, token.MULTIPLY: opMul,
	token.SLASH: opDiv, token.REMAINDER: opMod,
}

var mathFuncs = map[string]arithOp{
	"round": opRound, "floor": opFloor, "ceil": opCeil, "trunc": opTrunc,
	"abs": opAbs, "min": opMin, "max": opMax,
}

// arithTree converts a right-hand side, or returns nil when it is not a
// payload expression.
func arithTree(n ast.Expression) *arithExpr {
	switch x := n.(type) {
	case *ast.NumberLiteral:
		switch v := x.Value.(type) {
		case int64:
			return &arithExpr{op: opConst, c: intNumber(v)}
		case float64:
			return &arithExpr{op: opConst, c: floatNumber(v)}
		}
		return nil // a BigInt
	case *ast.Identifier:
		// Non-writable properties of the global object.
		switch x.Name {
		case "Infinity":
			return &arithExpr{op: opConst, c: jsNumber{f: math.Inf(1)}}
		case "NaN":
			return &arithExpr{op: opConst, c: jsNumber{f: math.NaN()}}
		}
	case *ast.DotExpression:
		if isMsgPayload(x) {
			return &arithExpr{op: opPayload}
		}
	case *ast.UnaryExpression:
		if x.Operator == token.MINUS && !x.Postfix {
			if a := arithTree(x.Operand); a != nil {
				return &arithExpr{op: opNeg, args: []*arithExpr{a}}
			}
		}
	case *ast.BinaryExpression:
		op, ok := binaryOps[x.Operator]
		if !ok {
			return nil
		}
		l, r := arithTree(x.Left), arithTree(x.Right)
		if l == nil || r == nil {
			return nil
		}
		return &arithExpr{op: op, args: []*arithExpr{l, r}}
	case *ast.CallExpression:
		d, ok := x.Callee.(*ast.DotExpression)
		if !ok {
			return nil
		}
		if obj, ok := d.Left.(*ast.Identifier); !ok || obj.Name != "Math" {
			return nil
		}
		op, ok := mathFuncs[d.Identifier.Name.String()]
		if !ok {
			return nil
		}
		want := len(x.ArgumentList)
		if (op != opMin && op != opMax && want != 1) || want == 0 {
			return nil
		}
		e := &arithExpr{op: op}
		for _, a := range x.ArgumentList {
			t := arithTree(a)
			if t == nil {
				return nil
			}
			e.args = append(e.args, t)
		}
		return e
	}
	return nil
}

// payloadNumber returns v as a jsNumber; ok is false when v is not a
// number.
func payloadNumber(v goja.Value) (jsNumber, bool) {
	if v == nil {
		return jsNumber{}, false
	}
	switch v.ExportType() {
	case typeInt64:
		return jsNumber{i: v.ToInteger(), isInt: true}, true
	case typeFloat64:
		return jsNumber{f: v.ToFloat()}, true
	}
	return jsNumber{}, false
}

// eval runs the assignments on payload and returns the final payload; ok
// is false when payload is not a number or the result cannot be made from
// Go (see above), and the stage must run in JavaScript.
func (pa *payloadArith) eval(vm *goja.Runtime, payload goja.Value) (goja.Value, bool) {
	p, ok := payloadNumber(payload)
	if !ok {
		return nil, false
	}
	for _, e := range pa.assigns {
		p = e.eval(p)
	}
	if p.isInt {
		return vm.ToValue(p.i), true
	}
	if r := floatNumber(p.f); r.isInt {
		return nil, false
	}
	return vm.ToValue(p.f), true
}

// eval evaluates e with msg.payload = p, as goja's operators and Math
// functions do.
func (e *arithExpr) eval(p jsNumber) jsNumber {
	switch e.op {
	case opPayload:
		return p
	case opConst:
		return e.c
	case opNeg:
		return neg(e.args[0].eval(p))
	case opAdd, opSub, opMul, opDiv, opMod:
		return binary(e.op, e.args[0].eval(p), e.args[1].eval(p))
	case opMin, opMax:
		r := math.Inf(1)
		if e.op == opMax {
			r = math.Inf(-1)
		}
		for _, a := range e.args {
			f := a.eval(p).float()
			if math.IsNaN(f) {
				return jsNumber{f: math.NaN()}
			}
			if e.op == opMin {
				r = math.Min(r, f)
			} else {
				r = math.Max(r, f)
			}
		}
		return floatNumber(r)
	}
	f := e.args[0].eval(p).float()
	switch e.op {
	case opFloor:
		return floatNumber(math.Floor(f))
	case opCeil:
		return floatNumber(math.Ceil(f))
	case opTrunc:
		return floatNumber(math.Trunc(f))
	case opAbs:
		return floatNumber(math.Abs(f))
	}
	return round(f) // opRound
}

// normalized is goja's toNumeric on a number: a double with an integral
// value within ±2^53 (intToValue makes one from a larger integer) becomes
// an integer. Unary minus, - * and % apply it to their operands; + does
// not.
func normalized(n jsNumber) jsNumber {
	if n.isInt {
		return n
	}
	return floatNumber(n.f)
}

// neg is goja's unary minus.
func neg(n jsNumber) jsNumber {
	n = normalized(n)
	if n.isInt {
		if n.i == 0 {
			return jsNumber{f: math.Copysign(0, -1)}
		}
		return jsNumber{i: -n.i, isInt: true}
	}
	if math.IsNaN(n.f) {
		return n
	}
	return jsNumber{f: -n.f}
}

// round is goja's Math.round.
func round(f float64) jsNumber {
	if math.IsNaN(f) || (f == 0 && math.Signbit(f)) {
		return jsNumber{f: f}
	}
	t := math.Trunc(f)
	if f >= 0 {
		if f-t >= 0.5 {
			return floatNumber(t + 1)
		}
	} else if t-f > 0.5 {
		return floatNumber(t - 1)
	}
	return floatNumber(t)
}

// binary is goja's + - * / % on two numbers.
func binary(op arithOp, l, r jsNumber) jsNumber {
	if op == opSub || op == opMul || op == opMod {
		l, r = normalized(l), normalized(r)
	}
	if l.isInt && r.isInt {
		a, b := l.i, r.i
		switch op {
		case opAdd:
			return intNumber(a + b)
		case opSub:
			return intNumber(a - b)
		case opMul:
			if a == 0 && b == -1 || a == -1 && b == 0 {
				return jsNumber{f: math.Copysign(0, -1)}
			}
			if res := a * b; a == 0 || b == 0 || res/a == b {
				return intNumber(res)
			}
		case opMod:
			if b == 0 {
				return jsNumber{f: math.NaN()}
			}
			if a%b == 0 && a < 0 {
				return jsNumber{f: math.Copysign(0, -1)}
			}
			return intNumber(a % b)
		}
	}
	x, y := l.float(), r.float()
	switch op {
	case opAdd:
		return floatNumber(x + y)
	case opSub:
		return floatNumber(x - y)
	case opMul:
		return floatNumber(x * y)
	case opMod:
		return floatNumber(math.Mod(x, y))
	}
	return divide(x, y)
}

// divide is goja's /.
func divide(x, y float64) jsNumber {
	switch {
	case math.IsNaN(x) || math.IsNaN(y),
		math.IsInf(x, 0) && math.IsInf(y, 0),
		x == 0 && y == 0:
		return jsNumber{f: math.NaN()}
	case math.IsInf(x, 0):
		if math.Signbit(x) == math.Signbit(y) {
			return jsNumber{f: math.Inf(1)}
		}
		return jsNumber{f: math.Inf(-1)}
	case math.IsInf(y, 0):
		if math.Signbit(x) == math.Signbit(y) {
			return jsNumber{i: 0, isInt: true}
		}
		return jsNumber{f: math.Copysign(0, -1)}
	case y == 0:
		if math.Signbit(x) == math.Signbit(y) {
			return jsNumber{f: math.Inf(1)}
		}
		return jsNumber{f: math.Inf(-1)}
	}
	return floatNumber(x / y)
}
