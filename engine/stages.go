package engine

import (
	"errors"
	"strconv"

	"github.com/dop251/goja"
)

// Errors of a stage's return value (reason bad_return).
var (
	errReturnType = errors.New("stage returned neither a message object, an array of messages, null nor undefined")
	errReturnElem = errors.New("stage returned an array holding something other than a message object or null")
	errReturnMeta = errors.New("stage returned a message whose meta is not an object")
)

// missingReturnWarning is logged once for a stage whose first
// missingReturnCalls calls all returned undefined.
const missingReturnWarning = "stage returned undefined on each of its first 100 calls: does it lack `return msg;`?"

// runStage runs the function stage idx on every message of in, appending
// what it returns to out in order. A message whose call fails is reported
// and dropped; the others go on.
func (rt *jsRuntime) runStage(idx int, in, out []*goja.Object, fail func(Failure)) []*goja.Object {
	for _, m := range in {
		out = rt.runBody(idx, m, out, fail)
	}
	rt.args[0] = nil
	return out
}

// runCondition runs conditions[k]: for every message of in, its if (stage
// ifIdx); a truthy result runs then (stage ifIdx+1) on it, a falsy one
// passes the message on unchanged.
func (rt *jsRuntime) runCondition(ifIdx int, in, out []*goja.Object, fail func(Failure)) []*goja.Object {
	cond := rt.fns[ifIdx]
	for _, m := range in {
		rt.stage = ifIdx
		truthy, err := rt.evalIf(ifIdx, cond, m)
		if err != nil {
			rt.report(rt.jsFailure(ifIdx, err), ifIdx, fail)
			continue
		}
		if !truthy {
			out = append(out, m)
			continue
		}
		out = rt.runBody(ifIdx+1, m, out, fail)
	}
	rt.args[0] = nil
	return out
}

// runBody runs body stage idx on message m and appends what it returns to
// out: the node's recorded effect when it may stand in for the call (see
// stagecache.go), or the payload arithmetic done in Go (see
// payloadexpr.go), else the call's result, recorded when it may be reused.
func (rt *jsRuntime) runBody(idx int, m *goja.Object, out []*goja.Object, fail func(Failure)) []*goja.Object {
	rt.stage = idx
	if a := rt.e.stages[idx].script.arith; a != nil && m == rt.msgObj {
		if v, ok := a.eval(rt.vm, rt.msg.payload); ok {
			rt.msg.payload, rt.msg.touched = v, true
			return rt.collect(idx, m, out, fail)
		}
	}
	applied, reuse := rt.cachedStage(idx, m)
	if applied {
		return append(out, m)
	}
	rt.arm()
	rt.args[0] = m
	rt.recording = reuse
	ret, err := rt.fns[idx](goja.Undefined(), rt.args[:]...)
	rt.recording = false
	if err != nil {
		rt.report(rt.jsFailure(idx, err), idx, fail)
		return out
	}
	if reuse {
		rt.recordStage(idx, ret)
	}
	return rt.collect(idx, ret, out, fail)
}

// evalIf evaluates the if of stage ifIdx on m, from the node's cached
// result when that is provably the same (see cacheable.go).
func (rt *jsRuntime) evalIf(ifIdx int, cond goja.Callable, m *goja.Object) (bool, error) {
	s := rt.e.stages[ifIdx].script
	reuse := rt.canReuse(s, m)
	if reuse {
		switch rt.ns.stageState(ifIdx) {
		case condTrue:
			return true, nil
		case condFalse:
			return false, nil
		}
	}
	if s.cmp != nil && m == rt.msgObj {
		if truthy, ok := s.cmp.eval(rt.msg.payload); ok {
			rt.msg.touched = true // as the script's read of msg.payload
			return truthy, nil
		}
	}
	rt.arm()
	rt.args[0] = m
	rt.recording = reuse
	v, err := cond(goja.Undefined(), rt.args[:]...)
	rt.recording = false
	if err != nil {
		return false, err
	}
	truthy := v.ToBoolean()
	if reuse {
		st := condFalse
		if truthy {
			st = condTrue
		}
		rt.ns.setStageState(ifIdx, st)
	}
	return truthy, nil
}

// collect classifies a stage's return value: a message object continues, an
// array fans out (null elements skipped), null or undefined drops the
// message (reason filtered), anything else fails it (reason bad_return).
func (rt *jsRuntime) collect(idx int, ret goja.Value, out []*goja.Object, fail func(Failure)) []*goja.Object {
	st := rt.e.stages[idx]
	undefined := ret == nil || goja.IsUndefined(ret)
	if st.watchReturn(undefined) {
		rt.e.log.Warn().Str("stage", st.name).Msg(missingReturnWarning)
	}
	if undefined || goja.IsNull(ret) {
		st.filtered.Add(1)
		return out
	}
	obj, ok := ret.(*goja.Object)
	if !ok {
		rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: errReturnType}, idx, fail)
		return out
	}
	if obj == rt.msgObj {
		if !isPlainObject(rt.msg.meta) {
			rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: errReturnMeta}, idx, fail)
			return out
		}
		return append(out, obj)
	}
	if obj.ClassName() != "Array" {
		if err := rt.checkMessage(obj); err != nil {
			rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: err}, idx, fail)
			return out
		}
		return append(out, obj)
	}
	// Fan-out: check every element before emitting any, so a bad element
	// fails the whole return value rather than half of it.
	start := len(out)
	var n int64
	if ex := rt.vm.Try(func() { n = obj.Get("length").ToInteger() }); ex != nil {
		rt.report(rt.jsFailure(idx, ex), idx, fail)
		return out
	}
	if n > MaxFanOut {
		rt.report(limitFailure(st.name, errLimit(LimitFanOut, MaxFanOut, n)), idx, fail)
		return out
	}
	for i := int64(0); i < n; i++ {
		if rt.overdue.Load() {
			rt.report(rt.timeoutFailure(idx), idx, fail)
			return out[:start]
		}
		if len(out) >= MaxFanOut {
			rt.report(limitFailure(st.name, errLimit(LimitFanOut, MaxFanOut, int64(len(out))+n-i)), idx, fail)
			return out[:start]
		}
		var el goja.Value
		if ex := rt.vm.Try(func() { el = obj.Get(indexKey(i)) }); ex != nil {
			rt.report(rt.jsFailure(idx, ex), idx, fail)
			return out[:start]
		}
		if el == nil || goja.IsNull(el) || goja.IsUndefined(el) {
			continue
		}
		m, ok := el.(*goja.Object)
		if !ok || m.ClassName() == "Array" {
			rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: errReturnElem}, idx, fail)
			return out[:start]
		}
		if m != rt.msgObj {
			if err := rt.checkMessage(m); err != nil {
				rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: err}, idx, fail)
				return out[:start]
			}
		} else if !isPlainObject(rt.msg.meta) {
			rt.report(Failure{Stage: st.name, Reason: ReasonBadReturn, Err: errReturnMeta}, idx, fail)
			return out[:start]
		}
		out = append(out, m)
	}
	if len(out) == start {
		st.filtered.Add(1)
	}
	return out
}

// checkMessage verifies that a returned object other than msg has an object
// meta.
func (rt *jsRuntime) checkMessage(o *goja.Object) error {
	var meta goja.Value
	if ex := rt.vm.Try(func() { meta = o.Get("meta") }); ex != nil {
		return errors.New(rt.exceptionText(ex))
	}
	if !isPlainObject(meta) {
		return errReturnMeta
	}
	return nil
}

// isPlainObject reports whether v is an object that is neither an array nor
// a function.
func isPlainObject(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	if !ok {
		return false
	}
	if _, fn := goja.AssertFunction(o); fn {
		return false
	}
	return o.ClassName() != "Array"
}

var indexKeys = func() (k [64]string) {
	for i := range k {
		k[i] = strconv.Itoa(i)
	}
	return k
}()

func indexKey(i int64) string {
	if i < int64(len(indexKeys)) {
		return indexKeys[i]
	}
	return strconv.FormatInt(i, 10)
}
