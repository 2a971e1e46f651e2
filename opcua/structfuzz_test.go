package opcua

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// fuzzDef builds a structure definition from the fuzzer's bytes: each
// byte picks a field (its type, rank and kind); some fields nest a
// structure built from the bytes that follow. It returns the definition
// and the bytes left for the body.
func fuzzDef(spec []byte, depth int) (*StructDef, []byte) {
	def := &StructDef{Name: "F"}
	if len(spec) == 0 {
		return def, spec
	}
	def.Kind = StructKind(spec[0] % 3)
	spec = spec[1:]
	for len(spec) > 0 && len(def.Fields) < 8 {
		c := spec[0]
		spec = spec[1:]
		if c == 0xff { // end of this structure
			break
		}
		f := FieldDef{Name: string(rune('a' + len(def.Fields))), ValueRank: -1}
		switch c >> 6 {
		case 1:
			f.ValueRank = 1
		case 2:
			f.ValueRank = 2
		}
		f.Optional = def.Kind == StructOptional && c&0x20 != 0
		t := c & 0x1f
		switch {
		case t == uint8(ua.TypeIDInt32):
			f.Type, f.Enum = ua.TypeIDInt32, testMode // an enumeration
		case t >= 1 && t <= 25:
			f.Type = ua.TypeID(t)
		case depth < 4:
			f.Type = ua.TypeIDExtensionObject
			f.Struct, spec = fuzzDef(spec, depth+1)
		default:
			f.Type = ua.TypeIDInt32
		}
		def.Fields = append(def.Fields, f)
	}
	return def, spec
}

// FuzzDecodeStructure decodes random bodies with random definitions, with
// enumeration fields in a form the bytes pick: it must never panic, fail
// only with a *StructError, and never produce more array elements than the
// body has bytes.
func FuzzDecodeStructure(f *testing.F) {
	f.Add([]byte{0, 6, 11, 0xff}, []byte{0, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 6, 0x26, 0x4b, 0xff}, []byte{3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 6, 12, 0xff}, []byte{2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0x5f, 0, 6, 0xff}, []byte{2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0})
	f.Add([]byte{0, 0x8b, 0xff}, []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 22, 24, 23, 25}, []byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, spec, body []byte) {
		def, _ := fuzzDef(spec, 0)
		opts := DecodeOptions{Enums: EnumForms[len(spec)%len(EnumForms)], Unnamed: func(*EnumDef, int64) {}}
		obj, err := DecodeStructureWith(def, body, func(string) *StructDef { return def }, opts)
		if err != nil {
			var se *StructError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *StructError", err, err)
			}
			return
		}
		if n := countElements(obj); n > len(body) {
			t.Fatalf("%d values from a %d-byte body", n, len(body))
		}
	})
}

// countElements counts the leaf values of a decoded value: every scalar
// and array element that is not itself a structure. Each takes at least
// one byte of the body.
func countElements(v any) int {
	switch t := v.(type) {
	case tag.Object:
		if t.TypeName == testMode.Name {
			return 1 // an enumeration value with its name: one Int32
		}
		n := 0
		for _, f := range t.Fields {
			n += countElements(f.Value)
		}
		return n
	case []tag.Object:
		n := 0
		for _, o := range t {
			n += countElements(o)
		}
		return n
	case tag.Matrix:
		n := 0
		for _, e := range t.Elements {
			n += countElements(e)
		}
		return n
	case []byte, nil:
		return 1
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		return rv.Len()
	}
	return 1
}
