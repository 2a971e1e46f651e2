package engine

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"time"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// The reflect types goja reports from Value.ExportType for its primitives.
// Comparing them tells an integer from a float without allocating.
var (
	typeInt64    = reflect.TypeFor[int64]()
	typeFloat64  = reflect.TypeFor[float64]()
	typeBool     = reflect.TypeFor[bool]()
	typeString   = reflect.TypeFor[string]()
	typeTime     = reflect.TypeFor[time.Time]()
	typeBigInt   = reflect.TypeFor[*big.Int]()
	typeAnySlice = reflect.TypeFor[[]any]()
)

// jsKind classifies a goja value for the encoders.
type jsKind uint8

const (
	jsUndefined jsKind = iota
	jsNull
	jsInt    // goja integer: v.ToInteger() is exact
	jsFloat  // goja float: v.ToFloat()
	jsBool   // v.ToBoolean()
	jsString // v.String()
	jsBigInt // v.Export().(*big.Int)
	jsDate   // *goja.Object of class Date
	jsArray  // *goja.Object of class Array
	jsObject // any other object (plain objects, wrapped Go values, boxed primitives)
	jsFunc   // a function: not data
	jsSymbol // a symbol: not data
)

// kindOf classifies v without allocating. A nil v counts as undefined.
func kindOf(v goja.Value) jsKind {
	switch x := v.(type) {
	case nil:
		return jsUndefined
	case *goja.Object:
		t := x.ExportType()
		switch {
		case t == typeTime:
			return jsDate
		case t != nil && t.Kind() == reflect.Func:
			return jsFunc
		case x.ClassName() == "Array":
			return jsArray
		}
		return jsObject
	case *goja.Symbol:
		return jsSymbol
	}
	switch v.ExportType() {
	case typeInt64:
		return jsInt
	case typeFloat64:
		return jsFloat
	case typeBool:
		return jsBool
	case typeString:
		return jsString
	case typeBigInt:
		return jsBigInt
	}
	if goja.IsNull(v) {
		return jsNull
	}
	return jsUndefined
}

// errNotData is wrapped by the errors for JS values that are not data.
var errNotData = errors.New("not a data value")

// appendJS appends v, a value user code produced, as JSON: integers as
// integers, floats in shortest form (appendFloat), strings as strings (never
// guessed into numbers), BigInt exactly, Date as an RFC 3339 UTC string,
// arrays as arrays (holes and undefined as null), objects with their own
// enumerable keys in JavaScript order (keys whose value is undefined are
// left out, as JSON.stringify does), null and undefined as null. A function
// or symbol anywhere in the value is an error: it is not data, and leaving
// it out would lose it silently. Exceptions thrown by getters or proxies
// while reading the value are returned as errors; an interrupt (the
// deadline) is not recovered. On error dst is returned unchanged.
func appendJS(dst []byte, v goja.Value) (out []byte, err error) {
	return appendJSOrig(dst, v, nil, HardMaxPayloadBytes)
}

// appendJSOrig is appendJS for a payload user code produced from orig, the
// sample's Go value: inside arrays and objects, a number that still equals
// the JS form of the 64-bit integer at the same place in orig is written
// from orig exactly. An untouched element of a UInt64 or Int64 array (or of
// a decoded structure) beyond ±2^53, which JS can only approximate, so
// keeps its exact value even when user code changed other elements.
//
// Encoding stops with a *LimitError as soon as the output would pass max
// bytes, an array or object has more than MaxPayloadElements entries (an
// array's length is checked before it is walked) or nesting passes
// maxDepth.
func appendJSOrig(dst []byte, v goja.Value, orig any, max int) (out []byte, err error) {
	n := len(dst)
	defer func() {
		if r := recover(); r != nil {
			err = recoveredJSError(r)
			out = dst[:n]
		}
	}()
	if _, isObj := v.(*goja.Object); !isObj {
		orig = nil // a scalar user code set is a new value
	}
	out, err = appendJSAt(dst, v, orig, 0, n+max)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// recoveredJSError turns a JS exception raised by goja while reading a
// value (a throwing getter, valueOf or proxy trap) into an error. Any other
// panic is re-raised, notably *goja.InterruptedError: the deadline expired,
// and the caller classifies that as a timeout, not a conversion error.
func recoveredJSError(r any) error {
	if e, ok := r.(*goja.Exception); ok {
		return fmt.Errorf("reading value: %w", e)
	}
	panic(r)
}

// appendJSDepth is appendJSAt for a value without an original, bounded by
// HardMaxPayloadBytes.
func appendJSDepth(dst []byte, v goja.Value, depth int) ([]byte, error) {
	return appendJSAt(dst, v, nil, depth, len(dst)+HardMaxPayloadBytes)
}

// appendJSAt encodes v; orig is the Go value at the same place in the
// sample's value (nil when there is none, see appendJSOrig). end is the
// length dst may reach: beyond it, encoding fails with errPayloadBytes.
func appendJSAt(dst []byte, v goja.Value, orig any, depth, end int) ([]byte, error) {
	switch kindOf(v) {
	case jsUndefined, jsNull:
		return append(dst, "null"...), nil
	case jsInt:
		if orig != nil {
			if b, ok := appendExactInt(dst, float64(v.ToInteger()), orig); ok {
				return b, nil
			}
		}
		return strconv.AppendInt(dst, v.ToInteger(), 10), nil
	case jsFloat:
		if orig != nil {
			if b, ok := appendExactInt(dst, v.ToFloat(), orig); ok {
				return b, nil
			}
		}
		return appendFloat(dst, v.ToFloat(), 64), nil
	case jsBool:
		return strconv.AppendBool(dst, v.ToBoolean()), nil
	case jsString:
		str := v.String()
		if len(dst)+len(str) > end {
			return dst, errPayloadBytes
		}
		return appendString(dst, str), nil
	case jsBigInt:
		b, _ := v.Export().(*big.Int)
		return b.Append(dst, 10), nil
	case jsDate:
		t, ok := v.Export().(time.Time)
		if !ok {
			return dst, fmt.Errorf("invalid Date: %w", errNotData)
		}
		return appendTimeJSON(dst, t), nil
	case jsFunc:
		return dst, fmt.Errorf("a function: %w", errNotData)
	case jsSymbol:
		return dst, fmt.Errorf("a symbol %s: %w", v.String(), errNotData)
	}
	if depth >= maxDepth {
		return dst, errTooDeep
	}
	o := v.(*goja.Object)
	if kindOf(v) == jsArray {
		return appendJSArray(dst, o, orig, depth, end)
	}
	switch o.ClassName() {
	// A boxed primitive (new Number(5)) is encoded as its primitive, as
	// JSON.stringify does.
	case "Number":
		return appendJSAt(dst, o.ToNumber(), nil, depth, end)
	case "String":
		return appendJSAt(dst, o.ToString(), nil, depth, end)
	case "Boolean":
		return appendGo(dst, o.Export(), depth)
	}
	if t := o.ExportType(); t != nil && t.Kind() == reflect.Slice && t != typeAnySlice {
		// A typed array or a wrapped Go slice.
		return appendGo(dst, o.Export(), depth)
	}
	origMap, _ := orig.(map[string]any)
	origObject, _ := orig.(tag.Object)
	keys := o.Keys()
	if len(keys) > MaxPayloadElements {
		return dst, errLimit(LimitPayloadElements, MaxPayloadElements, int64(len(keys)))
	}
	dst = append(dst, '{')
	first := true
	var err error
	for _, k := range keys {
		if len(dst) > end {
			return dst, errPayloadBytes
		}
		e := o.Get(k)
		if e == nil || goja.IsUndefined(e) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var oe any
		if origMap != nil {
			oe = origMap[k]
		} else if origObject.Fields != nil {
			oe, _ = origObject.Get(k)
		}
		if dst, err = appendJSAt(dst, e, oe, depth+1, end); err != nil {
			return dst, fmt.Errorf("key %q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

func appendJSArray(dst []byte, o *goja.Object, orig any, depth, end int) ([]byte, error) {
	n := o.Get("length").ToInteger()
	if n > MaxPayloadElements {
		return dst, errLimit(LimitPayloadElements, MaxPayloadElements, n)
	}
	dst = append(dst, '[')
	var err error
	for i := int64(0); i < n; i++ {
		if len(dst) > end {
			return dst, errPayloadBytes
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendJSAt(dst, o.Get(indexKey(i)), origAt(orig, i), depth+1, end); err != nil {
			return dst, fmt.Errorf("index %d: %w", i, err)
		}
	}
	return append(dst, ']'), nil
}

// origAt returns the element i of orig when orig is a slice that can hold
// a 64-bit integer beyond 2^53 (or nested ones), else nil.
func origAt(orig any, i int64) any {
	switch x := orig.(type) {
	case []int64:
		if i < int64(len(x)) {
			return x[i]
		}
	case []uint64:
		if i < int64(len(x)) {
			return x[i]
		}
	case []any:
		if i < int64(len(x)) {
			return x[i]
		}
	}
	return nil
}

// appendExactInt appends orig when it is a 64-bit integer whose JS form
// (the nearest double) is f, so the exact value is kept.
func appendExactInt(dst []byte, f float64, orig any) ([]byte, bool) {
	switch x := orig.(type) {
	case int64:
		if float64(x) == f {
			return strconv.AppendInt(dst, x, 10), true
		}
	case uint64:
		if float64(x) == f {
			return strconv.AppendUint(dst, x, 10), true
		}
	}
	return dst, false
}
