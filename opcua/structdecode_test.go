package opcua

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

var (
	testAxis = &StructDef{Name: "Axis", TypeID: "ns=2;i=1", Fields: []FieldDef{
		{Name: "x", Type: ua.TypeIDDouble, ValueRank: -1},
		{Name: "y", Type: ua.TypeIDFloat, ValueRank: -1},
	}}
	testTool = &StructDef{Name: "Tool", TypeID: "ns=2;i=2", Fields: []FieldDef{
		{Name: "id", Type: ua.TypeIDString, ValueRank: -1},
		{Name: "wear", Type: ua.TypeIDDouble, ValueRank: -1},
	}}
	testMode    = &EnumDef{Name: "Mode", TypeID: "ns=2;i=3", Values: map[int64]string{0: "Off", 1: "Auto", 2: "Manual"}}
	testMachine = &StructDef{Name: "Machine", TypeID: "ns=2;i=4", EncodingID: "ns=2;i=104", Fields: []FieldDef{
		{Name: "name", Type: ua.TypeIDString, ValueRank: -1},
		{Name: "mode", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: -1},
		{Name: "counter", Type: ua.TypeIDUint64, ValueRank: -1},
		{Name: "axis", Type: ua.TypeIDExtensionObject, Struct: testAxis, ValueRank: -1},
		{Name: "tools", Type: ua.TypeIDExtensionObject, Struct: testTool, ValueRank: 1},
		{Name: "temps", Type: ua.TypeIDDouble, ValueRank: 1},
		{Name: "modes", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: 1},
		{Name: "at", Type: ua.TypeIDDateTime, ValueRank: -1},
		{Name: "node", Type: ua.TypeIDNodeID, ValueRank: -1},
		{Name: "text", Type: ua.TypeIDLocalizedText, ValueRank: -1},
		{Name: "raw", Type: ua.TypeIDByteString, ValueRank: -1},
		{Name: "ok", Type: ua.TypeIDBoolean, ValueRank: -1},
		{Name: "status", Type: ua.TypeIDStatusCode, ValueRank: -1},
		{Name: "grid", Type: ua.TypeIDInt16, ValueRank: 2},
		{Name: "any", Type: ua.TypeIDVariant, ValueRank: -1},
	}}
	testOptions = &StructDef{Name: "Options", TypeID: "ns=2;i=5", Kind: StructOptional, Fields: []FieldDef{
		{Name: "a", Type: ua.TypeIDInt32, ValueRank: -1},
		{Name: "b", Type: ua.TypeIDDouble, ValueRank: -1, Optional: true},
		{Name: "c", Type: ua.TypeIDString, ValueRank: -1, Optional: true},
	}}
	testChoice = &StructDef{Name: "Choice", TypeID: "ns=2;i=6", Kind: StructUnion, Fields: []FieldDef{
		{Name: "num", Type: ua.TypeIDInt32, ValueRank: -1},
		{Name: "text", Type: ua.TypeIDString, ValueRank: -1},
	}}
)

// le builds a little-endian body from its parts.
func le(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch x := p.(type) {
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, x)
		case int32:
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		case float64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		case string:
			b = binary.LittleEndian.AppendUint32(b, uint32(len(x)))
			b = append(b, x...)
		}
	}
	return b
}

// TestDecodeStructureKinds decodes hand-encoded bodies (Part 6, 5.2.7) of
// an optional-fields structure and a union.
func TestDecodeStructureKinds(t *testing.T) {
	tests := []struct {
		name string
		def  *StructDef
		body []byte
		want []tag.Field
	}{
		{"optional: none set", testOptions, le(uint32(0), int32(7)), []tag.Field{{Name: "a", Value: int32(7)}}},
		{"optional: second set", testOptions, le(uint32(2), int32(7), "hi"), []tag.Field{{Name: "a", Value: int32(7)}, {Name: "c", Value: "hi"}}},
		{"optional: both set", testOptions, le(uint32(3), int32(-1), 2.5, ""), []tag.Field{{Name: "a", Value: int32(-1)}, {Name: "b", Value: 2.5}, {Name: "c", Value: ""}}},
		{"union: first", testChoice, le(uint32(1), int32(42)), []tag.Field{{Name: "num", Value: int32(42)}}},
		{"union: second", testChoice, le(uint32(2), "x"), []tag.Field{{Name: "text", Value: "x"}}},
		{"union: none", testChoice, le(uint32(0)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeStructure(tt.def, tt.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.TypeName != tt.def.Name || !reflect.DeepEqual(got.Fields, tt.want) && !(len(got.Fields) == 0 && len(tt.want) == 0) {
				t.Fatalf("got %s %#v, want %#v", got.TypeName, got.Fields, tt.want)
			}
		})
	}
}

// TestStructureRoundTrip encodes a structure with every kind of field and
// decodes it back, field by field.
func TestStructureRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456700, time.UTC)
	in := tag.Object{TypeName: "Machine", Fields: []tag.Field{
		{Name: "name", Value: "press 1"},
		{Name: "mode", Value: "Manual"}, // by name
		{Name: "counter", Value: uint64(math.MaxUint64)},
		{Name: "axis", Value: map[string]any{"x": 1.5, "y": float32(0.25)}},
		{Name: "tools", Value: []tag.Object{
			{Fields: []tag.Field{{Name: "id", Value: "T1"}, {Name: "wear", Value: 0.1}}},
			{Fields: []tag.Field{{Name: "id", Value: "T2"}, {Name: "wear", Value: 0.2}}},
		}},
		{Name: "temps", Value: []float64{20.5, 21}},
		{Name: "modes", Value: []any{0, "Auto"}},
		{Name: "at", Value: at},
		{Name: "node", Value: tag.NodeID("ns=3;s=Line1.Press")},
		{Name: "text", Value: tag.LocalizedText{Locale: "en", Text: "running"}},
		{Name: "raw", Value: []byte{0, 1, 2}},
		{Name: "ok", Value: true},
		{Name: "status", Value: tag.StatusCode(0x80000000)},
		{Name: "grid", Value: tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{1, 2, 3, 4}}},
		{Name: "any", Value: int64(-5)},
	}}
	body, err := EncodeStructure(testMachine, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeStructure(testMachine, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []tag.Field{
		{Name: "name", Value: "press 1"},
		{Name: "mode", Value: int32(2)},
		{Name: "counter", Value: uint64(math.MaxUint64)},
		{Name: "axis", Value: tag.Object{TypeName: "Axis", Fields: []tag.Field{{Name: "x", Value: 1.5}, {Name: "y", Value: float32(0.25)}}}},
		{Name: "tools", Value: []tag.Object{
			{TypeName: "Tool", Fields: []tag.Field{{Name: "id", Value: "T1"}, {Name: "wear", Value: 0.1}}},
			{TypeName: "Tool", Fields: []tag.Field{{Name: "id", Value: "T2"}, {Name: "wear", Value: 0.2}}},
		}},
		{Name: "temps", Value: []float64{20.5, 21}},
		{Name: "modes", Value: []int32{0, 1}},
		{Name: "at", Value: at},
		{Name: "node", Value: tag.NodeID("ns=3;s=Line1.Press")},
		{Name: "text", Value: tag.LocalizedText{Locale: "en", Text: "running"}},
		{Name: "raw", Value: []byte{0, 1, 2}},
		{Name: "ok", Value: true},
		{Name: "status", Value: tag.StatusCode(0x80000000)},
		{Name: "grid", Value: tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{int16(1), int16(2), int16(3), int16(4)}}},
		{Name: "any", Value: int64(-5)},
	}
	if got.TypeName != "Machine" || len(got.Fields) != len(want) {
		t.Fatalf("got %s with %d fields, want Machine with %d", got.TypeName, len(got.Fields), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got.Fields[i], want[i]) {
			t.Errorf("field %d:\n got %#v\nwant %#v", i, got.Fields[i], want[i])
		}
	}
}

// TestDecodeStructureErrors checks that bad bodies fail with the type and
// the field, and never panic.
func TestDecodeStructureErrors(t *testing.T) {
	self := &StructDef{Name: "Loop", Fields: []FieldDef{{Name: "next", Type: ua.TypeIDExtensionObject, ValueRank: -1}}}
	self.Fields[0].Struct = self
	deep := make([]byte, 0)
	tests := []struct {
		name      string
		def       *StructDef
		body      []byte
		field     string
		wantError error
	}{
		{"truncated", testOptions, le(uint32(1), int32(7), 2.5)[:12], "b", nil},
		{"union switch beyond fields", testChoice, le(uint32(3)), "", errStructUnionCase},
		{"trailing bytes", testChoice, le(uint32(1), int32(1), int32(2)), "", errStructTrailing},
		{"array longer than body", testMachine, append(le("n", int32(0), uint32(0), uint32(0), 1.0), le(float32bits(0), int32(1000))...), "tools", errStructArrayLen},
		{"too deep", self, deep, strings.TrimSuffix(strings.Repeat("next.", maxStructDepth), "."), errStructTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeStructure(tt.def, tt.body, nil)
			var se *StructError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *StructError", err)
			}
			if se.Type != tt.def.Name || se.Field != tt.field {
				t.Fatalf("error names type %q field %q, want %q %q (%v)", se.Type, se.Field, tt.def.Name, tt.field, err)
			}
			if tt.wantError != nil && !errors.Is(err, tt.wantError) {
				t.Fatalf("error %v, want %v", err, tt.wantError)
			}
			if !strings.Contains(err.Error(), tt.def.Name) {
				t.Fatalf("message %q does not name the type", err)
			}
		})
	}
}

func float32bits(f float32) uint32 { return math.Float32bits(f) }

// TestEncodeStructureErrors checks that writes of incomplete or mistyped
// objects fail naming the field.
func TestEncodeStructureErrors(t *testing.T) {
	tests := []struct {
		name string
		def  *StructDef
		v    any
		want string
	}{
		{"missing required", testOptions, map[string]any{"b": 1.0}, "field a: missing required field"},
		{"unknown key", testAxis, map[string]any{"x": 1.0, "y": 2.0, "z": 3.0}, `field z: Axis has no field "z"`},
		{"two union fields", testChoice, map[string]any{"num": 1, "text": "a"}, "more than one field set"},
		{"out of range", testOptions, map[string]any{"a": int64(1 << 40)}, "field a: value does not fit"},
		{"fraction for an integer", testOptions, map[string]any{"a": 1.5}, "field a: value does not fit"},
		{"not an object", testAxis, 3, "want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeStructure(tt.def, tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Optional fields left out and a union with none set are fine.
	if b, err := EncodeStructure(testOptions, map[string]any{"a": 1}); err != nil || len(b) != 8 {
		t.Fatalf("optional fields absent: %v, %d bytes", err, len(b))
	}
}
