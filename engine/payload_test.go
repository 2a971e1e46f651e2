package engine

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

func TestAppendPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		v        any    // the sample value
		js       string // the JS value user code produced; "" means unchanged
		datatype string
		ts       int64
		want     string // "" means an error
		errHas   string
	}{
		{name: "unchanged double", v: 42.5, ts: 1700000000123, want: `{"value":42.5,"timestamp_ms":1700000000123}`},
		{name: "unchanged uint64 max", v: uint64(math.MaxUint64), ts: 0, want: `{"value":18446744073709551615,"timestamp_ms":0}`},
		{name: "unchanged NaN", v: math.NaN(), ts: -5, want: `{"value":"NaN","timestamp_ms":-5}`},
		{name: "unchanged nil", v: nil, ts: 1, want: `{"value":null,"timestamp_ms":1}`},
		{name: "js integer", v: 42.5, js: `1000000`, ts: 1, want: `{"value":1000000,"timestamp_ms":1}`},
		{name: "js string stays a string", v: 1.0, js: `"0012"`, ts: 1, want: `{"value":"0012","timestamp_ms":1}`},
		{name: "js nested object", v: 1.0, js: `{a: [1, {b: null}]}`, ts: 1, want: `{"value":{"a":[1,{"b":null}]},"timestamp_ms":1}`},
		{name: "unchanged converted to string", v: 1e6, datatype: DatatypeString, ts: 1, want: `{"value":"1000000","timestamp_ms":1}`},
		{name: "js converted to number", v: 1.0, js: `"12.5"`, datatype: DatatypeNumber, ts: 1, want: `{"value":12.5,"timestamp_ms":1}`},
		{name: "js converted to bool", v: 1.0, js: `1`, datatype: DatatypeBool, ts: 1, want: `{"value":true,"timestamp_ms":1}`},
		{name: "other datatype leaves value", v: []int32{1}, datatype: "array", ts: 1, want: `{"value":[1],"timestamp_ms":1}`},
		{name: "impossible conversion", v: "abc", datatype: DatatypeNumber, ts: 1, errHas: `impossible conversion: string "abc" to number`},
		{name: "js impossible conversion", v: 1.0, js: `"abc"`, datatype: DatatypeNumber, ts: 1, errHas: "impossible conversion"},
		{name: "js function", v: 1.0, js: `() => 1`, ts: 1, errHas: "function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var js goja.Value
			if tt.js != "" {
				js = jsEval(t, tt.js)
			}
			got, err := appendPayload([]byte("x"), tt.v, js, tt.datatype, tt.ts, HardMaxPayloadBytes)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				if !strings.Contains(err.Error(), tt.errHas) || !strings.HasPrefix(err.Error(), "payload value: ") {
					t.Errorf("error %q, want it to contain %q", err, tt.errHas)
				}
				if string(got) != "x" {
					t.Errorf("on error dst = %q, want it unchanged", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if string(got[1:]) != tt.want {
				t.Errorf("\n got %s\nwant %s", got[1:], tt.want)
			}
			var p struct {
				Value       json.RawMessage `json:"value"`
				TimestampMs int64           `json:"timestamp_ms"`
			}
			if err := json.Unmarshal(got[1:], &p); err != nil || p.TimestampMs != tt.ts {
				t.Errorf("payload %s does not decode: %v", got[1:], err)
			}
		})
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	vm := goja.New()
	jsInt, _ := vm.RunString(`85`)
	jsFloat, _ := vm.RunString(`42.57`)
	jsObj, _ := vm.RunString(`({a: 1, b: [1.5, "x"], c: {d: true}})`)
	benches := []struct {
		name     string
		v        any
		js       goja.Value
		datatype string
	}{
		{"GoFloat64", 42.5, nil, ""},
		{"GoUint64", uint64(math.MaxUint64), nil, ""},
		{"GoString", "running", nil, ""},
		{"GoFloat64Array", []float64{1.5, 2.5, 3.5, 4.5}, nil, ""},
		{"GoToString", 42.5, nil, DatatypeString},
		{"JSInt", nil, jsInt, ""},
		{"JSFloat", nil, jsFloat, ""},
		{"JSObject", nil, jsObj, ""},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			dst := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = appendPayload(dst[:0], bb.v, bb.js, bb.datatype, 1700000000123, HardMaxPayloadBytes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendSubject(b *testing.B) {
	benches := []struct {
		name                                  string
		prefix, location, contract, vp, tname string
	}{
		{"Plain", "umh.v1", "enterprise.site.area.line", "_historian", "", "temp_1"},
		{"VirtualPath", "umh.v1", "enterprise.site.area.line", "_historian", "alarm", "speed_1"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			dst := make([]byte, 0, 128)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = appendSubject(dst[:0], bb.prefix, bb.location, bb.contract, bb.vp, bb.tname); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkToJS(b *testing.B) {
	vm := goja.New()
	benches := []struct {
		name string
		v    any
	}{
		{"Float64", 42.5},
		{"Int32", int32(100000)},
		{"Float32", float32(0.1)},
		{"String", "running"},
		{"Bool", true},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = toJS(vm, bb.v)
			}
		})
	}
}

// TestAppendPayloadKeepsExactIntegers checks that 64-bit integers beyond
// 2^53 inside arrays and objects keep their exact value when user code left
// them alone, and take the JS value when it changed them.
func TestAppendPayloadKeepsExactIntegers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
		js   string // over p, the JS form of v
		want string
	}{
		{"untouched uint64 array", []uint64{math.MaxUint64, 1}, `p`, `[18446744073709551615,1]`},
		{"one element changed", []uint64{math.MaxUint64, 1}, `(p[1] = 2, p)`, `[18446744073709551615,2]`},
		{"big element changed", []uint64{math.MaxUint64, 1}, `(p[0] = 5, p)`, `[5,1]`},
		{"pushed element", []int64{math.MinInt64 + 1}, `(p.push(7), p)`, `[-9223372036854775807,7]`},
		{"mapped copy keeps nothing it changed", []int64{1<<53 + 1, 3}, `p.map(x => x * 2)`, `[18014398509481984,6]`},
		{"filtered copy shifts indexes", []int64{1, 1<<53 + 1}, `p.filter(x => x > 1)`, `[9007199254740992]`},
		{"nested structure", map[string]any{"id": uint64(math.MaxUint64), "n": []any{int64(1<<62 + 1)}, "s": "x"}, `(p.s = "y", p)`, `{"id":18446744073709551615,"n":[4611686018427387905],"s":"y"}`},
		{"new object", []uint64{math.MaxUint64}, `({a: p[0]})`, `{"a":18446744073709552000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vm := goja.New()
			if err := vm.Set("p", toJS(vm, tt.v)); err != nil {
				t.Fatal(err)
			}
			js, err := vm.RunString(tt.js)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendPayload(nil, tt.v, js, "", 1, HardMaxPayloadBytes)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"value":` + tt.want + `,"timestamp_ms":1}`
			if string(got) != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}
