package jsonkind

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`[null, true, 1.5, "x", [1], {"a": 1}]`))
	dec.UseNumber()
	var vs []any
	if err := dec.Decode(&vs); err != nil {
		t.Fatal(err)
	}
	want := []string{"null", "a boolean", "a number", "a string", "an array", "an object"}
	for i, v := range vs {
		if got := Of(v); got != want[i] {
			t.Errorf("Of(%#v) = %q, want %q", v, got, want[i])
		}
	}
	if got := Of(int8(1)); got != "int8" {
		t.Errorf("Of(int8) = %q, want int8", got)
	}
}
