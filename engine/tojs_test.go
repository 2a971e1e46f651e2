package engine

import (
	"math"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

func TestToJS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
		// check is a JS expression over p that must be true.
		check string
	}{
		{"nil", nil, `p === null`},
		{"bool", true, `p === true`},
		{"int8", int8(-8), `p === -8`},
		{"int32", int32(1000000), `p === 1000000 && String(p) === "1000000"`},
		{"int64 safe", int64(1 << 53), `p === 9007199254740992`},
		{"int64 beyond 2^53 is a number", int64(1<<53 + 1), `typeof p === "number" && p === 9007199254740992`},
		{"uint64 max is a number", uint64(math.MaxUint64), `typeof p === "number" && p === 18446744073709551615`},
		{"uint8", uint8(255), `p === 255`},
		{"float64", 42.5, `p === 42.5 && p * 2 === 85`},
		{"float32 shortest", float32(0.1), `p === 0.1`},
		{"float32 whole", float32(3), `p === 3`},
		{"float32 max", float32(math.MaxFloat32), `p === 3.4028235e38`},
		{"NaN", math.NaN(), `Number.isNaN(p)`},
		{"string", "0012", `p === "0012"`},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 7200)), `p === "2024-01-02T01:04:05.006Z"`},
		{"bytes", []byte{1, 2, 3}, `p === "AQID"`},
		{"localized text", tag.LocalizedText{Locale: "en", Text: "hot"}, `p === "hot"`},
		{"qualified name", tag.QualifiedName{NamespaceIndex: 3, Name: "Q"}, `p === "3:Q"`},
		{"node id", tag.NodeID("ns=2;i=7"), `p === "ns=2;i=7"`},
		{"guid", tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63"), `p === "72962B91-FA75-4AE6-8D28-B404DC7DAF63"`},
		{"xml", tag.XMLElement("<a/>"), `p === "<a/>"`},
		{"status code", tag.StatusCode(0x80000000), `p === 2147483648`},
		{"extension object", tag.ExtensionObject{TypeID: "i=1", Body: []byte{1}}, `p.type_id === "i=1" && p.body === "AQ=="`},
		{"float64 array is a real array", []float64{1, 2.5}, `Array.isArray(p) && p.length === 2 && p.map(x => x * 2).join() === "2,5" && p.filter(x => x > 1).length === 1`},
		{"int32 array", []int32{1, 2}, `Array.isArray(p) && p[1] === 2`},
		{"uint16 array by reflection", []uint16{7}, `Array.isArray(p) && p[0] === 7`},
		{"string array", []string{"a"}, `Array.isArray(p) && p[0] === "a"`},
		{"time array", []time.Time{time.Unix(0, 0)}, `p[0] === "1970-01-01T00:00:00Z"`},
		{"byte string array", [][]byte{{1}}, `p[0] === "AQ=="`},
		{"empty array", []bool{}, `Array.isArray(p) && p.length === 0`},
		{"mixed nested", []any{int64(1), []any{"x"}, map[string]any{"k": true}}, `p[0] === 1 && p[1][0] === "x" && p[2].k === true`},
		{"map is an object", map[string]any{"b": 1.5, "a": []any{nil}}, `Object.keys(p).join() === "a,b" && p.b === 1.5 && p.a[0] === null`},
		{"matrix", tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{1, 2, 3, 4}}, `JSON.stringify(p) === "[[1,2],[3,4]]"`},
		{"named type", namedFloat(2.5), `p === 2.5`},
		{"pointer", ptr("s"), `p === "s"`},
		{"string map", map[string]int{"a": 1}, `p.a === 1`},
		{"struct as its JSON", struct {
			A int `json:"a"`
		}{4}, `p.a === 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vm := goja.New()
			if err := vm.Set("p", toJS(vm, tt.v)); err != nil {
				t.Fatal(err)
			}
			got, err := vm.RunString(tt.check)
			if err != nil {
				t.Fatalf("%s: %v", tt.check, err)
			}
			if !got.ToBoolean() {
				s, _ := vm.RunString(`JSON.stringify(p) + " (" + typeof p + ")"`)
				t.Errorf("toJS(%#v): %s is false; p = %v", tt.v, tt.check, s)
			}
		})
	}
}

// TestToJSRoundTrip checks that a value passed to JS and returned untouched
// encodes as the Go value does, for the values JS can hold exactly.
func TestToJSRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
	}{
		{"double", 42.5},
		{"million", 1e6},
		{"float32 0.1", float32(0.1)},
		{"int32", int32(-7)},
		{"NaN", math.NaN()},
		{"string", "Köln \"x\""},
		{"bool", false},
		{"array", []float64{1, 2.25}},
		{"nested", map[string]any{"a": []any{"x", int64(2)}, "b": nil}},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{"bytes", []byte("abc")},
		{"matrix", tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{true, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, err := appendValue(nil, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendJS(nil, toJS(goja.New(), tt.v))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("through JS %s, from Go %s", got, want)
			}
		})
	}
}
