package engine

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

func TestByteArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dataType string
		value    any
		wantJSON string
		wantJS   string // JS expression over p that must be true
	}{
		{"Byte array is numbers", "Byte", []byte{1, 2, 255}, `[1,2,255]`, `Array.isArray(p) && p.length === 3 && p[2] === 255`},
		{"empty Byte array", "Byte", []byte{}, `[]`, `Array.isArray(p) && p.length === 0`},
		{"ByteString stays base64", "ByteString", []byte{1, 2, 255}, `"AQL/"`, `p === "AQL/"`},
		{"unknown data type stays base64", "", []byte{1}, `"AQ=="`, `p === "AQ=="`},
		{"Byte scalar unchanged", "Byte", uint8(7), `7`, `p === 7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := sampleValue(&tag.Sample{Node: &tag.Node{DataType: tt.dataType}, Value: tt.value})
			got, err := appendValue(nil, v)
			if err != nil || string(got) != tt.wantJSON {
				t.Errorf("appendValue = %s, %v; want %s", got, err, tt.wantJSON)
			}
			vm := goja.New()
			if err := vm.Set("p", toJS(vm, v)); err != nil {
				t.Fatal(err)
			}
			if ok, err := vm.RunString(tt.wantJS); err != nil || !ok.ToBoolean() {
				t.Errorf("%s is not true (%v)", tt.wantJS, err)
			}
		})
	}
	if v := sampleValue(&tag.Sample{Value: []byte{1}}); v == nil {
		t.Error("sampleValue without a node lost the value")
	}
}
