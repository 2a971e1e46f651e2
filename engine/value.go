package engine

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/edgetag/edgetag/tag"
)

// maxDepth bounds the nesting of arrays and objects the encoders follow, so
// a self-referencing map or JS object fails with an error instead of
// exhausting the stack.
const maxDepth = 64

// errTooDeep is returned for values nested deeper than maxDepth (usually a
// cycle).
var errTooDeep error = &LimitError{Limit: LimitPayloadDepth, Max: maxDepth,
	Detail: "value nested deeper than 64 levels (a cycle?)"}

// appendValue appends v, a tag.Sample value, as JSON. Every value keeps its
// type and precision: integers print as integers (uint64 included), floats
// in their shortest form (see appendFloat), NaN and ±Inf as the strings
// "NaN", "Infinity" and "-Infinity", time.Time as an RFC 3339 UTC string with
// its sub-second digits, []byte as standard base64, the wrappers of package
// tag in their standard forms, maps with sorted keys, and nil as null.
// Types outside the tag.Sample contract are encoded by reflection (slices,
// arrays, string-keyed maps, pointers, named basic types), then as their
// String() when they have one, then with encoding/json. On error dst is
// returned unchanged.
func appendValue(dst []byte, v any) ([]byte, error) {
	n := len(dst)
	out, err := appendGo(dst, v, 0)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

func appendGo(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float32:
		return appendFloat(dst, float64(x), 32), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case string:
		return appendString(dst, x), nil
	case time.Time:
		return appendTimeJSON(dst, x), nil
	case []byte:
		return appendBase64(dst, x), nil
	case tag.LocalizedText:
		return appendString(dst, x.Text), nil
	case tag.QualifiedName:
		return appendString(dst, x.String()), nil
	case tag.NodeID:
		return appendString(dst, string(x)), nil
	case tag.GUID:
		return appendString(dst, string(x)), nil
	case tag.XMLElement:
		return appendString(dst, string(x)), nil
	case tag.StatusCode:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case tag.ExtensionObject:
		dst = append(dst, `{"type_id":`...)
		dst = appendString(dst, x.TypeID)
		dst = append(dst, `,"body":`...)
		dst = appendBase64(dst, x.Body)
		return append(dst, '}'), nil
	case tag.Matrix:
		return appendMatrix(dst, x, depth)
	}
	if depth >= maxDepth {
		return dst, errTooDeep
	}
	switch x := v.(type) {
	case []bool:
		return appendSlice(dst, x, depth, func(d []byte, e bool) ([]byte, error) { return strconv.AppendBool(d, e), nil })
	case byteArray:
		return appendSlice(dst, x, depth, appendUint[uint8])
	case []int8:
		return appendSlice(dst, x, depth, appendInt[int8])
	case []int16:
		return appendSlice(dst, x, depth, appendInt[int16])
	case []int32:
		return appendSlice(dst, x, depth, appendInt[int32])
	case []int64:
		return appendSlice(dst, x, depth, appendInt[int64])
	case []int:
		return appendSlice(dst, x, depth, appendInt[int])
	case []uint16:
		return appendSlice(dst, x, depth, appendUint[uint16])
	case []uint32:
		return appendSlice(dst, x, depth, appendUint[uint32])
	case []uint64:
		return appendSlice(dst, x, depth, appendUint[uint64])
	case []float32:
		return appendSlice(dst, x, depth, func(d []byte, e float32) ([]byte, error) { return appendFloat(d, float64(e), 32), nil })
	case []float64:
		return appendSlice(dst, x, depth, func(d []byte, e float64) ([]byte, error) { return appendFloat(d, e, 64), nil })
	case []string:
		return appendSlice(dst, x, depth, func(d []byte, e string) ([]byte, error) { return appendString(d, e), nil })
	case []time.Time:
		return appendSlice(dst, x, depth, func(d []byte, e time.Time) ([]byte, error) { return appendTimeJSON(d, e), nil })
	case [][]byte:
		return appendSlice(dst, x, depth, func(d []byte, e []byte) ([]byte, error) { return appendBase64(d, e), nil })
	case []any:
		return appendSlice(dst, x, depth, func(d []byte, e any) ([]byte, error) { return appendGo(d, e, depth+1) })
	case map[string]any:
		return appendMap(dst, x, depth)
	case tag.Object:
		return appendObject(dst, x, depth)
	case []tag.Object:
		return appendSlice(dst, x, depth, func(d []byte, e tag.Object) ([]byte, error) { return appendObject(d, e, depth+1) })
	}
	return appendReflect(dst, v, depth)
}

func appendInt[T int8 | int16 | int32 | int64 | int](d []byte, e T) ([]byte, error) {
	return strconv.AppendInt(d, int64(e), 10), nil
}

func appendUint[T uint8 | uint16 | uint32 | uint64](d []byte, e T) ([]byte, error) {
	return strconv.AppendUint(d, uint64(e), 10), nil
}

func appendSlice[T any](dst []byte, s []T, depth int, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	if s == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	var err error
	for i, e := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = elem(dst, e); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

func appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if dst, err = appendGo(dst, m[k], depth+1); err != nil {
			return dst, fmt.Errorf("key %q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

// appendObject appends o as a JSON object with its fields in their order. A
// repeated field name is written once, with its first value, so the output
// is always valid JSON with unique keys.
func appendObject(dst []byte, o tag.Object, depth int) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	first := true
	for i, f := range o.Fields {
		if repeatsEarlierField(o.Fields, i) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, f.Name)
		dst = append(dst, ':')
		if dst, err = appendGo(dst, f.Value, depth+1); err != nil {
			return dst, fmt.Errorf("field %q: %w", f.Name, err)
		}
	}
	return append(dst, '}'), nil
}

// repeatsEarlierField reports whether fields[i]'s name was used before i.
func repeatsEarlierField(fields []tag.Field, i int) bool {
	for _, f := range fields[:i] {
		if f.Name == fields[i].Name {
			return true
		}
	}
	return false
}

// appendMatrix appends m as nested arrays, outermost dimension first. The
// product of the dimensions must equal the number of elements; a matrix
// without dimensions is one flat array.
func appendMatrix(dst []byte, m tag.Matrix, depth int) ([]byte, error) {
	if len(m.Dimensions) == 0 {
		return appendGo(dst, m.Elements, depth)
	}
	n := 1
	for _, d := range m.Dimensions {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return dst, fmt.Errorf("matrix dimensions %v are invalid", m.Dimensions)
		}
		n *= d
	}
	if n != len(m.Elements) {
		return dst, fmt.Errorf("matrix dimensions %v need %d elements, have %d", m.Dimensions, n, len(m.Elements))
	}
	if depth+len(m.Dimensions) >= maxDepth {
		return dst, errTooDeep
	}
	var err error
	dst, _, err = appendMatrixDim(dst, m.Dimensions, m.Elements, depth)
	return dst, err
}

func appendMatrixDim(dst []byte, dims []int, elems []any, depth int) ([]byte, []any, error) {
	dst = append(dst, '[')
	var err error
	for i := 0; i < dims[0]; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if len(dims) == 1 {
			if dst, err = appendGo(dst, elems[0], depth+1); err != nil {
				return dst, nil, err
			}
			elems = elems[1:]
			continue
		}
		if dst, elems, err = appendMatrixDim(dst, dims[1:], elems, depth+1); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, ']'), elems, nil
}

// appendReflect encodes values outside the tag.Sample contract: named basic
// types, slices and arrays of anything, string-keyed maps, pointers; then
// fmt.Stringer; then encoding/json as the last resort.
func appendReflect(dst []byte, v any, depth int) ([]byte, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32:
		return appendFloat(dst, rv.Float(), 32), nil
	case reflect.Float64:
		return appendFloat(dst, rv.Float(), 64), nil
	case reflect.String:
		return appendString(dst, rv.String()), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return appendGo(dst, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return appendBase64(dst, b), nil
		}
		dst = append(dst, '[')
		var err error
		for i := range rv.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendGo(dst, rv.Index(i).Interface(), depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[it.Key().String()] = it.Value().Interface()
		}
		return appendMap(dst, m, depth)
	}
	if s, ok := v.(fmt.Stringer); ok {
		return appendString(dst, s.String()), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("cannot encode %T: %w", v, err)
	}
	return append(dst, b...), nil
}

// appendFloat appends f in its shortest form for its bit size, by the rule
// JavaScript and encoding/json share: plain decimal notation when
// 1e-6 <= |f| < 1e21 (so a whole number such as 1000000 never prints as
// 1e+06 and 0.1 as float32 prints 0.1), exponent notation outside that
// range (1e+21, 1e-7). Negative zero prints as 0. NaN and ±Inf are not JSON
// numbers and print as the strings "NaN", "Infinity" and "-Infinity".
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return appendNumber(dst, f, bits)
}

// appendNumber appends a finite f as appendFloat does, without quotes for
// the non-finite cases (callers guarantee f is finite, or want the bare
// text "NaN"/"Infinity" as JavaScript's String() gives it).
func appendNumber(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		return append(dst, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as JavaScript prints it.
		m := len(dst)
		if m-n >= 4 && dst[m-4] == 'e' && dst[m-3] == '-' && dst[m-2] == '0' {
			dst[m-2] = dst[m-1]
			dst = dst[:m-1]
		}
	}
	return dst
}

// appendTimeJSON appends t as a quoted RFC 3339 UTC string that keeps every
// non-zero sub-second digit (RFC3339Nano).
func appendTimeJSON(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendBase64 appends b as a quoted standard base64 string.
func appendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Quotes, backslashes and control
// characters are escaped (\n, \r, \t, \b, \f by name, the rest as \u00XX),
// U+2028 and U+2029 as \u2028 and \u2029 so the text is also safe inside
// JavaScript, and every invalid UTF-8 byte becomes U+FFFD, so the output is
// always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
