package engine

import (
	"math"
	"testing"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// machineState is a structure as a source decodes it: ordered fields, a
// 64-bit integer beyond 2^53, a nested structure and an array of structures.
var machineState = tag.Object{TypeName: "MachineState", Fields: []tag.Field{
	{Name: "state", Value: int32(3)},
	{Name: "counter", Value: uint64(math.MaxUint64)},
	{Name: "axis", Value: tag.Object{TypeName: "Axis", Fields: []tag.Field{{Name: "x", Value: 1.5}, {Name: "y", Value: float32(0.1)}}}},
	{Name: "tools", Value: []tag.Object{{Fields: []tag.Field{{Name: "id", Value: "T1"}}}}},
	{Name: "state", Value: int32(9)}, // a repeated name is written once, with its first value
}}

// TestObjectPayloadKeepsFieldOrder checks that a structure is published with
// its fields in their order, losslessly when the script leaves it alone, and
// with the script's changes otherwise.
func TestObjectPayloadKeepsFieldOrder(t *testing.T) {
	t.Parallel()
	const untouched = `{"state":3,"counter":18446744073709551615,"axis":{"x":1.5,"y":0.1},"tools":[{"id":"T1"}]}`
	tests := []struct {
		name string
		js   string // over p, the JS form of machineState
		want string
	}{
		{"untouched", `p`, untouched},
		{"field changed", `(p.state = 4, p)`, `{"state":4,"counter":18446744073709551615,"axis":{"x":1.5,"y":0.1},"tools":[{"id":"T1"}]}`},
		{"nested field read", `p.axis.x * 2`, `3`},
		{"array of structures read", `p.tools[0].id`, `"T1"`},
		{"keys in order", `Object.keys(p).join(",")`, `"state,counter,axis,tools"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vm := goja.New()
			if err := vm.Set("p", toJS(vm, machineState)); err != nil {
				t.Fatal(err)
			}
			js, err := vm.RunString(tt.js)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendPayload(nil, machineState, js, "", 1, HardMaxPayloadBytes)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"value":` + tt.want + `,"timestamp_ms":1}`
			if string(got) != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
	got, err := appendGo(nil, machineState, 0)
	if err != nil || string(got) != untouched {
		t.Errorf("appendGo = %s, %v; want %s", got, err, untouched)
	}
}

// TestObjectMetaNamesTheStructure checks the meta a structure's node gets.
func TestObjectMetaNamesTheStructure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v              any
		tagType, dtype string
	}{
		{machineState, "object", "MachineState"},
		{tag.Object{}, "object", "ExtensionObject"},
		{[]tag.Object{machineState}, "array", "ExtensionObject"},
	} {
		tagType, dtype := valueTypes(tt.v)
		if tagType != tt.tagType || dtype != tt.dtype {
			t.Errorf("valueType(%T %s) = %q, %q; want %q, %q", tt.v, tt.dtype, tagType, dtype, tt.tagType, tt.dtype)
		}
	}
}
