package opcua

import (
	"testing"

	"github.com/edgetag/edgetag/tag"
)

// BenchmarkStructureEnums measures what naming enumerations costs: the
// Machine structure (one enumeration field and an array of three) decoded
// with each enums form, and one enumeration node's value converted.
func BenchmarkStructureEnums(b *testing.B) {
	body, err := EncodeStructure(testMachine, tag.Object{Fields: []tag.Field{
		{Name: "name", Value: "press 1"}, {Name: "mode", Value: 2}, {Name: "counter", Value: uint64(1) << 60},
		{Name: "axis", Value: map[string]any{"x": 1.5, "y": 0.25}},
		{Name: "tools", Value: []any{map[string]any{"id": "T1", "wear": 0.1}, map[string]any{"id": "T2", "wear": 0.2}}},
		{Name: "temps", Value: []float64{20.5, 21, 22.5, 23}}, {Name: "modes", Value: []int32{0, 1, 2}},
		{Name: "at", Value: "2026-03-01T12:00:00Z"}, {Name: "node", Value: "ns=3;s=Line1.Press"},
		{Name: "text", Value: "running"}, {Name: "raw", Value: []byte{1, 2, 3}}, {Name: "ok", Value: true},
		{Name: "status", Value: 0}, {Name: "grid", Value: tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{1, 2, 3, 4}}},
		{Name: "any", Value: 1.5},
	}})
	if err != nil {
		b.Fatal(err)
	}
	for _, form := range EnumForms {
		b.Run("Machine/"+form, func(b *testing.B) {
			opts := DecodeOptions{Enums: form}
			b.ReportAllocs()
			for b.Loop() {
				obj, err := DecodeStructureWith(testMachine, body, nil, opts)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = obj
			}
		})
	}
	for _, form := range EnumForms {
		b.Run("Node/"+form, func(b *testing.B) {
			s := &structures{enumNodes: map[int]*EnumDef{0: testMode}, enums: &enumNamer{form: form}}
			var v any = int32(2)
			b.ReportAllocs()
			for b.Loop() {
				sinkValue = s.value(0, "ns=2;s=Mode", v)
			}
		})
	}
}
