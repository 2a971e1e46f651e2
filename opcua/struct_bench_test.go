package opcua

import (
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/tag"
)

// BenchmarkStructure measures the decode cost of one structured sample:
// Machine (15 fields: nested structure, array of two structures, arrays,
// enumerations, matrix, Variant) and the simulator's Batch as the legacy
// dictionary describes it, each from the ExtensionObject gopcua hands over
// (body kept by rawBody) to the tag.Object the engine gets, and the same
// through Value and the session's decode step, as a notification takes.
func BenchmarkStructure(b *testing.B) {
	machine := benchMachineBody(b)
	batch := benchBatchDef(b)
	batchBody := sim.BatchBody(12)
	for _, c := range []struct {
		name string
		def  *StructDef
		body []byte
	}{{"Machine", testMachine, machine}, {"Batch", batch, batchBody}} {
		b.Run(c.name+"/DecodeStructure", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				obj, err := DecodeStructure(c.def, c.body, nil)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = obj
			}
		})
		b.Run(c.name+"/Sample", func(b *testing.B) {
			enc := ua.NewStringNodeID(9, "bench."+c.name)
			if err := registerRawEncoding(enc); err != nil {
				b.Fatal(err)
			}
			def := *c.def
			def.EncodingID = FormatNodeID(enc)
			s := &structures{byEncoding: map[string]*StructDef{def.EncodingID: &def}, warned: map[string]bool{}}
			v := decoded(b, ua.MustVariant(&ua.ExtensionObject{EncodingMask: ua.ExtensionObjectBinary, TypeID: ua.NewExpandedNodeID(enc, "", 0), Value: &rawBody{body: c.body}}))
			b.ReportAllocs()
			for b.Loop() {
				val, _ := Value(v)
				if _, ok := s.decode(val).(tag.Object); !ok {
					b.Fatal("not decoded")
				}
			}
		})
	}
}

// benchMachineBody is the binary body of a typical Machine (every field
// set), for the structure benchmarks.
func benchMachineBody(b *testing.B) []byte {
	b.Helper()
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
	return body
}

// benchBatchDef is the simulator's Batch as its legacy dictionary
// describes it.
func benchBatchDef(b *testing.B) *StructDef {
	b.Helper()
	schema, err := parseBinarySchema([]byte(sim.LegacyDictionary))
	if err != nil {
		b.Fatal(err)
	}
	batch, err := newSchemaTypes(schema).structure("Batch", 0)
	if err != nil {
		b.Fatal(err)
	}
	return batch
}
