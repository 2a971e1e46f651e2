package engine

import (
	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// A condition's if is evaluated once per node, instead of once per sample,
// when both of these hold:
//
//   - Statically (metaOnlyKeys): the expression reads nothing but
//     msg.meta.<fixed key> (never a timestamp key), literals, the constants
//     undefined/NaN/Infinity, operators other than in/instanceof/delete/
//     ++/-- and assignment, ?:, .length, and a fixed list of string and
//     array methods. None of these can run user code or observe anything
//     but their operands (built-ins are frozen), so the result is a
//     function of the values of those keys.
//   - Dynamically (canReuse): the message is the sample's own msg with its
//     own meta and prototype, and no stage of this sample has set or
//     deleted any of those keys, and the node's sample-dependent entries
//     read (type, status) equal the node's first sample. Then every key
//     read holds the node's constant value.
//
// A result is cached only when the evaluation succeeded; a throwing if runs
// (and fails) every time.

// pureMethods are the methods an if may call on a meta value.
var pureMethods = map[string]bool{
	"startsWith": true, "endsWith": true, "includes": true, "indexOf": true,
	"lastIndexOf": true, "toLowerCase": true, "toUpperCase": true, "trim": true,
	"trimStart": true, "trimEnd": true, "slice": true, "substring": true,
	"charAt": true, "charCodeAt": true, "at": true, "split": true,
	"padStart": true, "padEnd": true, "concat": true,
}

// metaOnlyKeys returns the msg.meta keys the if expression of a compiled
// expression program reads, and whether the expression provably depends on
// nothing else (see above).
func metaOnlyKeys(prg *ast.Program) ([]string, bool) {
	expr := ifExpression(prg)
	if expr == nil {
		return nil, false
	}
	var c pureCheck
	if !c.expr(expr) {
		return nil, false
	}
	return c.keys, true
}

// ifExpression returns the user's expression of a compiled if (the
// argument of the wrapper's return), or nil.
func ifExpression(prg *ast.Program) ast.Expression {
	fn := wrapperFunc(prg)
	if fn == nil || fn.Body == nil {
		return nil
	}
	for _, s := range fn.Body.List {
		if r, ok := s.(*ast.ReturnStatement); ok {
			return r.Argument
		}
	}
	return nil
}

type pureCheck struct{ keys []string }

func (c *pureCheck) expr(n ast.Expression) bool {
	switch x := n.(type) {
	case *ast.StringLiteral, *ast.NumberLiteral, *ast.BooleanLiteral, *ast.NullLiteral:
		return true
	case *ast.Identifier:
		switch x.Name {
		case "undefined", "NaN", "Infinity":
			return true
		}
		return false
	case *ast.BinaryExpression:
		if x.Operator == token.IN || x.Operator == token.INSTANCEOF {
			return false
		}
		return c.expr(x.Left) && c.expr(x.Right)
	case *ast.UnaryExpression:
		switch x.Operator {
		case token.NOT, token.MINUS, token.PLUS, token.TYPEOF, token.BITWISE_NOT, token.VOID:
			return c.expr(x.Operand)
		}
		return false
	case *ast.ConditionalExpression:
		return c.expr(x.Test) && c.expr(x.Consequent) && c.expr(x.Alternate)
	case *ast.SequenceExpression:
		for _, e := range x.Sequence {
			if !c.expr(e) {
				return false
			}
		}
		return true
	case *ast.DotExpression:
		if isMsgMeta(x.Left) {
			return c.key(x.Identifier.Name.String())
		}
		if x.Identifier.Name == "length" {
			return c.expr(x.Left)
		}
		return false
	case *ast.BracketExpression:
		if lit, ok := x.Member.(*ast.StringLiteral); ok && isMsgMeta(x.Left) {
			return c.key(lit.Value.String())
		}
		return false
	case *ast.CallExpression:
		callee, ok := x.Callee.(*ast.DotExpression)
		if !ok || !pureMethods[callee.Identifier.Name.String()] || isMsgMeta(callee.Left) || !c.expr(callee.Left) {
			return false
		}
		for _, a := range x.ArgumentList {
			if !c.expr(a) {
				return false
			}
		}
		return true
	}
	return false
}

// key records a meta key read; keys that vary per sample or that resolve
// on Object.prototype are not pure.
func (c *pureCheck) key(k string) bool {
	if k == MetaSourceTimestamp || k == MetaServerTimestamp || !safeKey(k) {
		return false
	}
	c.keys = append(c.keys, k)
	return true
}

// safeKey reports whether k is a meta key that cannot resolve on
// Object.prototype.
func safeKey(k string) bool {
	switch k {
	case "__proto__", "constructor", "toString", "valueOf",
		"hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString",
		"__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__":
		return false
	}
	return true
}

// isMsgMeta reports whether n is the expression msg.meta.
func isMsgMeta(n ast.Expression) bool { return isMsgField(n, "meta") }

// isMsgField reports whether n is the expression msg.<field>.
func isMsgField(n ast.Expression, field string) bool {
	d, ok := n.(*ast.DotExpression)
	if !ok || d.Identifier.Name.String() != field {
		return false
	}
	id, ok := d.Left.(*ast.Identifier)
	return ok && id.Name == "msg"
}

// condCache states of one condition on one node.
const (
	condUnknown uint8 = iota
	condTrue
	condFalse
)

// canReuse reports whether the if of script s, about to run on message m,
// would read only the node's constant meta values (see above).
func (rt *jsRuntime) canReuse(s *script, m *goja.Object) bool {
	if !s.metaOnly || m != rt.msgObj || rt.msg.meta != rt.metaObj || rt.metaObj.Prototype() != rt.objProto {
		return false
	}
	for i := range rt.meta.over {
		for _, k := range s.metaKeys {
			if rt.meta.over[i].key == k {
				return false
			}
		}
	}
	return true
}
