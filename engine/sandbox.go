package engine

import (
	"sync"

	"github.com/dop251/goja"
)

// maxCallStack bounds the JS call depth of one runtime; deeper recursion
// throws a RangeError-like uncatchable error that fails the message.
const maxCallStack = 1024

// sandboxSrc runs once per runtime after console and cache are installed.
// It removes every way to generate code from strings (eval, Function and
// the constructors reachable as (function(){}).constructor, also for
// generator and async functions) and then freezes everything reachable from
// the global object, including prototypes that are reachable only through
// instances (iterators, generators). After it ran, no message can leave
// anything behind for the next one: in strict mode an assignment to an
// undeclared name, a new global property or a change to a built-in object
// throws a TypeError or ReferenceError.
const sandboxSrc = `(function(){
"use strict";
var g = globalThis;
var FP = Function.prototype;
var roots = [g, FP];
var ctorProtos = [FP];
function tryPush(f) { try { var p = f(); if (p) { ctorProtos.push(p); roots.push(p); } } catch (e) {} }
tryPush(function(){ return Object.getPrototypeOf(new Function("return function*(){}")()); });
tryPush(function(){ return Object.getPrototypeOf(new Function("return async function(){}")()); });
tryPush(function(){ return Object.getPrototypeOf(new Function("return async function*(){}")()); });
function tryRoot(f) { try { var v = f(); if (v) roots.push(v); } catch (e) {} }
tryRoot(function(){ return [][Symbol.iterator](); });
tryRoot(function(){ return new Map()[Symbol.iterator](); });
tryRoot(function(){ return new Set()[Symbol.iterator](); });
tryRoot(function(){ return ""[Symbol.iterator](); });
tryRoot(function(){ return /x/[Symbol.matchAll]("x"); });
tryRoot(function(){ return new Function("return (function*(){})()")(); });
tryRoot(function(){ return new Function("return (async function*(){})()")(); });
tryRoot(function(){ return Object.getPrototypeOf(Int8Array); });
tryRoot(function(){ return (function(){ return arguments; })(); });
tryRoot(function(){ return Promise.resolve(); });
var blocked = function() { throw new TypeError("code generation from strings is disabled"); };
Object.freeze(blocked);
for (var i = 0; i < ctorProtos.length; i++) {
	Object.defineProperty(ctorProtos[i], "constructor", {value: blocked, writable: false, enumerable: false, configurable: false});
}
delete g.eval;
delete g.Function;
// Frozen prototypes make "obj.toString = f" or "err.name = 'X'" on a
// script's own objects throw (the override mistake). For the properties
// scripts commonly override, a setter defines the property on the object
// assigned to instead; the prototype itself stays unchanged.
function allowOverride(obj, prop) {
	var d = Reflect.getOwnPropertyDescriptor(obj, prop);
	if (!d || !("value" in d) || !d.configurable) return;
	var value = d.value;
	Object.defineProperty(obj, prop, {
		get: function() { return value; },
		set: function(v) {
			if (this === obj) throw new TypeError("cannot assign to " + String(prop) + " of a built-in prototype");
			Object.defineProperty(this, prop, {value: v, writable: true, enumerable: true, configurable: true});
		},
		enumerable: d.enumerable,
		configurable: false
	});
}
var overridable = [
	[Object.prototype, ["constructor", "toString", "toLocaleString", "valueOf", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable"]],
	[Array.prototype, ["constructor", "toString"]],
	[Error.prototype, ["constructor", "name", "message", "toString"]],
	[TypeError.prototype, ["constructor", "name", "message"]],
	[RangeError.prototype, ["constructor", "name", "message"]],
	[ReferenceError.prototype, ["constructor", "name", "message"]],
	[SyntaxError.prototype, ["constructor", "name", "message"]],
	[EvalError.prototype, ["constructor", "name", "message"]],
	[URIError.prototype, ["constructor", "name", "message"]]
];
for (var j = 0; j < overridable.length; j++) {
	for (var p = 0; p < overridable[j][1].length; p++) allowOverride(overridable[j][0], overridable[j][1][p]);
}
var seen = new Set();
var stack = roots.slice();
while (stack.length > 0) {
	var o = stack.pop();
	if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
	seen.add(o);
	var keys = Reflect.ownKeys(o);
	for (var k = 0; k < keys.length; k++) {
		var d = Reflect.getOwnPropertyDescriptor(o, keys[k]);
		if (!d) continue;
		if ("value" in d) { stack.push(d.value); } else { stack.push(d.get); stack.push(d.set); }
	}
	stack.push(Object.getPrototypeOf(o));
	Object.freeze(o);
}
})()`

var (
	sandboxOnce sync.Once
	sandboxPrg  *goja.Program
	driverPrg   *goja.Program
)

// sandboxProgram returns the compiled sandbox setup; a Program may be run by
// any number of runtimes.
func sandboxProgram() *goja.Program {
	sandboxOnce.Do(func() {
		sandboxPrg = goja.MustCompile("sandbox", sandboxSrc, true)
		driverPrg = goja.MustCompile("driver", driverSrc, true)
	})
	return sandboxPrg
}

// driverSrc is the outer function every sample runs in (see jsRuntime.driver).
const driverSrc = `(function(run){ "use strict"; return run(); })`

// driverProgram returns the compiled driver.
func driverProgram() *goja.Program {
	sandboxProgram()
	return driverPrg
}
