package opcua

import (
	"reflect"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// TypeName returns the OPC UA name of a built-in type id ("Double",
// "UInt64", ...), or "" for Null and unknown ids.
func TypeName(t ua.TypeID) string {
	if t == ua.TypeIDNull {
		return ""
	}
	return tag.BuiltinType(t).String()
}

// maxValueDepth bounds the recursion into nested variants, data values and
// decoded structures, so a hostile value cannot exhaust the stack.
const maxValueDepth = 16

// Value converts a variant to the typed Go value carried by tag.Sample and
// returns the OPC UA built-in type name of the variant (Double, UInt64, ...;
// "" for a nil or Null variant, whose value is nil).
//
// Scalars keep their exact Go type: bool, int8..int64, uint8..uint64,
// float32, float64, string, time.Time (UTC), []byte (ByteString). Types
// without a natural Go equivalent become the wrapper types of package tag:
// Guid → tag.GUID, XmlElement → tag.XMLElement, NodeId and ExpandedNodeId →
// tag.NodeID (standard string form; nsu= for an expanded id that carries a
// namespace URI), StatusCode → tag.StatusCode, QualifiedName →
// tag.QualifiedName, LocalizedText → tag.LocalizedText.
//
// One-dimensional arrays become typed slices ([]float64, []int32, []string,
// []tag.GUID, ...; an array of Byte is a []byte, told apart from a
// ByteString by the type name "Byte"); arrays of Variant, ExtensionObject,
// DataValue or DiagnosticInfo become []any. Multi-dimensional arrays become
// tag.Matrix. An ExtensionObject that gopcua decoded becomes map[string]any
// with the decoded struct's field names; one it could not decode becomes
// tag.ExtensionObject with its type id (gopcua discards the binary body of
// unknown types, so Body is empty; an XML body is kept, and so is the
// binary body of a structure whose encoding a session registered, which the
// session then decodes into a tag.Object: see structures.go). A Variant inside a
// variant and a DataValue are unwrapped to their inner value.
//
// Value never panics, whatever the variant holds. Scalars of the common
// types and one-dimensional arrays of numbers and strings are returned
// without allocating: the interface inside the variant is reused.
func Value(v *ua.Variant) (value any, dataType string) {
	if v == nil {
		return nil, ""
	}
	dataType = TypeName(v.Type())
	if dims := v.ArrayDimensions(); len(dims) > 1 {
		return matrix(v.Value(), dims, 0), dataType
	}
	return convert(v.Value(), 0), dataType
}

// convert converts one value held by a variant (scalar or 1-D slice).
func convert(x any, depth int) any {
	switch t := x.(type) {
	case nil:
		return nil
	// Scalars that are already what tag.Sample documents: reuse the
	// interface, no allocation.
	case bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64,
		float32, float64, string, []byte:
		return x
	case time.Time:
		if t.Location() == time.UTC {
			return x
		}
		return t.UTC()
	case ua.ByteArray:
		return []byte(t)
	case ua.XMLElement:
		return tag.XMLElement(t)
	case ua.StatusCode:
		return tag.StatusCode(t)
	case *ua.GUID:
		if t == nil {
			return nil
		}
		return tag.GUID(formatGUID(t))
	case *ua.NodeID:
		if t == nil {
			return nil
		}
		return tag.NodeID(FormatNodeID(t))
	case *ua.ExpandedNodeID:
		if t == nil {
			return nil
		}
		return tag.NodeID(formatExpandedNodeID(t))
	case *ua.QualifiedName:
		if t == nil {
			return nil
		}
		return tag.QualifiedName{NamespaceIndex: t.NamespaceIndex, Name: t.Name}
	case *ua.LocalizedText:
		if t == nil {
			return nil
		}
		return tag.LocalizedText{Locale: t.Locale, Text: t.Text}
	case *ua.ExtensionObject:
		return extensionObject(t, depth)
	case *ua.Variant:
		if t == nil || depth >= maxValueDepth {
			return nil
		}
		if dims := t.ArrayDimensions(); len(dims) > 1 {
			return matrix(t.Value(), dims, depth+1)
		}
		return convert(t.Value(), depth+1)
	case *ua.DataValue:
		if t == nil || depth >= maxValueDepth {
			return nil
		}
		return convert(t.Value, depth+1)
	case *ua.DiagnosticInfo:
		if t == nil || depth >= maxValueDepth {
			return nil
		}
		return structToMap(reflect.ValueOf(t).Elem(), depth+1)

	// One-dimensional arrays that are already typed slices of plain Go
	// values: reuse them.
	case []bool, []int8, []int16, []uint16, []int32, []uint32, []int64,
		[]uint64, []float32, []float64, []string, [][]byte:
		return x
	case []time.Time:
		for i := range t {
			if t[i].Location() != time.UTC {
				out := make([]time.Time, len(t))
				for j := range t {
					out[j] = t[j].UTC()
				}
				return out
			}
		}
		return x
	case []ua.XMLElement:
		out := make([]tag.XMLElement, len(t))
		for i := range t {
			out[i] = tag.XMLElement(t[i])
		}
		return out
	case []ua.StatusCode:
		out := make([]tag.StatusCode, len(t))
		for i := range t {
			out[i] = tag.StatusCode(t[i])
		}
		return out
	case []*ua.GUID:
		out := make([]tag.GUID, len(t))
		for i := range t {
			if t[i] != nil {
				out[i] = tag.GUID(formatGUID(t[i]))
			}
		}
		return out
	case []*ua.NodeID:
		out := make([]tag.NodeID, len(t))
		for i := range t {
			out[i] = tag.NodeID(FormatNodeID(t[i]))
		}
		return out
	case []*ua.ExpandedNodeID:
		out := make([]tag.NodeID, len(t))
		for i := range t {
			out[i] = tag.NodeID(formatExpandedNodeID(t[i]))
		}
		return out
	case []*ua.QualifiedName:
		out := make([]tag.QualifiedName, len(t))
		for i := range t {
			if t[i] != nil {
				out[i] = tag.QualifiedName{NamespaceIndex: t[i].NamespaceIndex, Name: t[i].Name}
			}
		}
		return out
	case []*ua.LocalizedText:
		out := make([]tag.LocalizedText, len(t))
		for i := range t {
			if t[i] != nil {
				out[i] = tag.LocalizedText{Locale: t[i].Locale, Text: t[i].Text}
			}
		}
		return out
	case []*ua.ExtensionObject:
		out := make([]any, len(t))
		for i := range t {
			out[i] = extensionObject(t[i], depth)
		}
		return out
	case []*ua.Variant, []*ua.DataValue, []*ua.DiagnosticInfo:
		if depth >= maxValueDepth {
			return nil
		}
		rv := reflect.ValueOf(x)
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = convert(rv.Index(i).Interface(), depth+1)
		}
		return out
	}
	// Anything else (a nested slice without dimensions, a type gopcua adds
	// later): convert generically.
	return convertReflect(reflect.ValueOf(x), depth)
}

// matrix flattens a multi-dimensional array value (nested slices, as
// gopcua decodes them) into a tag.Matrix in row-major order.
func matrix(x any, dims []int32, depth int) any {
	m := tag.Matrix{Dimensions: make([]int, len(dims))}
	n := 1
	for i, d := range dims {
		m.Dimensions[i] = int(d)
		if d > 0 && n <= 1<<24 {
			n *= int(d)
		}
	}
	m.Elements = make([]any, 0, min(n, 1<<16))
	var walk func(rv reflect.Value, level int)
	walk = func(rv reflect.Value, level int) {
		if level > len(dims) || level > maxValueDepth {
			return
		}
		if rv.Kind() == reflect.Slice && rv.Type() != byteSliceType && rv.Type() != byteArrayType {
			for i := 0; i < rv.Len(); i++ {
				walk(rv.Index(i), level+1)
			}
			return
		}
		if rv.IsValid() && rv.CanInterface() {
			m.Elements = append(m.Elements, convert(rv.Interface(), depth+1))
		}
	}
	if x != nil {
		walk(reflect.ValueOf(x), 0)
	}
	return m
}

var (
	byteSliceType = reflect.TypeOf([]byte(nil))
	byteArrayType = reflect.TypeOf(ua.ByteArray(nil))
	timeType      = reflect.TypeOf(time.Time{})
)

// extensionObject converts an ExtensionObject: a body gopcua decoded into a
// struct becomes a map of its fields, anything else a tag.ExtensionObject.
func extensionObject(e *ua.ExtensionObject, depth int) any {
	if e == nil {
		return nil
	}
	var typeID string
	if e.TypeID != nil {
		typeID = formatExpandedNodeID(e.TypeID)
	}
	switch b := e.Value.(type) {
	case nil:
		return tag.ExtensionObject{TypeID: typeID}
	case *ua.XMLElement:
		if b == nil {
			return tag.ExtensionObject{TypeID: typeID}
		}
		return tag.ExtensionObject{TypeID: typeID, Body: []byte(*b)}
	case *rawBody:
		// A structure whose definition a session loaded (structraw.go):
		// the session decodes it (structures.go); the body is kept.
		return tag.ExtensionObject{TypeID: typeID, Body: b.body}
	}
	if depth >= maxValueDepth {
		return tag.ExtensionObject{TypeID: typeID}
	}
	rv := reflect.ValueOf(e.Value)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return tag.ExtensionObject{TypeID: typeID}
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return convertReflect(rv, depth+1)
	}
	return structToMap(rv, depth+1)
}

// structToMap converts a decoded struct to a map keyed by its exported
// field names, converting each field like a variant value.
func structToMap(rv reflect.Value, depth int) map[string]any {
	t := rv.Type()
	m := make(map[string]any, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		m[f.Name] = convertReflect(rv.Field(i), depth)
	}
	return m
}

// convertReflect converts a value found inside a decoded structure or an
// unexpected slice type.
func convertReflect(rv reflect.Value, depth int) any {
	if !rv.IsValid() || depth >= maxValueDepth {
		return nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		if rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct && !isUAWrapper(rv.Type()) {
			return structToMap(rv.Elem(), depth+1)
		}
		if rv.Kind() == reflect.Interface {
			return convertReflect(rv.Elem(), depth+1)
		}
	case reflect.Struct:
		if rv.Type() != timeType {
			return structToMap(rv, depth+1)
		}
	case reflect.Slice:
		if rv.Type() == byteSliceType || rv.Type() == byteArrayType {
			break
		}
		if rv.IsNil() {
			return nil
		}
		if !rv.CanInterface() {
			return nil
		}
		// Slices of types convert knows keep their typed form; others
		// become []any.
		if c := convertKnownSlice(rv); c != nil {
			return c
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = convertReflect(rv.Index(i), depth+1)
		}
		return out
	case reflect.Map, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128, reflect.Array:
		return nil
	}
	if !rv.CanInterface() {
		return nil
	}
	x := rv.Interface()
	switch rv.Kind() {
	// Enumerations in decoded structures are named integer types: keep
	// their number in the plain Go type.
	case reflect.Int8:
		return int8(rv.Int())
	case reflect.Int16:
		return int16(rv.Int())
	case reflect.Int32:
		return int32(rv.Int())
	case reflect.Int64, reflect.Int:
		return rv.Int()
	case reflect.Uint16:
		return uint16(rv.Uint())
	case reflect.Uint64, reflect.Uint:
		return rv.Uint()
	case reflect.Uint8:
		return uint8(rv.Uint())
	case reflect.Uint32:
		if _, ok := x.(ua.StatusCode); ok {
			return tag.StatusCode(rv.Uint())
		}
		return uint32(rv.Uint())
	case reflect.String:
		if _, ok := x.(ua.XMLElement); ok {
			return tag.XMLElement(rv.String())
		}
		return rv.String()
	}
	return convert(x, depth+1)
}

// convertKnownSlice returns the typed conversion of slices that convert
// handles directly, or nil.
func convertKnownSlice(rv reflect.Value) any {
	switch rv.Interface().(type) {
	case []bool, []int8, []int16, []uint16, []int32, []uint32, []int64,
		[]uint64, []float32, []float64, []string, [][]byte, []time.Time,
		[]*ua.GUID, []*ua.NodeID, []*ua.ExpandedNodeID, []*ua.QualifiedName,
		[]*ua.LocalizedText, []ua.StatusCode, []ua.XMLElement:
		return convert(rv.Interface(), 0)
	}
	return nil
}

// isUAWrapper reports whether t is a pointer to one of the gopcua types
// convert maps to a tag wrapper type rather than to a map.
func isUAWrapper(t reflect.Type) bool {
	switch t {
	case reflect.TypeOf((*ua.GUID)(nil)), reflect.TypeOf((*ua.NodeID)(nil)),
		reflect.TypeOf((*ua.ExpandedNodeID)(nil)), reflect.TypeOf((*ua.QualifiedName)(nil)),
		reflect.TypeOf((*ua.LocalizedText)(nil)), reflect.TypeOf((*ua.ExtensionObject)(nil)),
		reflect.TypeOf((*ua.Variant)(nil)), reflect.TypeOf((*ua.DataValue)(nil)),
		reflect.TypeOf((*ua.DiagnosticInfo)(nil)):
		return true
	}
	return false
}

// formatGUID returns the standard string form of g
// (72962B91-FA75-4AE6-8D28-B404DC7DAF63); missing bytes count as zero.
func formatGUID(g *ua.GUID) string {
	const hex = "0123456789ABCDEF"
	var b [36]byte
	var d4 [8]byte
	copy(d4[:], g.Data4)
	put := func(at int, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b[at+i] = hex[v&0xF]
			v >>= 4
		}
	}
	put(0, uint64(g.Data1), 8)
	b[8] = '-'
	put(9, uint64(g.Data2), 4)
	b[13] = '-'
	put(14, uint64(g.Data3), 4)
	b[18] = '-'
	put(19, uint64(d4[0])<<8|uint64(d4[1]), 4)
	b[23] = '-'
	for i := 0; i < 6; i++ {
		put(24+2*i, uint64(d4[2+i]), 2)
	}
	return string(b[:])
}

// SampleFromDataValue builds the sample of one value of node: the value
// converted by Value, the status code and both timestamps (zero when the
// server sent none), received when it reached edgetag. A nil dv yields a
// sample with a nil value and status BadNoData. It is the per-notification
// step between a subscription or read result and the engine.
func SampleFromDataValue(node *tag.Node, dv *ua.DataValue, received time.Time) tag.Sample {
	if dv == nil {
		return tag.Sample{Node: node, ReceivedAt: received, Status: uint32(ua.StatusBadNoData)}
	}
	val, _ := Value(dv.Value)
	return tag.Sample{
		Node:       node,
		Value:      val,
		SourceTime: dv.SourceTimestamp,
		ServerTime: dv.ServerTimestamp,
		ReceivedAt: received,
		Status:     uint32(dv.Status),
	}
}
