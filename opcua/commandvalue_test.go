package opcua

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/gopcua/opcua/ua"
)

func TestJSONToVariant(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		typeName string
		rank     int32
		want     any
		code     ErrorCode
	}{
		{"byte max", `255`, "Byte", -1, uint8(255), ""},
		{"byte over", `300`, "Byte", -1, nil, CodeOutOfRange},
		{"byte negative", `-1`, "Byte", -1, nil, CodeOutOfRange},
		{"sbyte min", `-128`, "SByte", -1, int8(-128), ""},
		{"sbyte under", `-129`, "SByte", -1, nil, CodeOutOfRange},
		{"int32 fraction", `1.5`, "Int32", -1, nil, CodeTypeMismatch},
		{"int32 integral float", `42.0`, "Int32", -1, int32(42), ""},
		{"int32 exponent", `4.2e1`, "Int32", -1, int32(42), ""},
		{"int32 tiny fraction", `1.0000000000000000000001`, "Int32", -1, nil, CodeTypeMismatch},
		{"uint64 max", `18446744073709551615`, "UInt64", -1, uint64(18446744073709551615), ""},
		{"uint64 over", `18446744073709551616`, "UInt64", -1, nil, CodeOutOfRange},
		{"int64 huge exponent", `1e999999999`, "Int64", -1, nil, CodeOutOfRange},
		{"float over", `3.5e38`, "Float", -1, nil, CodeOutOfRange},
		{"double over", `1e309`, "Double", -1, nil, CodeOutOfRange},
		{"double", `-0.25`, "Double", -1, -0.25, ""},
		{"string for number", `"1"`, "Double", -1, nil, CodeTypeMismatch},
		{"bool", `false`, "Boolean", -1, false, ""},
		{"bool from number", `0`, "Boolean", -1, nil, CodeTypeMismatch},
		{"string", `"x"`, "String", -1, "x", ""},
		{"null", `null`, "String", -1, nil, CodeTypeMismatch},
		{"array for scalar", `[1]`, "Double", -1, nil, CodeTypeMismatch},
		{"scalar for array", `1`, "Double", 1, nil, CodeTypeMismatch},
		{"array", `[1, 2]`, "Int16", 1, []int16{1, 2}, ""},
		{"any rank scalar", `1`, "Int16", -2, int16(1), ""},
		{"array element", `[1, 70000]`, "Int16", 1, nil, CodeOutOfRange},
		{"byte array", `[1, 2]`, "Byte", 1, []byte{1, 2}, ""},
		{"matrix", `[[1]]`, "Int32", 2, nil, CodeTypeMismatch},
		{"structure", `{}`, "ExtensionObject", -1, nil, CodeTypeMismatch},
		{"unresolved type", `1`, "", -1, nil, CodeTypeMismatch},
		{"empty", ``, "Double", -1, nil, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, cerr := JSONToVariant(json.RawMessage(tt.raw), tt.typeName, tt.rank, nil)
			if tt.code != "" {
				if cerr == nil || cerr.Code != tt.code {
					t.Fatalf("got %v, %v; want code %s", v, cerr, tt.code)
				}
				return
			}
			if cerr != nil {
				t.Fatalf("error %v", cerr)
			}
			got := v.Value()
			if b, ok := got.(ua.ByteArray); ok {
				got = []byte(b)
			}
			if !sameGoValue(got, tt.want) {
				t.Fatalf("got %T %v, want %T %v", got, got, tt.want, tt.want)
			}
		})
	}
}

// FuzzJSONToVariant: no input panics, and an integer accepted is exactly
// the number written, never rounded or wrapped.
func FuzzJSONToVariant(f *testing.F) {
	for _, s := range []string{`1`, `-1.5`, `300`, `1e3`, `"x"`, `[1,2]`, `18446744073709551615`, `1e-400`, `{"text":"a"}`} {
		f.Add(s)
	}
	types := []string{"Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double",
		"String", "DateTime", "Guid", "ByteString", "NodeId", "ExpandedNodeId", "LocalizedText", "QualifiedName", "StatusCode", "XmlElement"}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, typ := range types {
			for _, rank := range []int32{-1, 1, -2} {
				v, cerr := JSONToVariant(json.RawMessage(raw), typ, rank, nil)
				if cerr != nil || rank != -1 {
					continue
				}
				var got big.Rat
				switch x := v.Value().(type) {
				case int8:
					got.SetInt64(int64(x))
				case int16:
					got.SetInt64(int64(x))
				case int32:
					got.SetInt64(int64(x))
				case int64:
					got.SetInt64(x)
				case uint8:
					got.SetUint64(uint64(x))
				case uint16:
					got.SetUint64(uint64(x))
				case uint32:
					got.SetUint64(uint64(x))
				case uint64:
					got.SetUint64(x)
				default:
					continue
				}
				// Only integers accepted reach here: their exponent is
				// bounded, so the exact rational is small.
				var want big.Rat
				if _, ok := want.SetString(strings.TrimSpace(raw)); !ok {
					t.Fatalf("%s accepted as %s but is not a number", raw, typ)
				}
				if got.Cmp(&want) != 0 {
					t.Fatalf("%s as %s became %v", raw, typ, v.Value())
				}
			}
		}
	})
}
