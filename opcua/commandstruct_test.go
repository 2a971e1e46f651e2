package opcua

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/edgetag/edgetag/tag"
)

// TestStructVariant converts JSON values for a structured node of
// testMachine's shape without a server: errors name the JSON path of the
// field, and what is written is the encoded body decoded again.
func TestStructVariant(t *testing.T) {
	l := &liveSession{}
	l.structs = newCommandStructs(l)
	choiceDef, optionsDef := *testChoice, *testOptions
	choiceDef.EncodingID, optionsDef.EncodingID = "ns=2;i=106", "ns=2;i=105"
	testChoice, testOptions := &choiceDef, &optionsDef
	// Every field but the matrix, which JSON cannot give.
	machine := `{"name":"m","mode":"Manual","counter":1,"axis":{"x":1,"y":2},"tools":[],"temps":[0.5],"modes":[0,"Auto"],
		"at":"2026-01-02T03:04:05Z","node":"ns=2;s=X","text":{"text":"Hallo","locale":"de"},"raw":"AQI=","ok":true,"status":0,
		"grid":null,"any":null}`
	sw, cerr := l.structVariant(json.RawMessage(machine), testMachine, -1)
	if cerr == nil {
		t.Fatalf("a matrix field given null encoded: %v", sw.written)
	}
	if !strings.Contains(cerr.Msg, "$.grid: want a matrix") {
		t.Fatalf("error %v, want $.grid named", cerr)
	}
	choice := `{"num":3}`
	sw, cerr = l.structVariant(json.RawMessage(choice), testChoice, -2)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if d := diffValues(sw.written, tag.Object{TypeName: "Choice", Fields: []tag.Field{{Name: "num", Value: int32(3)}}}, "$"); d != "" {
		t.Fatalf("written %#v differs at %s", sw.written, d)
	}
	tests := []struct {
		def   *StructDef
		rank  int32
		value string
		want  string
	}{
		{testChoice, -1, `{"num":3,"text":"x"}`, "$: union Choice: more than one field set (num, text)"},
		{testOptions, -1, `{"b":1}`, "$.a: missing required field"},
		{testOptions, 1, `[{"a":1},{"a":1,"d":2}]`, `$[1].d: Options has no field "d"`},
		{testOptions, 1, `[{"a":1},7]`, "$[1]: want a Options object, got a number"},
		{testOptions, -1, `{"a":1.5}`, "$.a: value does not fit the field's type: number for Int32"},
		{testOptions, -1, `{"a":1,"c":null}`, "$.c: value does not fit the field's type: null for String"},
		{testOptions, -1, `[{"a":1}]`, "the node holds one Options structure, not an array"},
		{testOptions, 1, `{"a":1}`, "the node holds an array of Options structures, not one"},
		{testOptions, 2, `[[{"a":1}]]`, "writing 2-dimensional arrays is not supported"},
		{testOptions, -1, `"a"`, `"a" is not a JSON object`},
	}
	for _, tt := range tests {
		_, cerr := l.structVariant(json.RawMessage(tt.value), tt.def, tt.rank)
		if cerr == nil || cerr.Code != CodeTypeMismatch || !strings.Contains(cerr.Msg, tt.want) {
			t.Errorf("%s: error %v, want type_mismatch with %q", tt.value, cerr, tt.want)
		}
	}
}

// TestDiffValues finds the first differing field of two decoded values.
func TestDiffValues(t *testing.T) {
	obj := func(fields ...tag.Field) tag.Object { return tag.Object{TypeName: "T", Fields: fields} }
	a := obj(tag.Field{Name: "x", Value: int32(1)}, tag.Field{Name: "in", Value: obj(tag.Field{Name: "y", Value: []float64{1, 2}})})
	tests := []struct {
		b    any
		want string
	}{
		{obj(tag.Field{Name: "x", Value: int32(1)}, tag.Field{Name: "in", Value: obj(tag.Field{Name: "y", Value: []float64{1, 2}})}), ""},
		{obj(tag.Field{Name: "x", Value: int32(2)}, tag.Field{Name: "in", Value: obj(tag.Field{Name: "y", Value: []float64{1, 2}})}), "$.x"},
		{obj(tag.Field{Name: "x", Value: int32(1)}, tag.Field{Name: "in", Value: obj(tag.Field{Name: "y", Value: []float64{1, 3}})}), "$.in.y"},
		{obj(tag.Field{Name: "x", Value: int32(1)}), "$.in"},
		{obj(tag.Field{Name: "x", Value: int32(1)}, tag.Field{Name: "in", Value: obj(tag.Field{Name: "y", Value: []float64{1, 2}})}, tag.Field{Name: "z", Value: 1}), "$.z"},
		{[]tag.Object{a}, "$"},
	}
	for i, tt := range tests {
		if got := diffValues(a, tt.b, "$"); got != tt.want {
			t.Errorf("case %d: %q, want %q", i, got, tt.want)
		}
	}
	if got := diffValues([]tag.Object{a, a}, []tag.Object{a, obj()}, "$"); got != "$[1].x" {
		t.Errorf("arrays: %q, want $[1].x", got)
	}
}
