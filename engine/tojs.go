package engine

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// toJS converts a tag.Sample value to the JS value user code sees as
// msg.payload: numbers stay numbers (integers as goja integers; int64 and
// uint64 beyond ±2^53 become the nearest double, which is lossy in JS, but
// the engine emits the original Go value when the payload is unchanged),
// a float32 becomes the double of its shortest form (float32 0.1 is 0.1 in
// JS, not 0.10000000149011612), strings and booleans stay as they are, arrays
// become real JS arrays (map, filter, length work), map[string]any becomes
// a plain object with its keys in sorted order, a DateTime its RFC 3339 UTC
// string, a ByteString its base64 string, LocalizedText its text,
// NodeId/QualifiedName/Guid/XmlElement their string forms, a StatusCode its
// number, an ExtensionObject {type_id, body (base64)}, a Matrix nested
// arrays, nil null. Scalars cost no allocation beyond the goja value itself.
func toJS(vm *goja.Runtime, v any) goja.Value {
	return toJSDepth(vm, v, 0)
}

func toJSDepth(vm *goja.Runtime, v any, depth int) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float64, string:
		return vm.ToValue(v)
	case float32:
		return vm.ToValue(float32ToFloat64(x))
	case time.Time:
		return vm.ToValue(x.UTC().Format(time.RFC3339Nano))
	case []byte:
		return vm.ToValue(base64.StdEncoding.EncodeToString(x))
	case tag.LocalizedText:
		return vm.ToValue(x.Text)
	case tag.QualifiedName:
		return vm.ToValue(x.String())
	case tag.NodeID:
		return vm.ToValue(string(x))
	case tag.GUID:
		return vm.ToValue(string(x))
	case tag.XMLElement:
		return vm.ToValue(string(x))
	case tag.StatusCode:
		return vm.ToValue(uint32(x))
	case tag.ExtensionObject:
		o := vm.NewObject()
		_ = o.Set("type_id", x.TypeID)
		_ = o.Set("body", base64.StdEncoding.EncodeToString(x.Body))
		return o
	case tag.Matrix:
		return matrixToJS(vm, x, depth)
	}
	if depth >= maxDepth {
		return goja.Null()
	}
	switch x := v.(type) {
	case []any:
		return sliceToJS(vm, x, depth)
	case byteArray:
		return sliceToJS(vm, x, depth)
	case []float64:
		return sliceToJS(vm, x, depth)
	case []int32:
		return sliceToJS(vm, x, depth)
	case []int64:
		return sliceToJS(vm, x, depth)
	case []bool:
		return sliceToJS(vm, x, depth)
	case []string:
		return sliceToJS(vm, x, depth)
	case tag.Object:
		o := vm.NewObject()
		for i, f := range x.Fields {
			if !repeatsEarlierField(x.Fields, i) {
				_ = o.Set(f.Name, toJSDepth(vm, f.Value, depth+1))
			}
		}
		return o
	case []tag.Object:
		return sliceToJS(vm, x, depth)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		o := vm.NewObject()
		for _, k := range keys {
			_ = o.Set(k, toJSDepth(vm, x[k], depth+1))
		}
		return o
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return vm.ToValue(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return vm.ToValue(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return vm.ToValue(rv.Uint())
	case reflect.Float32:
		return vm.ToValue(float32ToFloat64(float32(rv.Float())))
	case reflect.Float64:
		return vm.ToValue(rv.Float())
	case reflect.String:
		return vm.ToValue(rv.String())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return goja.Null()
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = toJSDepth(vm, rv.Index(i).Interface(), depth+1)
		}
		return vm.NewArray(items...)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return goja.Null()
		}
		return toJSDepth(vm, rv.Elem().Interface(), depth+1)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return toJSDepth(vm, m, depth)
		}
	}
	// Anything else (named basic types, structures) as its JSON form, so
	// user code sees what would be published.
	b, err := appendValue(nil, v)
	if err != nil {
		return goja.Null()
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return goja.Null()
	}
	return toJSDepth(vm, out, depth+1)
}

func sliceToJS[T any](vm *goja.Runtime, s []T, depth int) goja.Value {
	if s == nil {
		return goja.Null()
	}
	items := make([]any, len(s))
	for i, e := range s {
		items[i] = toJSDepth(vm, e, depth+1)
	}
	return vm.NewArray(items...)
}

func matrixToJS(vm *goja.Runtime, m tag.Matrix, depth int) goja.Value {
	n := 1
	for _, d := range m.Dimensions {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return goja.Null()
		}
		n *= d
	}
	if len(m.Dimensions) == 0 || n != len(m.Elements) || depth+len(m.Dimensions) >= maxDepth {
		return sliceToJS(vm, m.Elements, depth)
	}
	v, _ := matrixDimToJS(vm, m.Dimensions, m.Elements, depth)
	return v
}

func matrixDimToJS(vm *goja.Runtime, dims []int, elems []any, depth int) (goja.Value, []any) {
	items := make([]any, dims[0])
	for i := range items {
		if len(dims) == 1 {
			items[i] = toJSDepth(vm, elems[0], depth+1)
			elems = elems[1:]
			continue
		}
		items[i], elems = matrixDimToJS(vm, dims[1:], elems, depth+1)
	}
	return vm.NewArray(items...), elems
}

// float32ToFloat64 returns the float64 closest to the shortest decimal form
// of f, so that 0.1 as float32 is 0.1 as float64.
func float32ToFloat64(f float32) float64 {
	d := float64(f)
	if math.IsNaN(d) || math.IsInf(d, 0) || d == math.Trunc(d) && math.Abs(d) < 1<<24 {
		return d
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)
	p, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		return d
	}
	return p
}
