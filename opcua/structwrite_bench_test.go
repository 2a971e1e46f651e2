package opcua

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkStructureEncode measures the cost of one structure write's
// conversion: EncodeStructure from a decoded JSON object to the binary
// body, and structVariant, what a write does per value (JSON parsing,
// encoding, the ExtensionObject and the body decoded again for the
// reply and the verify), for Machine (14 fields set: nested structure,
// array of two structures, arrays, enumerations by name and number) and the
// simulator's legacy-dictionary Batch (optional field, union, array of
// nested structures).
func BenchmarkStructureEncode(b *testing.B) {
	batch := benchBatchDef(b)
	batch.EncodingID = "ns=1;s=Types.Batch.DefaultBinary"
	// Machine without its matrix field, which JSON cannot give.
	machine := *testMachine
	machine.Fields = machine.Fields[:len(machine.Fields)-2]
	machine.Fields = append(machine.Fields, testMachine.Fields[len(testMachine.Fields)-1])
	const machineJSON = `{"name":"press 1","mode":"Manual","counter":1152921504606846976,"axis":{"x":1.5,"y":0.25},
		"tools":[{"id":"T1","wear":0.1},{"id":"T2","wear":0.2}],"temps":[20.5,21,22.5,23],"modes":[0,"Auto",2],
		"at":"2026-03-01T12:00:00Z","node":"ns=3;s=Line1.Press","text":{"text":"läuft","locale":"de"},"raw":"AQID",
		"ok":true,"status":0,"any":1.5}`
	for _, c := range []struct {
		name string
		def  *StructDef
		json string
	}{{"Machine", &machine, machineJSON}, {"Batch", batch, recipeJSON}} {
		var obj map[string]any
		dec := json.NewDecoder(strings.NewReader(c.json))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/EncodeStructure", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				body, err := EncodeStructure(c.def, obj)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = body
			}
		})
		b.Run(c.name+"/WriteValue", func(b *testing.B) {
			l := &liveSession{}
			l.structs = newCommandStructs(l)
			raw := json.RawMessage(c.json)
			b.ReportAllocs()
			for b.Loop() {
				sw, cerr := l.structVariant(raw, c.def, -1)
				if cerr != nil {
					b.Fatal(cerr)
				}
				sinkValue = sw
			}
		})
	}
}
