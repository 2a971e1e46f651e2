package engine

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// The values of msg.meta.datatype that force a conversion of the payload
// value. Any other value leaves the value as it is.
const (
	DatatypeString = "string"
	DatatypeNumber = "number"
	DatatypeBool   = "bool"
)

// errConversion is wrapped by every error of an impossible datatype
// conversion.
var errConversion = errors.New("impossible conversion")

// The conversion rules, the same for Go values (unchanged payloads) and JS
// values (payloads user code set):
//
// number: numbers stay as they are (NaN and ±Inf included); true/false
// become 1/0; a string (or LocalizedText, NodeId, ...) must hold a decimal
// number, surrounding whitespace allowed ("12.5", "-3", "0012" → 12, "1e3");
// integer text stays exact up to uint64 and int64; a DateTime becomes its
// Unix time in milliseconds; a StatusCode its number. Anything else ("abc",
// "", "NaN", "0x1A", null, arrays, objects, ByteStrings) is an error.
//
// string: strings as they are; numbers in the same shortest form the payload
// uses, NaN and ±Inf as "NaN", "Infinity", "-Infinity"; booleans "true" and
// "false"; a DateTime as RFC 3339 UTC; a ByteString as base64; arrays and
// objects as their JSON text; the OPC UA wrapper types in their string
// forms. null, undefined, functions and symbols are errors.
//
// bool: booleans as they are; the numbers 0 and 1; the strings "true",
// "false" (any case), "1" and "0", surrounding whitespace allowed. Anything
// else (2, "yes", "", null, arrays, ...) is an error.

// isConversion reports whether datatype forces a conversion.
func isConversion(datatype string) bool {
	return datatype == DatatypeString || datatype == DatatypeNumber || datatype == DatatypeBool
}

// appendGoAs appends the Go value v converted to datatype (one of the
// Datatype constants). On error dst is returned unchanged.
func appendGoAs(dst []byte, v any, datatype string) ([]byte, error) {
	switch datatype {
	case DatatypeNumber:
		return appendGoNumber(dst, v)
	case DatatypeString:
		return appendGoString(dst, v)
	case DatatypeBool:
		return appendGoBool(dst, v)
	}
	return appendValue(dst, v)
}

// goText returns the text of the string-like Go values.
func goText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case tag.LocalizedText:
		return x.Text, true
	case tag.QualifiedName:
		return x.String(), true
	case tag.NodeID:
		return string(x), true
	case tag.GUID:
		return string(x), true
	case tag.XMLElement:
		return string(x), true
	}
	return "", false
}

// goFloat returns the value of the Go number types as a float64; integer
// reports whether v is an integer type (its exact text is then produced by
// appendValue).
func goFloat(v any) (f float64, integer, ok bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true, true
	case int8:
		return float64(x), true, true
	case int16:
		return float64(x), true, true
	case int32:
		return float64(x), true, true
	case int64:
		return float64(x), true, true
	case uint:
		return float64(x), true, true
	case uint8:
		return float64(x), true, true
	case uint16:
		return float64(x), true, true
	case uint32:
		return float64(x), true, true
	case uint64:
		return float64(x), true, true
	case tag.StatusCode:
		return float64(x), true, true
	case float32:
		return float64(x), false, true
	case float64:
		return x, false, true
	}
	return 0, false, false
}

func appendGoNumber(dst []byte, v any) ([]byte, error) {
	if _, _, ok := goFloat(v); ok {
		return appendValue(dst, v)
	}
	if s, ok := goText(v); ok {
		return appendNumberText(dst, s)
	}
	switch x := v.(type) {
	case bool:
		return appendBoolNumber(dst, x), nil
	case time.Time:
		return strconv.AppendInt(dst, x.UnixMilli(), 10), nil
	}
	return dst, fmt.Errorf("%w: %s to number", errConversion, goTypeName(v))
}

func appendGoString(dst []byte, v any) ([]byte, error) {
	if s, ok := goText(v); ok {
		return appendString(dst, s), nil
	}
	switch x := v.(type) {
	case nil:
		return dst, fmt.Errorf("%w: null to string", errConversion)
	case bool:
		return appendString(dst, strconv.FormatBool(x)), nil
	case float32:
		dst = append(dst, '"')
		dst = appendNumber(dst, float64(x), 32)
		return append(dst, '"'), nil
	case float64:
		dst = append(dst, '"')
		dst = appendNumber(dst, x, 64)
		return append(dst, '"'), nil
	case time.Time, []byte:
		return appendValue(dst, v)
	}
	if _, _, ok := goFloat(v); ok {
		dst = append(dst, '"')
		dst, err := appendValue(dst, v)
		return append(dst, '"'), err
	}
	// Arrays, objects and structures: their JSON text as a string.
	text, err := appendValue(nil, v)
	if err != nil {
		return dst, err
	}
	return appendString(dst, string(text)), nil
}

func appendGoBool(dst []byte, v any) ([]byte, error) {
	if b, ok := v.(bool); ok {
		return strconv.AppendBool(dst, b), nil
	}
	if f, _, ok := goFloat(v); ok {
		return appendNumberBool(dst, f)
	}
	if s, ok := goText(v); ok {
		return appendBoolText(dst, s)
	}
	return dst, fmt.Errorf("%w: %s to bool", errConversion, goTypeName(v))
}

// appendJSAs appends the JS value v converted to datatype (one of the
// Datatype constants), by the same rules as appendGoAs. On error dst is
// returned unchanged.
func appendJSAs(dst []byte, v goja.Value, datatype string) (out []byte, err error) {
	n := len(dst)
	defer func() {
		if r := recover(); r != nil {
			err = recoveredJSError(r)
			out = dst[:n]
		}
	}()
	switch datatype {
	case DatatypeNumber:
		out, err = appendJSNumber(dst, v)
	case DatatypeString:
		out, err = appendJSString(dst, v)
	case DatatypeBool:
		out, err = appendJSBool(dst, v)
	default:
		out, err = appendJSDepth(dst, v, 0)
	}
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

func appendJSNumber(dst []byte, v goja.Value) ([]byte, error) {
	switch k := kindOf(v); k {
	case jsInt, jsFloat, jsBigInt:
		return appendJSDepth(dst, v, 0)
	case jsBool:
		return appendBoolNumber(dst, v.ToBoolean()), nil
	case jsString:
		return appendNumberText(dst, v.String())
	case jsDate:
		t, ok := v.Export().(time.Time)
		if !ok {
			return dst, fmt.Errorf("%w: invalid Date to number", errConversion)
		}
		return strconv.AppendInt(dst, t.UnixMilli(), 10), nil
	default:
		return dst, fmt.Errorf("%w: %s to number", errConversion, k)
	}
}

func appendJSString(dst []byte, v goja.Value) ([]byte, error) {
	switch k := kindOf(v); k {
	case jsString:
		return appendString(dst, v.String()), nil
	case jsInt, jsBigInt:
		dst = append(dst, '"')
		dst, err := appendJSDepth(dst, v, 0)
		return append(dst, '"'), err
	case jsFloat:
		dst = append(dst, '"')
		dst = appendNumber(dst, v.ToFloat(), 64)
		return append(dst, '"'), nil
	case jsBool:
		return appendString(dst, strconv.FormatBool(v.ToBoolean())), nil
	case jsDate:
		return appendJSDepth(dst, v, 0)
	case jsArray, jsObject:
		text, err := appendJSDepth(nil, v, 0)
		if err != nil {
			return dst, err
		}
		return appendString(dst, string(text)), nil
	default:
		return dst, fmt.Errorf("%w: %s to string", errConversion, k)
	}
}

func appendJSBool(dst []byte, v goja.Value) ([]byte, error) {
	switch k := kindOf(v); k {
	case jsBool:
		return strconv.AppendBool(dst, v.ToBoolean()), nil
	case jsInt, jsFloat:
		return appendNumberBool(dst, v.ToFloat())
	case jsString:
		return appendBoolText(dst, v.String())
	default:
		return dst, fmt.Errorf("%w: %s to bool", errConversion, k)
	}
}

func appendBoolNumber(dst []byte, b bool) []byte {
	if b {
		return append(dst, '1')
	}
	return append(dst, '0')
}

func appendNumberBool(dst []byte, f float64) ([]byte, error) {
	switch f {
	case 0:
		return append(dst, "false"...), nil
	case 1:
		return append(dst, "true"...), nil
	}
	return dst, fmt.Errorf("%w: number %s to bool (only 0 and 1 are)", errConversion, appendNumber(nil, f, 64))
}

func appendBoolText(dst []byte, s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "true") || t == "1":
		return append(dst, "true"...), nil
	case strings.EqualFold(t, "false") || t == "0":
		return append(dst, "false"...), nil
	}
	return dst, fmt.Errorf("%w: string %s to bool", errConversion, quoteShort(s))
}

// appendNumberText appends the number s holds (see the rules above).
func appendNumberText(dst []byte, s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	integer, ok := scanDecimal(t)
	if !ok {
		return dst, fmt.Errorf("%w: string %s to number", errConversion, quoteShort(s))
	}
	if integer {
		u := strings.TrimPrefix(t, "+")
		if u != "" && u[0] != '-' {
			if n, err := strconv.ParseUint(u, 10, 64); err == nil {
				return strconv.AppendUint(dst, n, 10), nil
			}
		} else if n, err := strconv.ParseInt(u, 10, 64); err == nil {
			return strconv.AppendInt(dst, n, 10), nil
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%w: string %s to number: out of range", errConversion, quoteShort(s))
	}
	return appendNumber(dst, f, 64), nil
}

// scanDecimal reports whether s is a decimal number
// ([+-]? digits [. digits] [e [+-] digits], with digits on at least one side
// of the point) and whether it is an integer (no point, no exponent).
func scanDecimal(s string) (integer, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits := i - start
	integer = true
	if i < len(s) && s[i] == '.' {
		integer = false
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		digits += i - fs
	}
	if digits == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == es {
			return false, false
		}
	}
	return integer, i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// quoteShort quotes s for an error message, shortened to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

// goTypeName names the type of a Go value in error messages.
func goTypeName(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// String names the kind in error messages.
func (k jsKind) String() string {
	switch k {
	case jsUndefined:
		return "undefined"
	case jsNull:
		return "null"
	case jsInt, jsFloat:
		return "number"
	case jsBool:
		return "boolean"
	case jsString:
		return "string"
	case jsBigInt:
		return "bigint"
	case jsDate:
		return "Date"
	case jsArray:
		return "array"
	case jsObject:
		return "object"
	case jsFunc:
		return "function"
	case jsSymbol:
		return "symbol"
	}
	return "unknown"
}
