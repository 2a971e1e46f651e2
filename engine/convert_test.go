package engine

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/edgetag/edgetag/tag"
)

func TestAppendGoAs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		v        any
		datatype string
		want     string // "" means an impossible conversion
	}{
		{"number from double", 12.5, DatatypeNumber, `12.5`},
		{"number from uint64 max", uint64(math.MaxUint64), DatatypeNumber, `18446744073709551615`},
		{"number from NaN stays", math.NaN(), DatatypeNumber, `"NaN"`},
		{"number from string", "12.5", DatatypeNumber, `12.5`},
		{"number from padded string", " -3 ", DatatypeNumber, `-3`},
		{"number from leading zeros", "0012", DatatypeNumber, `12`},
		{"number from plus sign", "+7", DatatypeNumber, `7`},
		{"number from exponent", "1e3", DatatypeNumber, `1000`},
		{"number from point five", ".5", DatatypeNumber, `0.5`},
		{"number from uint64 max string", "18446744073709551615", DatatypeNumber, `18446744073709551615`},
		{"number from int64 min string", "-9223372036854775808", DatatypeNumber, `-9223372036854775808`},
		{"number from too big integer", "18446744073709551616", DatatypeNumber, `18446744073709552000`},
		{"number from true", true, DatatypeNumber, `1`},
		{"number from false", false, DatatypeNumber, `0`},
		{"number from datetime", time.UnixMilli(1700000000123).UTC(), DatatypeNumber, `1700000000123`},
		{"number from status code", tag.StatusCode(5), DatatypeNumber, `5`},
		{"number from localized text", tag.LocalizedText{Text: "4"}, DatatypeNumber, `4`},
		{"number from abc", "abc", DatatypeNumber, ""},
		{"number from empty", "", DatatypeNumber, ""},
		{"number from NaN string", "NaN", DatatypeNumber, ""},
		{"number from hex", "0x1A", DatatypeNumber, ""},
		{"number from 1e400", "1e400", DatatypeNumber, ""},
		{"number from dot", ".", DatatypeNumber, ""},
		{"number from exponent only", "1e", DatatypeNumber, ""},
		{"number from nil", nil, DatatypeNumber, ""},
		{"number from array", []float64{1}, DatatypeNumber, ""},
		{"number from bytes", []byte("1"), DatatypeNumber, ""},
		{"string from int", int32(-5), DatatypeString, `"-5"`},
		{"string from uint64 max", uint64(math.MaxUint64), DatatypeString, `"18446744073709551615"`},
		{"string from million", 1e6, DatatypeString, `"1000000"`},
		{"string from float32", float32(0.1), DatatypeString, `"0.1"`},
		{"string from NaN", math.NaN(), DatatypeString, `"NaN"`},
		{"string from -Inf", math.Inf(-1), DatatypeString, `"-Infinity"`},
		{"string from bool", true, DatatypeString, `"true"`},
		{"string from string", "x", DatatypeString, `"x"`},
		{"string from time", time.Unix(0, 5e6), DatatypeString, `"1970-01-01T00:00:00.005Z"`},
		{"string from bytes", []byte{1}, DatatypeString, `"AQ=="`},
		{"string from node id", tag.NodeID("i=85"), DatatypeString, `"i=85"`},
		{"string from status code", tag.StatusCode(7), DatatypeString, `"7"`},
		{"string from array", []int32{1, 2}, DatatypeString, `"[1,2]"`},
		{"string from map", map[string]any{"a": "b"}, DatatypeString, `"{\"a\":\"b\"}"`},
		{"string from nil", nil, DatatypeString, ""},
		{"bool from bool", false, DatatypeBool, `false`},
		{"bool from 1", int64(1), DatatypeBool, `true`},
		{"bool from 0.0", 0.0, DatatypeBool, `false`},
		{"bool from 2", uint8(2), DatatypeBool, ""},
		{"bool from NaN", math.NaN(), DatatypeBool, ""},
		{"bool from true", "true", DatatypeBool, `true`},
		{"bool from TRUE padded", " TRUE ", DatatypeBool, `true`},
		{"bool from False", "False", DatatypeBool, `false`},
		{"bool from string 1", "1", DatatypeBool, `true`},
		{"bool from string 0", "0", DatatypeBool, `false`},
		{"bool from yes", "yes", DatatypeBool, ""},
		{"bool from empty", "", DatatypeBool, ""},
		{"bool from nil", nil, DatatypeBool, ""},
		{"bool from array", []bool{true}, DatatypeBool, ""},
		{"other datatype leaves the value", []float64{1, 2}, "array", `[1,2]`},
		{"case matters", "12", "Number", `"12"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendGoAs([]byte("x"), tt.v, tt.datatype)
			checkConverted(t, got, err, tt.want)
		})
	}
}

func TestAppendJSAs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expr     string
		datatype string
		want     string // "" means an impossible conversion
	}{
		{"number from int", `7`, DatatypeNumber, `7`},
		{"number from float", `7.25`, DatatypeNumber, `7.25`},
		{"number from bigint", `2n ** 64n - 1n`, DatatypeNumber, `18446744073709551615`},
		{"number from string", `"12.5"`, DatatypeNumber, `12.5`},
		{"number from leading zeros", `"0012"`, DatatypeNumber, `12`},
		{"number from true", `true`, DatatypeNumber, `1`},
		{"number from date", `new Date(1700000000123)`, DatatypeNumber, `1700000000123`},
		{"number from abc", `"abc"`, DatatypeNumber, ""},
		{"number from null", `null`, DatatypeNumber, ""},
		{"number from undefined", `undefined`, DatatypeNumber, ""},
		{"number from object", `({})`, DatatypeNumber, ""},
		{"number from array", `[1]`, DatatypeNumber, ""},
		{"string from int", `1000000`, DatatypeString, `"1000000"`},
		{"string from float", `0.1`, DatatypeString, `"0.1"`},
		{"string from huge", `1e21`, DatatypeString, `"1e+21"`},
		{"string from NaN", `NaN`, DatatypeString, `"NaN"`},
		{"string from bigint", `10n`, DatatypeString, `"10"`},
		{"string from bool", `false`, DatatypeString, `"false"`},
		{"string from date", `new Date(0)`, DatatypeString, `"1970-01-01T00:00:00Z"`},
		{"string from array", `[1, "a"]`, DatatypeString, `"[1,\"a\"]"`},
		{"string from object", `({a: 1})`, DatatypeString, `"{\"a\":1}"`},
		{"string from null", `null`, DatatypeString, ""},
		{"string from function", `() => 1`, DatatypeString, ""},
		{"string from symbol", `Symbol()`, DatatypeString, ""},
		{"bool from bool", `true`, DatatypeBool, `true`},
		{"bool from 0", `0`, DatatypeBool, `false`},
		{"bool from 1.0", `1.0`, DatatypeBool, `true`},
		{"bool from 0.5", `0.5`, DatatypeBool, ""},
		{"bool from string false", `"false"`, DatatypeBool, `false`},
		{"bool from string on", `"on"`, DatatypeBool, ""},
		{"bool from null", `null`, DatatypeBool, ""},
		{"other datatype leaves the value", `[1, 2]`, "array", `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendJSAs([]byte("x"), jsEval(t, tt.expr), tt.datatype)
			checkConverted(t, got, err, tt.want)
		})
	}
}

func checkConverted(t *testing.T, got []byte, err error, want string) {
	t.Helper()
	if want == "" {
		if err == nil {
			t.Fatalf("got %s, want an impossible conversion", got[1:])
		}
		if !errors.Is(err, errConversion) && !errors.Is(err, errNotData) {
			t.Errorf("error %v wraps neither errConversion nor errNotData", err)
		}
		if string(got) != "x" {
			t.Errorf("on error dst = %q, want it unchanged", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("error: %v", err)
	}
	if string(got[1:]) != want {
		t.Errorf("\n got %s\nwant %s", got[1:], want)
	}
}
