package engine

import (
	"strconv"
	"time"

	"github.com/dop251/goja"
)

// metaString converts a JS meta value to its header string: strings as they
// are, numbers via JS String() (1000000 → "1000000", 0.1 → "0.1", 1e21 →
// "1e+21", NaN → "NaN"), BigInt as its digits, booleans true/false, a Date
// as RFC 3339 UTC, objects and arrays as JSON (appendJS). ok is false for
// null and undefined (the key is removed). Values that are not data (a
// function, a symbol, an object holding one, or one whose getter throws)
// fall back to JS String(), or are removed when even that throws.
func metaString(v goja.Value) (s string, ok bool) {
	switch kindOf(v) {
	case jsUndefined, jsNull:
		return "", false
	case jsString:
		return v.String(), true
	case jsInt:
		return strconv.FormatInt(v.ToInteger(), 10), true
	case jsFloat:
		return string(appendNumber(nil, v.ToFloat(), 64)), true
	case jsBool:
		if v.ToBoolean() {
			return "true", true
		}
		return "false", true
	case jsDate:
		if t, ok := v.Export().(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano), true
		}
	case jsArray, jsObject:
		if b, err := appendJS(nil, v); err == nil {
			return string(b), true
		}
	case jsSymbol:
		return "Symbol(" + v.String() + ")", true
	}
	return jsToString(v)
}

// jsToString returns JS String(v), or ok false when that throws.
func jsToString(v goja.Value) (s string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			_ = recoveredJSError(r)
			s, ok = "", false
		}
	}()
	return v.String(), true
}
