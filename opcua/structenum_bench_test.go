package opcua

import "testing"

// BenchmarkStructureEnums measures what naming enumerations costs: the
// Machine structure (one enumeration field and an array of three) decoded
// with each enums form, and one enumeration node's value converted.
func BenchmarkStructureEnums(b *testing.B) {
	body := benchMachineBody(b)
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
