package engine

import (
	"fmt"
	"sync"

	"github.com/dop251/goja"
)

// goja's built-ins run in Go and never look at the deadline: a built-in
// that walks or allocates by a length the script chose (fill, join, indexOf
// on an array whose length is 4294967295; "x".repeat(1<<30); new
// Uint8Array(1e9)) runs to completion, holding its runtime and allocating
// as much as asked. guardSrc replaces each such built-in, before the
// sandbox freezes them, by a wrapper that checks the length first and
// throws a *LimitError (reason limit) when it is beyond MaxScriptArrayLength
// or MaxScriptStringLength; below the limits the original runs as before,
// and a loop in user code stays under the deadline as any script does.
//
// The wrappers are plain functions with the original's name and length.
// The typed array and ArrayBuffer constructors are replaced by proxies that
// check the requested size and stay the prototypes' constructors, so
// instanceof and species lookups see the guarded constructor.
const guardSrc = `(function(fail, MAXA, MAXS){
"use strict";
var g = globalThis;
var apply = Reflect.apply, construct = Reflect.construct, defineProperty = Object.defineProperty;
var AP = Array.prototype, SP = String.prototype;
function len(o) {
	if (o === null || o === undefined) return 0;
	var n = Number(Object(o).length);
	return n > 0 ? n : 0;
}
function checkArray(n) { if (n > MAXA) fail("array_length", MAXA, n); }
function checkString(n) { if (n > MAXS) fail("string_length", MAXS, n); }
function replace(obj, name, guard) {
	var orig = obj[name];
	if (typeof orig !== "function") return;
	var w = {[name]: function() { guard(this, arguments); return apply(orig, this, arguments); }}[name];
	defineProperty(w, "length", {value: orig.length});
	defineProperty(obj, name, {value: w, writable: true, enumerable: false, configurable: true});
	return w;
}
function thisLength(self) { checkArray(len(self)); }
["copyWithin", "entries", "every", "fill", "filter", "find", "findIndex", "findLast",
 "findLastIndex", "flat", "flatMap", "forEach", "includes", "indexOf", "keys",
 "lastIndexOf", "map", "reduce", "reduceRight", "reverse", "shift", "slice", "some",
 "sort", "splice", "toLocaleString", "unshift", "toReversed", "toSorted",
 "toSpliced", "with"].forEach(function(name) { replace(AP, name, thisLength); });
var values = replace(AP, "values", thisLength);
if (values) defineProperty(AP, Symbol.iterator, {value: values, writable: true, enumerable: false, configurable: true});
replace(AP, "concat", function(self, args) {
	var n = len(self);
	for (var i = 0; i < args.length; i++) n += Array.isArray(args[i]) ? len(args[i]) : 1;
	checkArray(n);
});
replace(AP, "join", function(self, args) {
	var n = len(self);
	checkArray(n);
	var sep = args.length > 0 && args[0] !== undefined ? String(args[0]) : ",";
	if (n > 1) checkString((n - 1) * sep.length);
});
replace(Array, "from", function(self, args) {
	var src = args[0];
	if (src !== null && src !== undefined && typeof src !== "string" && typeof src[Symbol.iterator] !== "function") checkArray(len(src));
});
replace(SP, "repeat", function(self, args) {
	var n = Number(args[0]);
	var l = String(self).length;
	if (n > 0 && n !== Infinity && l > 0) checkString(l * n);
});
function pad(self, args) { var n = Number(args[0]); if (n > String(self).length) checkString(n); }
replace(SP, "padStart", pad);
replace(SP, "padEnd", pad);
function guardCtor(name, size) {
	var C = g[name];
	if (typeof C !== "function") return;
	var hasInstance = function(x) { return x instanceof C; };
	var P = new Proxy(C, {
		construct: function(t, args, nt) { size(args); return construct(t, args, nt === P ? t : nt); },
		apply: function(t, self, args) { return apply(t, self, args); },
		get: function(t, k, r) { return k === Symbol.hasInstance ? hasInstance : Reflect.get(t, k, r); }
	});
	defineProperty(C.prototype, "constructor", {value: P, writable: true, enumerable: false, configurable: true});
	defineProperty(g, name, {value: P, writable: true, enumerable: false, configurable: true});
}
function bytes(args) {
	var a = args[0];
	if (typeof a === "object" && a !== null) { checkArray(len(a)); return; }
	checkArray(Number(a));
}
["ArrayBuffer", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
 "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"
].forEach(function(name) { guardCtor(name, bytes); });
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

// installGuards replaces the length-driven built-ins of rt by guarded ones
// (see guardSrc). It must run before the sandbox freezes the built-ins.
func (rt *jsRuntime) installGuards() error {
	v, err := rt.vm.RunProgram(guardProgram())
	if err != nil {
		return fmt.Errorf("set up runtime guards: %w", err)
	}
	install, ok := goja.AssertFunction(v)
	if !ok {
		return fmt.Errorf("set up runtime guards: not a function")
	}
	vm := rt.vm
	fail := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		panic(vm.NewGoError(&LimitError{
			Limit: call.Argument(0).String(),
			Max:   call.Argument(1).ToInteger(),
			Got:   call.Argument(2).ToInteger(),
		}))
	})
	if _, err := install(goja.Undefined(), fail, vm.ToValue(MaxScriptArrayLength), vm.ToValue(MaxScriptStringLength)); err != nil {
		return fmt.Errorf("set up runtime guards: %w", err)
	}
	return nil
}
