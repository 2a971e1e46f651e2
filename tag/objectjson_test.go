package tag

import (
	"encoding/json"
	"testing"
)

// TestObjectMarshalJSON pins the JSON form of an Object: its fields in
// order, nested objects as objects, a repeated name once.
func TestObjectMarshalJSON(t *testing.T) {
	o := Object{TypeName: "Machine", Fields: []Field{
		{Name: "name", Value: "press"},
		{Name: "axis", Value: Object{TypeName: "Axis", Fields: []Field{{Name: "y", Value: 2.5}, {Name: "x", Value: int32(1)}}}},
		{Name: "tools", Value: []Object{{Fields: []Field{{Name: "id", Value: "T1"}}}}},
		{Name: "name", Value: "ignored"},
		{Name: "empty", Value: Object{}},
	}}
	got, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"press","axis":{"y":2.5,"x":1},"tools":[{"id":"T1"}],"empty":{}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
