package engine

import (
	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// A body stage (defaults, a condition's then, advancedProcessing) runs once
// per node, instead of once per sample, when its effect provably depends
// only on the node's meta; later samples of the node get the recorded
// effect applied in Go, without calling into JavaScript. That holds when:
//
//   - Statically (metaOnlyStage): the body is a sequence of assignments
//     msg.meta.<key> = <expression>, each expression as pure as a
//     cacheable if (see cacheable.go), ending in `return msg;`. Nothing in
//     it can branch, loop, throw on purpose, read the payload, cache,
//     console or time, or replace msg or msg.meta.
//   - Dynamically (canReuse, as for an if): the message is the sample's own
//     msg with its own meta and prototype, no earlier stage of this sample
//     has set or deleted a key the stage reads, and the node's
//     sample-dependent entries equal the node's first sample.
//
// The effect is recorded after a successful run as the final value of each
// key the stage writes. It is kept only when every such value is a
// primitive: an object (split() returns an array) would be shared between
// messages, so such a stage runs every time.

// metaWrite is one key a cached stage sets, with its value.
type metaWrite struct {
	key string
	val goja.Value
}

// States of a cached stage effect on one node.
const (
	fxUnknown uint8 = iota
	fxCached
	fxNever
)

// stageFx is the recorded effect of one body stage on one node.
type stageFx struct {
	state  uint8
	writes []metaWrite
}

// metaOnlyStage returns the msg.meta keys a body stage reads and writes,
// and whether its effect provably depends on nothing but the keys it reads
// (see above).
func metaOnlyStage(prg *ast.Program) (reads, writes []string, ok bool) {
	fn := wrapperFunc(prg)
	if fn == nil || fn.Body == nil {
		return nil, nil, false
	}
	var c pureCheck
	list := fn.Body.List
	for i, st := range list {
		switch x := st.(type) {
		case *ast.EmptyStatement:
			continue
		case *ast.ReturnStatement:
			id, isID := x.Argument.(*ast.Identifier)
			if !isID || id.Name != "msg" || !onlyEmpty(list[i+1:]) {
				return nil, nil, false
			}
			return c.keys, writes, true
		case *ast.ExpressionStatement:
			if _, directive := x.Expression.(*ast.StringLiteral); directive {
				continue // "use strict" and other directives
			}
			as, isAssign := x.Expression.(*ast.AssignExpression)
			if !isAssign || as.Operator != token.ASSIGN {
				return nil, nil, false
			}
			k, isKey := metaKeyOf(as.Left)
			if !isKey || !safeKey(k) || !c.expr(as.Right) {
				return nil, nil, false
			}
			writes = append(writes, k)
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false // no return msg: the stage drops the message
}

// wrapperFunc returns the function literal a compiled snippet consists of.
func wrapperFunc(prg *ast.Program) *ast.FunctionLiteral {
	if len(prg.Body) != 1 {
		return nil
	}
	st, ok := prg.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil
	}
	fn, _ := st.Expression.(*ast.FunctionLiteral)
	return fn
}

// onlyEmpty reports whether every statement of list is empty.
func onlyEmpty(list []ast.Statement) bool {
	for _, st := range list {
		if _, ok := st.(*ast.EmptyStatement); !ok {
			return false
		}
	}
	return true
}

// metaKeyOf returns k when n is msg.meta.k or msg.meta["k"].
func metaKeyOf(n ast.Expression) (string, bool) {
	switch x := n.(type) {
	case *ast.DotExpression:
		if isMsgMeta(x.Left) {
			return x.Identifier.Name.String(), true
		}
	case *ast.BracketExpression:
		if lit, ok := x.Member.(*ast.StringLiteral); ok && isMsgMeta(x.Left) {
			return lit.Value.String(), true
		}
	}
	return "", false
}

// cachedStage applies the recorded effect of body stage idx on m when it
// may stand in for running the stage, and reports whether it did. reuse
// tells the caller to record the effect after running the stage itself.
func (rt *jsRuntime) cachedStage(idx int, m *goja.Object) (applied, reuse bool) {
	s := rt.e.stages[idx].script
	if !s.metaOnly || !rt.canReuse(s, m) {
		return false, false
	}
	fx := rt.nm.stageFx(idx, len(rt.e.stages))
	switch fx.state {
	case fxCached:
		for _, w := range fx.writes {
			rt.meta.Set(w.key, w.val)
		}
		return true, false
	case fxNever:
		return false, false
	}
	return false, true
}

// recordStage records the effect of body stage idx, which has just run on
// the node's own msg and returned ret (see cachedStage).
func (rt *jsRuntime) recordStage(idx int, ret goja.Value) {
	fx := rt.nm.stageFx(idx, len(rt.e.stages))
	fx.state = fxNever
	if ret != rt.msgObj || rt.msg.meta != rt.metaObj {
		return
	}
	keys := rt.e.stages[idx].script.writeKeys
	writes := make([]metaWrite, 0, len(keys))
	for _, k := range keys {
		v := rt.meta.Get(k)
		if v == nil {
			return
		}
		if _, isObj := v.(*goja.Object); isObj {
			return
		}
		writes = append(writes, metaWrite{key: k, val: v})
	}
	fx.writes, fx.state = writes, fxCached
}

// stageFx returns the node's effect slot of stage idx of n stages.
func (nm *nodeMeta) stageFx(idx, n int) *stageFx {
	if nm.fx == nil {
		nm.fx = make([]stageFx, n)
	}
	return &nm.fx[idx]
}
