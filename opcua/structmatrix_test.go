package opcua

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// testPanel holds a 2-D array of structures inside a structure.
var testPanel = &StructDef{Name: "Panel", TypeID: "ns=2;i=30", Fields: []FieldDef{
	{Name: "grid", Type: ua.TypeIDExtensionObject, Struct: testAxis, ValueRank: 2},
}}

// TestDecodeStructureMatrixOfStructures decodes a structure whose field is
// a 1x2 matrix of structures into a tag.Matrix of tag.Object, and names
// the element where a short body stops.
func TestDecodeStructureMatrixOfStructures(t *testing.T) {
	body := le(int32(2), int32(1), int32(2), 1.5, float32bits(0.25), 2.5, float32bits(0.5))
	got, err := DecodeStructure(testPanel, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	axis := func(x float64, y float32) tag.Object {
		return tag.Object{TypeName: "Axis", Fields: []tag.Field{{Name: "x", Value: x}, {Name: "y", Value: y}}}
	}
	want := tag.Matrix{Dimensions: []int{1, 2}, Elements: []any{axis(1.5, 0.25), axis(2.5, 0.5)}}
	if v, _ := got.Get("grid"); !reflect.DeepEqual(v, want) {
		t.Fatalf("grid:\n got %#v\nwant %#v", v, want)
	}

	_, err = DecodeStructure(testPanel, body[:len(body)-4], nil)
	var se *StructError
	if !errors.As(err, &se) || se.Type != "Panel" || se.Field != "grid[1].y" {
		t.Fatalf("short body: %v, want an error at grid[1].y", err)
	}
	_, err = DecodeStructure(testPanel, le(int32(2), int32(1000), int32(1000)), nil)
	if !errors.As(err, &se) || se.Field != "grid" || !errors.Is(err, errStructArrayLen) {
		t.Fatalf("1000x1000 elements in a 12-byte body: %v, want an array length error at grid", err)
	}
}
