package opcua

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/tag"
)

// testStation has enumeration fields of every shape: scalar, array,
// matrix, and one inside a nested structure.
var (
	testStep    = &StructDef{Name: "Step", TypeID: "ns=2;i=20", Fields: []FieldDef{{Name: "mode", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: -1}}}
	testStation = &StructDef{Name: "Station", TypeID: "ns=2;i=21", Fields: []FieldDef{
		{Name: "mode", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: -1},
		{Name: "modes", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: 1},
		{Name: "grid", Type: ua.TypeIDInt32, Enum: testMode, ValueRank: 2},
		{Name: "step", Type: ua.TypeIDExtensionObject, Struct: testStep, ValueRank: -1},
		{Name: "count", Type: ua.TypeIDInt32, ValueRank: -1}, // not an enumeration
	}}
	// testStationBody: mode 2, modes [1 7], grid 1x2 [0 2], step.mode 7
	// (7 has no name), count 1.
	testStationBody = le(int32(2), int32(2), int32(1), int32(7), int32(2), int32(1), int32(2), int32(0), int32(2), int32(7), int32(1))
)

// enumObj is the EnumsBoth form of a Mode value.
func enumObj(v int32, name string) tag.Object {
	o := tag.Object{TypeName: "Mode", Fields: []tag.Field{{Name: "value", Value: v}}}
	if name != "" {
		o.Fields = append(o.Fields, tag.Field{Name: "name", Value: name})
	}
	return o
}

// TestDecodeStructureEnumForms decodes one body with each enumeration
// form: numbers unchanged, names (a number without one stays a number),
// and value-and-name objects; every number without a name is reported.
func TestDecodeStructureEnumForms(t *testing.T) {
	tests := []struct {
		form string
		want []tag.Field
	}{
		{EnumsNumber, []tag.Field{
			{Name: "mode", Value: int32(2)},
			{Name: "modes", Value: []int32{1, 7}},
			{Name: "grid", Value: tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{int32(0), int32(2)}}},
			{Name: "step", Value: tag.Object{TypeName: "Step", Fields: []tag.Field{{Name: "mode", Value: int32(7)}}}},
			{Name: "count", Value: int32(1)},
		}},
		{EnumsName, []tag.Field{
			{Name: "mode", Value: "Manual"},
			{Name: "modes", Value: []any{"Auto", int32(7)}},
			{Name: "grid", Value: tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{"Off", "Manual"}}},
			{Name: "step", Value: tag.Object{TypeName: "Step", Fields: []tag.Field{{Name: "mode", Value: int32(7)}}}},
			{Name: "count", Value: int32(1)},
		}},
		{EnumsBoth, []tag.Field{
			{Name: "mode", Value: enumObj(2, "Manual")},
			{Name: "modes", Value: []tag.Object{enumObj(1, "Auto"), enumObj(7, "")}},
			{Name: "grid", Value: tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{enumObj(0, "Off"), enumObj(2, "Manual")}}},
			{Name: "step", Value: tag.Object{TypeName: "Step", Fields: []tag.Field{{Name: "mode", Value: enumObj(7, "")}}}},
			{Name: "count", Value: int32(1)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.form, func(t *testing.T) {
			var unnamed []int64
			got, err := DecodeStructureWith(testStation, testStationBody, nil, DecodeOptions{
				Enums:   tt.form,
				Unnamed: func(e *EnumDef, v int64) { unnamed = append(unnamed, v) },
			})
			if err != nil {
				t.Fatal(err)
			}
			checkObject(t, tt.form, got, tag.Object{TypeName: "Station", Fields: tt.want})
			want := []int64{7, 7}
			if tt.form == EnumsNumber {
				want = nil
			}
			if !reflect.DeepEqual(unnamed, want) {
				t.Errorf("unnamed numbers reported: %v, want %v", unnamed, want)
			}
		})
	}
}

// TestEnumNamerNodeValues converts the values of a node whose DataType is
// an enumeration, as Value gives them.
func TestEnumNamerNodeValues(t *testing.T) {
	name := &enumNamer{form: EnumsName}
	both := &enumNamer{form: EnumsBoth}
	number := &enumNamer{form: EnumsNumber}
	tests := []struct {
		n        *enumNamer
		in, want any
	}{
		{name, int32(1), "Auto"},
		{name, int32(9), int32(9)},
		{name, []int32{0, 2}, []string{"Off", "Manual"}},
		{name, []int32{0, 9}, []any{"Off", int32(9)}},
		{name, tag.Matrix{Dimensions: []int{2, 1}, Elements: []any{int32(2), int32(9)}}, tag.Matrix{Dimensions: []int{2, 1}, Elements: []any{"Manual", int32(9)}}},
		{name, nil, nil},
		{name, "Auto", "Auto"}, // not what the DataType says: unchanged
		{both, int32(1), enumObj(1, "Auto")},
		{both, []int32{9}, []tag.Object{enumObj(9, "")}},
		{number, int32(1), int32(1)},
		{nil, int32(1), int32(1)},
	}
	for _, tt := range tests {
		if got := tt.n.convert(testMode, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v of %#v: %#v, want %#v", tt.n, tt.in, got, tt.want)
		}
	}
}

// TestStructuresValueEnumNodeAndMatrix checks the session's conversion of
// item values: a matrix of structures decodes element by element keeping
// its dimensions, and an enumeration node's number is named, with one
// warning per enumeration for numbers without a name.
func TestStructuresValueEnumNodeAndMatrix(t *testing.T) {
	def := *testChoice
	def.EncodingID = "ns=2;i=106"
	var logs testlog.Buffer
	s := &structures{byEncoding: map[string]*StructDef{def.EncodingID: &def}, enumNodes: map[int]*EnumDef{3: testMode},
		warned: map[string]bool{}, log: zerolog.New(&logs)}
	count := 0
	s.enums = &enumNamer{form: EnumsName}
	s.enums.unnamed = s.unnamedEnum(func() { count++ })
	if !s.active() {
		t.Fatal("not active with structures and enumeration nodes")
	}

	eo := func(n int32) tag.ExtensionObject {
		return tag.ExtensionObject{TypeID: def.EncodingID, Body: le(uint32(1), n)}
	}
	choice := func(n int32) tag.Object {
		return tag.Object{TypeName: "Choice", Fields: []tag.Field{{Name: "num", Value: n}}}
	}
	m := tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{eo(1), eo(2), eo(3), tag.ExtensionObject{TypeID: "ns=2;i=999"}}}
	got := s.value(0, "ns=2;s=Grid", m)
	want := tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{choice(1), choice(2), choice(3), tag.ExtensionObject{TypeID: "ns=2;i=999"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("matrix of structures:\n got %#v\nwant %#v", got, want)
	}

	// An element that does not decode stays as it is, and the warning
	// names the node, the type and what failed.
	bad := tag.ExtensionObject{TypeID: def.EncodingID, Body: le(uint32(9))}
	got = s.value(0, "ns=2;s=Grid", tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{eo(1), bad}})
	want = tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{choice(1), bad}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("matrix with a bad element:\n got %#v\nwant %#v", got, want)
	}
	if w := logs.String(); !strings.Contains(w, `"node":"ns=2;s=Grid"`) || !strings.Contains(w, `"data_type":"Choice"`) ||
		!strings.Contains(w, "union switch value has no field") {
		t.Fatalf("warning does not name node, type and cause:\n%s", w)
	}

	if got := s.value(3, "ns=2;s=Mode", int32(2)); got != "Manual" {
		t.Fatalf("enumeration node: %#v, want Manual", got)
	}
	if got := s.value(0, "ns=2;s=Count", int32(2)); got != int32(2) {
		t.Fatalf("a node that is no enumeration: %#v, want 2 unchanged", got)
	}
	for range 3 {
		if got := s.value(3, "ns=2;s=Mode", int32(9)); got != int32(9) {
			t.Fatalf("number without a name: %#v, want 9", got)
		}
	}
	if count != 3 {
		t.Fatalf("%d numbers without a name counted, want 3", count)
	}
	if c := strings.Count(logs.String(), "enumeration value has no name"); c != 1 {
		t.Fatalf("%d warnings, want one per enumeration:\n%s", c, logs.String())
	}
}

// TestParseEnumForm checks the accepted enums values.
func TestParseEnumForm(t *testing.T) {
	for in, want := range map[string]string{"": EnumsNumber, "number": EnumsNumber, "name": EnumsName, "both": EnumsBoth} {
		if got, err := parseEnumForm(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := parseEnumForm("Name"); err == nil || !strings.Contains(err.Error(), "number, name or both") {
		t.Errorf("Name: %v, want an error listing the forms", err)
	}
}

// TestEncodeStructureEnumForms writes back what each enumeration form
// publishes: a value read as number, name or value-and-name object encodes
// to the body it was decoded from.
func TestEncodeStructureEnumForms(t *testing.T) {
	for _, form := range []string{EnumsNumber, EnumsName, EnumsBoth} {
		obj, err := DecodeStructureWith(testStation, testStationBody, nil, DecodeOptions{Enums: form})
		if err != nil {
			t.Fatalf("%s: decode: %v", form, err)
		}
		body, err := EncodeStructure(testStation, obj)
		if err != nil {
			t.Fatalf("%s: encode %v: %v", form, obj, err)
		}
		if !bytes.Equal(body, testStationBody) {
			t.Errorf("%s: encoded % x, want % x", form, body, testStationBody)
		}
	}
	if _, err := EncodeStructure(testStep, map[string]any{"mode": map[string]any{"name": "Auto"}}); err == nil {
		t.Error("an enumeration object without value encoded")
	}
}
