package opcua

import (
	"fmt"

	"github.com/edgetag/edgetag/tag"
)

// Enumeration forms: how a value of an enumerated DataType is published,
// both for a node whose DataType is an enumeration and for an enumeration
// field inside a structure (Config.Enums, the site file's enums key).
const (
	// EnumsNumber publishes the value's Int32 number, as OPC UA encodes
	// it. The default: a consumer written for the number keeps working.
	EnumsNumber = "number"
	// EnumsName publishes the value's name ("Running"). A number the
	// enumeration has no name for stays its number.
	EnumsName = "name"
	// EnumsBoth publishes an object {"value": 2, "name": "Running"}; a
	// number without a name gives {"value": 7} (no name key).
	EnumsBoth = "both"
)

// EnumForms are the valid values of Config.Enums.
var EnumForms = []string{EnumsNumber, EnumsName, EnumsBoth}

// enumNamer turns enumeration numbers into the configured form. A nil
// *enumNamer, or one of form EnumsNumber, leaves them numbers.
type enumNamer struct {
	form string
	// unnamed is called once per number that has no name in its
	// enumeration (may be nil).
	unnamed func(e *EnumDef, v int64)
}

// active reports whether numbers are converted at all.
func (n *enumNamer) active() bool {
	return n != nil && (n.form == EnumsName || n.form == EnumsBoth)
}

// value converts one number of enumeration e.
func (n *enumNamer) value(e *EnumDef, v int32) any {
	name, ok := e.Values[int64(v)]
	if !ok && n.unnamed != nil {
		n.unnamed(e, int64(v))
	}
	switch {
	case n.form == EnumsBoth && ok:
		return tag.Object{TypeName: e.Name, Fields: []tag.Field{{Name: "value", Value: v}, {Name: "name", Value: name}}}
	case n.form == EnumsBoth:
		return tag.Object{TypeName: e.Name, Fields: []tag.Field{{Name: "value", Value: v}}}
	case ok:
		return name
	}
	return v
}

// convert converts a value of enumeration e as Value gives it: an int32, a
// []int32 (a one-dimensional array) or a tag.Matrix of int32. An array
// becomes []string in form EnumsName when every number has a name ([]any
// with the unnamed numbers in place otherwise), and []tag.Object in form
// EnumsBoth. Anything else (nil, a value of another type because the
// server does not encode what its DataType says) is returned unchanged.
func (n *enumNamer) convert(e *EnumDef, v any) any {
	if !n.active() || e == nil {
		return v
	}
	switch t := v.(type) {
	case int32:
		return n.value(e, t)
	case []int32:
		return n.slice(e, t)
	case tag.Matrix:
		out := tag.Matrix{Dimensions: t.Dimensions, Elements: make([]any, len(t.Elements))}
		for i, x := range t.Elements {
			out.Elements[i] = n.convert(e, x)
		}
		return out
	}
	return v
}

// slice converts a one-dimensional array of enumeration e.
func (n *enumNamer) slice(e *EnumDef, vs []int32) any {
	if n.form == EnumsBoth {
		out := make([]tag.Object, len(vs))
		for i, v := range vs {
			out[i], _ = n.value(e, v).(tag.Object)
		}
		return out
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		name, ok := e.Values[int64(v)]
		if !ok {
			// Not every number has a name: an array of names and numbers.
			out := make([]any, len(vs))
			for j, w := range vs {
				out[j] = n.value(e, w)
			}
			return out
		}
		names[i] = name
	}
	return names
}

// parseEnumForm checks a Config.Enums value ("" is EnumsNumber).
func parseEnumForm(s string) (string, error) {
	switch s {
	case "":
		return EnumsNumber, nil
	case EnumsNumber, EnumsName, EnumsBoth:
		return s, nil
	}
	return "", fmt.Errorf("enums %q: want number, name or both", s)
}
