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
//
// Most nodes' effects of a stage have one shape: each key gets either the
// same value on every node (a literal such as a location path) or one of
// the node's own strings (tag_name = opcua_tag_name). The first effect a
// stage records fixes its shape (see effectShape); a node whose effect has that
// shape keeps only its stage state (effectShared), the shape giving its values,
// instead of a record of its own (96 bytes a node and stage).

// States of a cached stage effect on one node (see nodeState.stageState).
const (
	effectUnknown uint8 = iota
	effectCached        // the node's own record holds the effect
	effectNever
	effectShared // the stage's shape holds the effect
)

// effectRecord is the recorded effect of one body stage: the final value of each
// of its writeKeys, in order. The values are shareable (see shareable):
// all runtimes apply the same record. A stage that reads no meta key has
// one record for every node, in its stage; the others have one per node,
// in the node's list (see nodeState.effects).
type effectRecord struct {
	stage int
	vals  []goja.Value
	next  *effectRecord
}

// effectShape is the shape of the effect of a body stage shared by many nodes:
// for each of the stage's writeKeys, either the value every node gets
// (vals[i], shareable), or, when ref[i] is not 0, the node's own string of
// base entry ref[i]-1 (see refEntry). Immutable.
type effectShape struct {
	vals []goja.Value
	ref  []uint8
}

// refEntry reports whether base entry i is one of the node's own strings
// that an effect's shape may refer to: a field of the node (or its
// source), the same for every sample of the node.
func refEntry(i int) bool {
	switch i {
	case idxSource, idxEndpoint, idxNodeID, idxTagName, idxTagGroup, idxTagPath, idxAttrNodeID, idxAttrBrowseName:
		return true
	}
	return false
}

// newShape returns the shape of the effect vals of script s on the
// runtime's current node: a string value equal to the node's string of a
// meta key the stage reads refers to that entry, every other value is
// taken as it is.
func (rt *jsRuntime) newShape(s *script, vals []goja.Value) *effectShape {
	sh := &effectShape{vals: make([]goja.Value, len(vals)), ref: make([]uint8, len(vals))}
	for i, v := range vals {
		sh.vals[i] = v
		str, isStr := v.(goja.String)
		if !isStr {
			continue
		}
		for _, k := range s.metaKeys {
			if b := fixedIndex(k); b >= 0 && refEntry(b) && rt.meta.baseStr(b) == str.String() {
				sh.vals[i], sh.ref[i] = nil, uint8(b+1)
				break
			}
		}
	}
	return sh
}

// fits reports whether vals, the effect of the stage on the runtime's
// current node, is what sh gives that node.
func (sh *effectShape) fits(m *metaHandler, vals []goja.Value) bool {
	for i, v := range vals {
		if sh.ref[i] != 0 {
			str, isStr := v.(goja.String)
			if !isStr || str.String() != m.baseStr(int(sh.ref[i])-1) {
				return false
			}
			continue
		}
		if !v.SameAs(sh.vals[i]) {
			return false
		}
	}
	return true
}

// metaOnlyStage returns the msg.meta keys a body stage reads and writes,
// and whether its effect provably depends on nothing but the keys it reads
// (see above).
func metaOnlyStage(prg *ast.Program) (reads, writes []string, ok bool) {
	assigns, ok := assignmentsThenReturn(prg)
	if !ok {
		return nil, nil, false
	}
	var c pureCheck
	for _, as := range assigns {
		if as.Operator != token.ASSIGN {
			return nil, nil, false
		}
		k, isKey := metaKeyOf(as.Left)
		if !isKey || !safeKey(k) || !c.expr(as.Right) {
			return nil, nil, false
		}
		writes = append(writes, k)
	}
	return c.keys, writes, true
}

// assignmentsThenReturn returns the assignments of a body stage that
// consists of nothing but assignment statements followed by `return msg;`
// (directives such as "use strict" and empty statements aside); ok is
// false for any other body, including one without `return msg`.
func assignmentsThenReturn(prg *ast.Program) (assigns []*ast.AssignExpression, ok bool) {
	fn := wrapperFunc(prg)
	if fn == nil || fn.Body == nil {
		return nil, false
	}
	list := fn.Body.List
	for i, st := range list {
		switch x := st.(type) {
		case *ast.EmptyStatement:
			continue
		case *ast.ReturnStatement:
			id, isID := x.Argument.(*ast.Identifier)
			return assigns, isID && id.Name == "msg" && onlyEmpty(list[i+1:])
		case *ast.ExpressionStatement:
			if _, directive := x.Expression.(*ast.StringLiteral); directive {
				continue
			}
			as, isAssign := x.Expression.(*ast.AssignExpression)
			if !isAssign {
				return nil, false
			}
			assigns = append(assigns, as)
		default:
			return nil, false
		}
	}
	return nil, false // no return msg: the stage drops the message
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
	st := rt.e.stages[idx]
	s := st.script
	if !s.metaOnly || !rt.canReuse(s, m) {
		return false, false
	}
	var rec *effectRecord
	if len(s.metaKeys) == 0 {
		if st.effectNever.Load() {
			return false, false
		}
		rec = st.effects.Load()
	} else {
		switch rt.ns.stageState(idx) {
		case effectNever:
			return false, false
		case effectCached:
			rec = rt.ns.effectOf(idx)
		case effectShared:
			sh := st.shape.Load()
			for i, k := range s.writeKeys {
				if sh.ref[i] != 0 {
					rt.meta.setRef(k, int(sh.ref[i])-1)
				} else {
					rt.meta.Set(k, sh.vals[i])
				}
			}
			return true, false
		}
	}
	if rec == nil {
		return false, true
	}
	for i, k := range s.writeKeys {
		rt.meta.Set(k, rec.vals[i])
	}
	return true, false
}

// recordStage records the effect of body stage idx, which has just run on
// the node's own msg and returned ret (see cachedStage).
func (rt *jsRuntime) recordStage(idx int, ret goja.Value) {
	st := rt.e.stages[idx]
	vals := rt.stageEffect(st.script, ret)
	if len(st.script.metaKeys) == 0 {
		if vals == nil {
			st.effectNever.Store(true)
		} else {
			st.effects.CompareAndSwap(nil, &effectRecord{stage: idx, vals: vals})
		}
		return
	}
	if vals == nil {
		rt.ns.setStageState(idx, effectNever)
		return
	}
	sh := st.shape.Load()
	if sh == nil {
		st.shape.CompareAndSwap(nil, rt.newShape(st.script, vals))
		sh = st.shape.Load()
	}
	if sh.fits(&rt.meta, vals) {
		rt.ns.setStageState(idx, effectShared) // the shape is set before
		return
	}
	rt.ns.addEffect(&effectRecord{stage: idx, vals: vals})
	rt.ns.setStageState(idx, effectCached) // after the record, which readers then find
}

// stageEffect returns the values of the keys script s wrote, in a form
// every runtime may use, or nil when the effect cannot be recorded.
func (rt *jsRuntime) stageEffect(s *script, ret goja.Value) []goja.Value {
	if ret != rt.msgObj || rt.msg.meta != rt.metaObj {
		return nil
	}
	vals := make([]goja.Value, len(s.writeKeys))
	for i, k := range s.writeKeys {
		v, ok := shareable(rt.meta.Get(k))
		if !ok {
			return nil // absent, an object, or nothing goja lets us share
		}
		vals[i] = v
	}
	return vals
}
