package engine

import (
	"math"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// An if of the form `msg.payload <op> <number>` (or `<number> <op>
// msg.payload`), with op one of < <= > >= == === != !==, is the common
// threshold test. When the payload is a JavaScript number the result is a
// plain number comparison, done here without calling into JavaScript;
// every other payload (a string, an object, a deleted payload, a copy of
// the message) runs the if as written, so JavaScript's conversions apply.
// Numbers compare as goja does: two integers exactly, otherwise as IEEE
// doubles (a NaN compares false, and unequal).

// payloadCmp is a threshold test on msg.payload.
type payloadCmp struct {
	op token.Token // as if the payload were on the left
	// i is the literal when isInt, else f.
	i     int64
	f     float64
	isInt bool
}

// payloadComparison returns the threshold test an if expression program
// consists of, or nil.
func payloadComparison(prg *ast.Program) *payloadCmp {
	bin, ok := ifExpression(prg).(*ast.BinaryExpression)
	if !ok {
		return nil
	}
	op := bin.Operator
	c, ok := numberLiteral(bin.Right)
	if !ok || !isMsgPayload(bin.Left) {
		if c, ok = numberLiteral(bin.Left); !ok || !isMsgPayload(bin.Right) {
			return nil
		}
		op = mirrored[op] // literal <op> payload is payload <mirrored op> literal
	}
	switch op {
	case token.LESS, token.LESS_OR_EQUAL, token.GREATER, token.GREATER_OR_EQUAL:
	case token.EQUAL, token.STRICT_EQUAL:
		op = token.EQUAL
	case token.NOT_EQUAL, token.STRICT_NOT_EQUAL:
		op = token.NOT_EQUAL
	default:
		return nil
	}
	c.op = op
	return c
}

// mirrored maps a comparison to the one with its operands swapped; the
// equality operators are symmetric.
var mirrored = map[token.Token]token.Token{
	token.LESS: token.GREATER, token.LESS_OR_EQUAL: token.GREATER_OR_EQUAL,
	token.GREATER: token.LESS, token.GREATER_OR_EQUAL: token.LESS_OR_EQUAL,
	token.EQUAL: token.EQUAL, token.STRICT_EQUAL: token.STRICT_EQUAL,
	token.NOT_EQUAL: token.NOT_EQUAL, token.STRICT_NOT_EQUAL: token.STRICT_NOT_EQUAL,
}

// numberLiteral returns a test against the value of a number literal,
// possibly negated (its op is left for the caller).
func numberLiteral(n ast.Expression) (*payloadCmp, bool) {
	neg := false
	if u, ok := n.(*ast.UnaryExpression); ok && u.Operator == token.MINUS {
		neg, n = true, u.Operand
	}
	lit, ok := n.(*ast.NumberLiteral)
	if !ok {
		return nil, false
	}
	switch v := lit.Value.(type) {
	case int64:
		if neg && v == 0 {
			return &payloadCmp{f: math.Copysign(0, -1)}, true // -0 is a float in JavaScript
		}
		if neg {
			v = -v
		}
		return &payloadCmp{i: v, f: float64(v), isInt: true}, true
	case float64:
		if neg {
			v = -v
		}
		return &payloadCmp{f: v}, true
	}
	return nil, false
}

// isMsgPayload reports whether n is the expression msg.payload.
func isMsgPayload(n ast.Expression) bool { return isMsgField(n, "payload") }

// eval compares payload; ok is false when payload is not a number.
func (c *payloadCmp) eval(payload goja.Value) (result, ok bool) {
	if payload == nil {
		return false, false
	}
	switch payload.ExportType() {
	case typeInt64:
		if c.isInt {
			return cmpOrdered(c.op, payload.ToInteger(), c.i), true
		}
		return cmpOrdered(c.op, float64(payload.ToInteger()), c.f), true
	case typeFloat64:
		return cmpOrdered(c.op, payload.ToFloat(), c.f), true
	}
	return false, false
}

func cmpOrdered[T int64 | float64](op token.Token, a, b T) bool {
	switch op {
	case token.LESS:
		return a < b
	case token.LESS_OR_EQUAL:
		return a <= b
	case token.GREATER:
		return a > b
	case token.GREATER_OR_EQUAL:
		return a >= b
	case token.EQUAL:
		return a == b
	}
	return a != b // token.NOT_EQUAL
}
