package engine

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// goja's built-ins run in Go and never look at the deadline: a built-in
// that walks or allocates by a length the script chose (fill, join, indexOf
// on an array whose length is 4294967295; "x".repeat(1<<30); new
// Uint8Array(1e9)) runs to completion, holding its runtime and allocating
// as much as asked. installGuards replaces each such built-in, before the
// sandbox freezes them, by a wrapper that checks the length first and
// throws a *LimitError (reason limit) when it is beyond MaxScriptArrayLength
// or MaxScriptStringLength; below the limits the original runs as before,
// and a loop in user code stays under the deadline as any script does.
//
// The wrappers of methods are Go functions with the original's name and
// length (a JavaScript wrapper cost three times as much per call). The
// typed array and ArrayBuffer constructors are replaced by proxies (guardSrc)
// that check the requested size and stay the prototypes' constructors, so
// instanceof and species lookups see the guarded constructor.
const guardSrc = `(function(fail, MAXA){
"use strict";
var g = globalThis;
var apply = Reflect.apply, construct = Reflect.construct, defineProperty = Object.defineProperty;
function len(o) {
	var n = Number(Object(o).length);
	return n > 0 ? n : 0;
}
function guardCtor(name) {
	var C = g[name];
	if (typeof C !== "function") return;
	var hasInstance = function(x) { return x instanceof C; };
	var P = new Proxy(C, {
		construct: function(t, args, nt) {
			var a = args[0];
			var n = (typeof a === "object" && a !== null) ? len(a) : Number(a);
			if (n > MAXA) fail("array_length", MAXA, n);
			return construct(t, args, nt === P ? t : nt);
		},
		apply: function(t, self, args) { return apply(t, self, args); },
		get: function(t, k, r) { return k === Symbol.hasInstance ? hasInstance : Reflect.get(t, k, r); }
	});
	defineProperty(C.prototype, "constructor", {value: P, writable: true, enumerable: false, configurable: true});
	defineProperty(g, name, {value: P, writable: true, enumerable: false, configurable: true});
}
["ArrayBuffer", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
 "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"
].forEach(guardCtor);
})`

var (
	guardOnce sync.Once
	guardPrg  *goja.Program
)

// guardProgram returns the compiled guardSrc.
func guardProgram() *goja.Program {
	guardOnce.Do(func() { guardPrg = goja.MustCompile("guards", guardSrc, true) })
	return guardPrg
}

// arrayWalkers are the Array.prototype methods that walk or copy their
// receiver by its length in Go.
var arrayWalkers = [...]string{
	"copyWithin", "entries", "every", "fill", "filter", "find", "findIndex", "findLast",
	"findLastIndex", "flat", "flatMap", "forEach", "includes", "indexOf", "keys",
	"lastIndexOf", "map", "reduce", "reduceRight", "reverse", "shift", "slice", "some",
	"sort", "splice", "toLocaleString", "unshift", "toReversed", "toSorted",
	"toSpliced", "with",
}

// installGuards replaces the length-driven built-ins of rt by guarded ones
// (see above). It must run before the sandbox freezes the built-ins.
func (rt *jsRuntime) installGuards() error {
	vm := rt.vm
	array := vm.Get("Array").ToObject(vm)
	ap := array.Get("prototype").ToObject(vm)
	sp := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	var errs []error
	wrap := func(obj *goja.Object, name string, check func(goja.FunctionCall)) *goja.Object {
		w, err := rt.guard(obj, name, check)
		if err != nil {
			errs = append(errs, err)
		}
		return w
	}
	for _, name := range arrayWalkers {
		wrap(ap, name, rt.checkThisLength)
	}
	if values := wrap(ap, "values", rt.checkThisLength); values != nil {
		errs = append(errs, ap.DefineDataPropertySymbol(goja.SymIterator, values, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE))
	}
	wrap(ap, "concat", func(call goja.FunctionCall) {
		n := rt.lengthOf(call.This)
		for _, a := range call.Arguments {
			if o, ok := a.(*goja.Object); ok && o.ClassName() == "Array" {
				n += rt.lengthOf(o)
			} else {
				n++
			}
		}
		rt.checkArray(n)
	})
	wrap(ap, "join", func(call goja.FunctionCall) {
		n := rt.lengthOf(call.This)
		rt.checkArray(n)
		sep := 1 // ","
		if s := call.Argument(0); !goja.IsUndefined(s) {
			sep = len(s.String())
		}
		if n > 1 {
			rt.checkString((n - 1) * float64(sep))
		}
	})
	wrap(array, "from", func(call goja.FunctionCall) {
		src, ok := call.Argument(0).(*goja.Object)
		if !ok {
			return
		}
		if it := src.GetSymbol(goja.SymIterator); it == nil || goja.IsUndefined(it) {
			rt.checkArray(rt.lengthOf(src))
		}
	})
	wrap(sp, "repeat", func(call goja.FunctionCall) {
		n := call.Argument(0).ToFloat()
		if l := len(call.This.String()); n > 0 && !math.IsInf(n, 1) && l > 0 {
			rt.checkString(float64(l) * n)
		}
	})
	pad := func(call goja.FunctionCall) {
		if n := call.Argument(0).ToFloat(); n > float64(len(call.This.String())) {
			rt.checkString(n)
		}
	}
	wrap(sp, "padStart", pad)
	wrap(sp, "padEnd", pad)
	wrap(sp, "replace", func(call goja.FunctionCall) { rt.checkReplace(call, false) })
	wrap(sp, "replaceAll", func(call goja.FunctionCall) { rt.checkReplace(call, true) })
	// An argument list built from an array-like is allocated by its
	// length before the call.
	argList := func(i int) func(goja.FunctionCall) {
		return func(call goja.FunctionCall) {
			if o, ok := call.Argument(i).(*goja.Object); ok {
				rt.checkArray(rt.lengthOf(o))
			}
		}
	}
	wrap(vm.Get("Function").ToObject(vm).Get("prototype").ToObject(vm), "apply", argList(1))
	reflect := vm.Get("Reflect").ToObject(vm)
	wrap(reflect, "apply", argList(2))
	wrap(reflect, "construct", argList(1))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("set up runtime guards: %w", err)
	}

	v, err := vm.RunProgram(guardProgram())
	if err != nil {
		return fmt.Errorf("set up runtime guards: %w", err)
	}
	install, ok := goja.AssertFunction(v)
	if !ok {
		return fmt.Errorf("set up runtime guards: not a function")
	}
	fail := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		panic(vm.NewGoError(&LimitError{
			Limit: call.Argument(0).String(),
			Max:   call.Argument(1).ToInteger(),
			Got:   call.Argument(2).ToInteger(),
		}))
	})
	if _, err := install(goja.Undefined(), fail, vm.ToValue(MaxScriptArrayLength)); err != nil {
		return fmt.Errorf("set up runtime guards: %w", err)
	}
	return nil
}

// guard replaces obj[name] (when it is a function) by a Go function that
// runs check on the call, then the original, and returns the wrapper.
func (rt *jsRuntime) guard(obj *goja.Object, name string, check func(goja.FunctionCall)) (*goja.Object, error) {
	v := obj.Get(name)
	orig, ok := goja.AssertFunction(v)
	if !ok {
		return nil, nil
	}
	vm := rt.vm
	w := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		check(call)
		r, err := orig(call.This, call.Arguments...)
		if err != nil {
			panic(err) // rethrown as it came: an exception, or the interrupt
		}
		return r
	}).(*goja.Object)
	o := v.(*goja.Object)
	if err := w.DefineDataProperty("name", o.Get("name"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := w.DefineDataProperty("length", o.Get("length"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := obj.DefineDataProperty(name, w, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return w, nil
}

// lengthOf is ToLength(v.length) as a float, 0 for null and undefined.
func (rt *jsRuntime) lengthOf(v goja.Value) float64 {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	n := v.ToObject(rt.vm).Get("length")
	if n == nil {
		return 0
	}
	if f := n.ToFloat(); f > 0 {
		return f
	}
	return 0
}

// checkThisLength refuses a call whose receiver is longer than
// MaxScriptArrayLength.
func (rt *jsRuntime) checkThisLength(call goja.FunctionCall) { rt.checkArray(rt.lengthOf(call.This)) }

// checkArray throws limit array_length for an array longer than
// MaxScriptArrayLength.
func (rt *jsRuntime) checkArray(n float64) {
	if n > MaxScriptArrayLength {
		panic(rt.vm.NewGoError(&LimitError{Limit: LimitArrayLength, Max: MaxScriptArrayLength, Got: clampInt64(n)}))
	}
}

// checkString throws limit string_length for a string longer than
// MaxScriptStringLength.
func (rt *jsRuntime) checkString(n float64) {
	if n > MaxScriptStringLength {
		panic(rt.vm.NewGoError(&LimitError{Limit: LimitStringLength, Max: MaxScriptStringLength, Got: clampInt64(n)}))
	}
}

// clampInt64 converts a non-negative length to int64, saturating.
func clampInt64(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}

// checkReplace refuses a replace or replaceAll whose result can be longer
// than MaxScriptStringLength ("x".repeat(4e6).replaceAll("", "y".repeat(4e6))
// would build 1.6e13 characters in Go): the result is at most the string
// plus, per match, the replacement, in which $& inserts the match and $`
// and $' up to the whole string. A string pattern's matches are counted
// exactly; a global regular expression is taken to match at every position
// and each $ in its replacement to insert up to the whole string, which can
// refuse a long string that would in fact stay short. A replacement
// function is not bounded here (each call runs under the deadline).
func (rt *jsRuntime) checkReplace(call goja.FunctionCall, all bool) {
	repl := call.Argument(1)
	if o, ok := repl.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(o); isFn {
			return
		}
	}
	str := call.This.String()
	r := repl.String()
	var per, matches float64
	if p, ok := call.Argument(0).(*goja.Object); ok && p.ClassName() == "RegExp" {
		per = float64(len(r)) + float64(strings.Count(r, "$"))*float64(len(str))
		matches = 1
		if g := p.Get("global"); g != nil && g.ToBoolean() {
			matches = float64(len(str) + 1)
		}
	} else {
		pat := call.Argument(0).String()
		// $& inserts the pattern itself, $` and $' up to the whole string.
		per = float64(len(r)) + float64(strings.Count(r, "$&"))*float64(len(pat)) +
			float64(strings.Count(r, "$`")+strings.Count(r, "$'"))*float64(len(str))
		if pat == "" {
			matches = float64(utf8.RuneCountInString(str) + 1)
		} else {
			matches = float64(strings.Count(str, pat))
		}
		if !all {
			matches = min(matches, 1)
		}
	}
	if per*matches > MaxScriptStringLength {
		rt.checkString(float64(len(str)) + per*matches)
	}
}
