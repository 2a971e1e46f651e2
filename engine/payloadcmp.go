package engine

import (
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
// The literal (a number, Infinity or NaN, possibly negated) is held as
// goja holds it (see jsNumber: an integer literal beyond 2^53 is a double),
// and numbers compare as goja does: two integers exactly, otherwise as
// IEEE doubles (a NaN compares false, and unequal).

// payloadCmp is a threshold test on msg.payload.
type payloadCmp struct {
	op token.Token // as if the payload were on the left
	// c is the literal as goja holds it (see jsNumber).
	c jsNumber
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
	return &payloadCmp{op: op, c: c}
}

// mirrored maps a comparison to the one with its operands swapped; the
// equality operators are symmetric.
var mirrored = map[token.Token]token.Token{
	token.LESS: token.GREATER, token.LESS_OR_EQUAL: token.GREATER_OR_EQUAL,
	token.GREATER: token.LESS, token.GREATER_OR_EQUAL: token.LESS_OR_EQUAL,
	token.EQUAL: token.EQUAL, token.STRICT_EQUAL: token.STRICT_EQUAL,
	token.NOT_EQUAL: token.NOT_EQUAL, token.STRICT_NOT_EQUAL: token.STRICT_NOT_EQUAL,
}

// numberLiteral returns the value of a number literal, Infinity or NaN,
// possibly negated, as goja holds it.
func numberLiteral(n ast.Expression) (jsNumber, bool) {
	if u, ok := n.(*ast.UnaryExpression); ok && u.Operator == token.MINUS && !u.Postfix {
		c, ok := numberLiteral(u.Operand)
		return neg(c), ok
	}
	if e := arithTree(n); e != nil && e.op == opConst {
		return e.c, true
	}
	return jsNumber{}, false
}

// isMsgPayload reports whether n is the expression msg.payload.
func isMsgPayload(n ast.Expression) bool { return isMsgField(n, "payload") }

// eval compares payload; ok is false when payload is not a number.
func (c *payloadCmp) eval(payload goja.Value) (result, ok bool) {
	p, ok := payloadNumber(payload)
	if !ok {
		return false, false
	}
	if p.isInt && c.c.isInt {
		return cmpOrdered(c.op, p.i, c.c.i), true
	}
	return cmpOrdered(c.op, p.float(), c.c.float()), true
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
