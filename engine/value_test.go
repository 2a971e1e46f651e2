package engine

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/edgetag/edgetag/tag"
)

func TestAppendValue(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, `null`},
		{"true", true, `true`},
		{"false", false, `false`},
		{"int8 min", int8(math.MinInt8), `-128`},
		{"int16", int16(-300), `-300`},
		{"int32", int32(1000000), `1000000`},
		{"int64 min", int64(math.MinInt64), `-9223372036854775808`},
		{"int64 2^53+1", int64(1<<53 + 1), `9007199254740993`},
		{"int", 42, `42`},
		{"uint8", uint8(255), `255`},
		{"uint16", uint16(65535), `65535`},
		{"uint32", uint32(math.MaxUint32), `4294967295`},
		{"uint64 max", uint64(math.MaxUint64), `18446744073709551615`},
		{"uint", uint(7), `7`},
		{"float64 whole million", 1000000.0, `1000000`},
		{"float64 1e20", 1e20, `100000000000000000000`},
		{"float64 1e21 exponent", 1e21, `1e+21`},
		{"float64 tiny 1e-6 plain", 1e-6, `0.000001`},
		{"float64 tiny 1e-7 exponent", 1e-7, `1e-7`},
		{"float64 tiny negative", -1.5e-10, `-1.5e-10`},
		{"float64 huge", 1.7976931348623157e308, `1.7976931348623157e+308`},
		{"float64 0.1", 0.1, `0.1`},
		{"float64 42.5", 42.5, `42.5`},
		{"float64 negative zero", math.Copysign(0, -1), `0`},
		{"float64 NaN", math.NaN(), `"NaN"`},
		{"float64 +Inf", math.Inf(1), `"Infinity"`},
		{"float64 -Inf", math.Inf(-1), `"-Infinity"`},
		{"float32 0.1 shortest", float32(0.1), `0.1`},
		{"float32 16777216", float32(16777216), `16777216`},
		{"float32 max", float32(math.MaxFloat32), `3.4028235e+38`},
		{"float32 NaN", float32(math.NaN()), `"NaN"`},
		{"string", "0012", `"0012"`},
		{"string escapes", "a\"b\\c\n\r\t\b\f\x01\x1f", `"a\"b\\c\n\r\t\b\f\u0001\u001f"`},
		{"string invalid utf8", "a\xffb\xc3", "\"a\ufffdb\ufffd\""},
		{"string unicode", "Werk Köln ✓", `"Werk Köln ✓"`},
		{"string line separators", "a\u2028b\u2029", `"a\u2028b\u2029"`},
		{"time utc nano", ts, `"2024-01-02T02:04:05.123456789Z"`},
		{"time whole second", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `"2024-01-02T03:04:05Z"`},
		{"bytes", []byte("hi\x00"), `"aGkA"`},
		{"bytes empty", []byte{}, `""`},
		{"localized text", tag.LocalizedText{Locale: "de", Text: "Temperatur"}, `"Temperatur"`},
		{"qualified name ns0", tag.QualifiedName{Name: "Server"}, `"Server"`},
		{"qualified name ns2", tag.QualifiedName{NamespaceIndex: 2, Name: "Temp"}, `"2:Temp"`},
		{"node id", tag.NodeID("ns=2;s=Line1.Temp"), `"ns=2;s=Line1.Temp"`},
		{"guid", tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63"), `"72962B91-FA75-4AE6-8D28-B404DC7DAF63"`},
		{"xml element", tag.XMLElement("<a>1</a>"), `"<a>1</a>"`},
		{"status code", tag.StatusCode(0x80340000), `2150891520`},
		{"extension object", tag.ExtensionObject{TypeID: "ns=2;i=5001", Body: []byte{1, 2, 3}}, `{"type_id":"ns=2;i=5001","body":"AQID"}`},
		{"matrix 2x3", tag.Matrix{Dimensions: []int{2, 3}, Elements: []any{1, 2, 3, 4, 5, 6}}, `[[1,2,3],[4,5,6]]`},
		{"matrix 2x1x2", tag.Matrix{Dimensions: []int{2, 1, 2}, Elements: []any{1.5, "a", true, nil}}, `[[[1.5,"a"]],[[true,null]]]`},
		{"matrix no dims", tag.Matrix{Elements: []any{int32(1)}}, `[1]`},
		{"bools", []bool{true, false}, `[true,false]`},
		{"int8s", []int8{-1, 2}, `[-1,2]`},
		{"int16s", []int16{-1, 2}, `[-1,2]`},
		{"int32s", []int32{-1, 2}, `[-1,2]`},
		{"int64s", []int64{math.MaxInt64}, `[9223372036854775807]`},
		{"ints", []int{3}, `[3]`},
		{"uint16s", []uint16{1}, `[1]`},
		{"uint32s", []uint32{1}, `[1]`},
		{"uint64s", []uint64{math.MaxUint64, 0}, `[18446744073709551615,0]`},
		{"float32s", []float32{0.1, 1e6}, `[0.1,1000000]`},
		{"float64s", []float64{1.5, math.NaN(), math.Inf(-1)}, `[1.5,"NaN","-Infinity"]`},
		{"float64s empty", []float64{}, `[]`},
		{"float64s nil", []float64(nil), `null`},
		{"strings", []string{"a", "b"}, `["a","b"]`},
		{"times", []time.Time{time.Unix(0, 0)}, `["1970-01-01T00:00:00Z"]`},
		{"byte strings", [][]byte{{0xff}, nil}, `["/w==",""]`},
		{"any nested", []any{int64(1), []any{"x", nil}, map[string]any{"k": 2.5}}, `[1,["x",null],{"k":2.5}]`},
		{"map sorted", map[string]any{"b": 1, "a": []int32{1}, "c": map[string]any{"z": nil, "y": "s"}}, `{"a":[1],"b":1,"c":{"y":"s","z":null}}`},
		{"map nil", map[string]any(nil), `null`},
		{"localized texts by reflection", []tag.LocalizedText{{Text: "a"}, {Text: "b"}}, `["a","b"]`},
		{"node ids by reflection", []tag.NodeID{"i=85"}, `["i=85"]`},
		{"named float by reflection", namedFloat(1e6), `1000000`},
		{"string map by reflection", map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{"pointer by reflection", ptr(int16(5)), `5`},
		{"byte array by reflection", [2]byte{1, 2}, `"AQI="`},
		{"struct by encoding/json", struct {
			A int `json:"a"`
		}{7}, `{"a":7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendValue([]byte("x"), tt.v)
			if err != nil {
				t.Fatalf("appendValue(%#v) error: %v", tt.v, err)
			}
			if string(got[1:]) != tt.want {
				t.Errorf("appendValue(%#v)\n got %s\nwant %s", tt.v, got[1:], tt.want)
			}
			if !json.Valid(got[1:]) {
				t.Errorf("appendValue(%#v) = %s is not valid JSON", tt.v, got[1:])
			}
			if string(got[:1]) != "x" {
				t.Errorf("appendValue overwrote dst: %q", got)
			}
		})
	}
}

type namedFloat float64

func ptr[T any](v T) *T { return &v }

func TestAppendValueErrors(t *testing.T) {
	t.Parallel()
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	tests := []struct {
		name string
		v    any
	}{
		{"cycle", cyclic},
		{"matrix wrong count", tag.Matrix{Dimensions: []int{2, 2}, Elements: []any{1, 2, 3}}},
		{"matrix negative dim", tag.Matrix{Dimensions: []int{-1}, Elements: nil}},
		{"channel", make(chan int)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendValue([]byte("keep"), tt.v)
			if err == nil {
				t.Fatalf("appendValue(%s) = %s, want an error", tt.name, got)
			}
			if string(got) != "keep" {
				t.Errorf("on error dst = %q, want it unchanged", got)
			}
		})
	}
}
