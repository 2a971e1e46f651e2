package engine

import "testing"

func TestMetaString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expr   string
		want   string
		wantOK bool
	}{
		{"string", `"line4"`, "line4", true},
		{"empty string", `""`, "", true},
		{"numeric string stays", `"0012"`, "0012", true},
		{"million", `1000000`, "1000000", true},
		{"point one", `0.1`, "0.1", true},
		{"negative", `-2.5`, "-2.5", true},
		{"huge", `1e21`, "1e+21", true},
		{"tiny", `1e-7`, "1e-7", true},
		{"NaN", `NaN`, "NaN", true},
		{"Infinity", `1/0`, "Infinity", true},
		{"timestamp number", `1700000000123`, "1700000000123", true},
		{"bigint", `123n`, "123", true},
		{"true", `true`, "true", true},
		{"false", `false`, "false", true},
		{"null removes", `null`, "", false},
		{"undefined removes", `undefined`, "", false},
		{"object as JSON", `{a: 1, b: [true, "x"]}`, `{"a":1,"b":[true,"x"]}`, true},
		{"array as JSON", `[1, 2.5]`, `[1,2.5]`, true},
		{"date as RFC 3339", `new Date(1700000000123)`, "2023-11-14T22:13:20.123Z", true},
		{"function falls back to String()", `function f() { return 1 }`, "function f() { return 1 }", true},
		{"symbol falls back to String()", `Symbol("s")`, "Symbol(s)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := metaString(jsEval(t, tt.expr))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("metaString(%s) = %q, %v; want %q, %v", tt.expr, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
