package opcua

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/ua"
)

// JSONToVariant converts a JSON value to the variant a node of the given
// built-in type (TypeName's names: "Double", "Byte", ...) and value rank
// takes, without rounding or wrapping anything:
//
//   - Boolean takes true/false only.
//   - Integers (SByte .. UInt64, StatusCode) take JSON numbers with an
//     integral value (42, 42.0, 4.2e1); 1.5 is CodeTypeMismatch, a value
//     outside the type's range (300 for a Byte) CodeOutOfRange.
//   - Float and Double take numbers; a finite value beyond the type's range
//     is CodeOutOfRange.
//   - String and XmlElement take strings; DateTime an RFC 3339 string;
//     ByteString a base64 string; Guid its 8-4-4-4-12 hex form; NodeId and
//     ExpandedNodeId the standard string form (nsu= resolved against
//     namespaces); LocalizedText a string or {"text": ..., "locale": ...};
//     QualifiedName "name" or "<ns>:name".
//   - ValueRank 1 (and 0, -3 for arrays) takes a JSON array of such
//     values; -1 a scalar; -2 (any) either; 2 and more nested arrays are not
//     supported (CodeTypeMismatch).
//
// Other types (Variant, DiagnosticInfo) are CodeTypeMismatch. Structures
// are not converted here: Write and Call encode them from the data type's
// definition (structVariant).
func JSONToVariant(raw json.RawMessage, typeName string, valueRank int32, namespaces []string) (*ua.Variant, *CommandError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, cmdErr(CodeInvalidRequest, "no value")
	}
	isArray := raw[0] == '['
	switch {
	case valueRank == -1 && isArray:
		return nil, cmdErr(CodeTypeMismatch, "the node holds a scalar %s, not an array", typeName)
	case (valueRank == 1 || valueRank == 0) && !isArray:
		return nil, cmdErr(CodeTypeMismatch, "the node holds an array of %s, not a scalar", typeName)
	case valueRank >= 2:
		return nil, cmdErr(CodeTypeMismatch, "writing %d-dimensional arrays is not supported", valueRank)
	}
	conv, ok := scalarConverters[typeName]
	if !ok {
		if typeName == "" {
			return nil, cmdErr(CodeTypeMismatch, "the node's data type could not be resolved to a built-in type")
		}
		return nil, cmdErr(CodeTypeMismatch, "writing values of type %s is not supported", typeName)
	}
	if !isArray {
		v, cerr := conv.one(raw, namespaces)
		if cerr != nil {
			return nil, cerr
		}
		return variant(v)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, cmdErr(CodeInvalidRequest, "array value: %v", err)
	}
	out := conv.slice(len(elems))
	for i, e := range elems {
		v, cerr := conv.one(e, namespaces)
		if cerr != nil {
			cerr.Msg = "element " + strconv.Itoa(i) + ": " + cerr.Msg
			return nil, cerr
		}
		conv.put(out, i, v)
	}
	if b, ok := out.([]uint8); ok {
		// gopcua sends a plain []byte as a ByteString.
		return variant(ua.ByteArray(b))
	}
	return variant(out)
}

func variant(v any) (*ua.Variant, *CommandError) {
	vr, err := ua.NewVariant(v)
	if err != nil {
		return nil, cmdErr(CodeTypeMismatch, "%v", err)
	}
	return vr, nil
}

// converter converts one JSON value to a Go value of one built-in type and
// builds typed slices of them.
type converter struct {
	one   func(raw json.RawMessage, namespaces []string) (any, *CommandError)
	slice func(n int) any
	put   func(s any, i int, v any)
}

func typed[T any](one func(raw json.RawMessage, namespaces []string) (any, *CommandError)) converter {
	return converter{
		one:   one,
		slice: func(n int) any { return make([]T, n) },
		put:   func(s any, i int, v any) { s.([]T)[i] = v.(T) },
	}
}

var scalarConverters = map[string]converter{
	"Boolean": typed[bool](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, mismatch(raw, "Boolean")
	}),
	"SByte":      typed[int8](signed(8, func(v int64) any { return int8(v) }, "SByte")),
	"Int16":      typed[int16](signed(16, func(v int64) any { return int16(v) }, "Int16")),
	"Int32":      typed[int32](signed(32, func(v int64) any { return int32(v) }, "Int32")),
	"Int64":      typed[int64](signed(64, func(v int64) any { return v }, "Int64")),
	"Byte":       typed[uint8](unsigned(8, func(v uint64) any { return uint8(v) }, "Byte")),
	"UInt16":     typed[uint16](unsigned(16, func(v uint64) any { return uint16(v) }, "UInt16")),
	"UInt32":     typed[uint32](unsigned(32, func(v uint64) any { return uint32(v) }, "UInt32")),
	"UInt64":     typed[uint64](unsigned(64, func(v uint64) any { return v }, "UInt64")),
	"StatusCode": typed[ua.StatusCode](unsigned(32, func(v uint64) any { return ua.StatusCode(v) }, "StatusCode")),
	"Float": typed[float32](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		f, cerr := float(raw, "Float")
		if cerr != nil {
			return nil, cerr
		}
		if math.Abs(f) > math.MaxFloat32 {
			return nil, cmdErr(CodeOutOfRange, "%s is outside the range of Float", raw)
		}
		return float32(f), nil
	}),
	"Double": typed[float64](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		f, cerr := float(raw, "Double")
		if cerr != nil {
			return nil, cerr
		}
		return f, nil
	}),
	"String": typed[string](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		return str(raw, "String")
	}),
	"XmlElement": typed[ua.XMLElement](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		s, cerr := str(raw, "XmlElement")
		if cerr != nil {
			return nil, cerr
		}
		return ua.XMLElement(s.(string)), nil
	}),
	"DateTime": typed[time.Time](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		s, cerr := str(raw, "DateTime (an RFC 3339 string)")
		if cerr != nil {
			return nil, cerr
		}
		t, err := time.Parse(time.RFC3339Nano, s.(string))
		if err != nil {
			return nil, cmdErr(CodeTypeMismatch, "%s is not an RFC 3339 date and time", raw)
		}
		return t.UTC(), nil
	}),
	"ByteString": typed[[]byte](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		s, cerr := str(raw, "ByteString (a base64 string)")
		if cerr != nil {
			return nil, cerr
		}
		b, err := base64.StdEncoding.DecodeString(s.(string))
		if err != nil {
			return nil, cmdErr(CodeTypeMismatch, "%s is not base64: %v", raw, err)
		}
		return b, nil
	}),
	"Guid": typed[*ua.GUID](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		s, cerr := str(raw, "Guid")
		if cerr != nil {
			return nil, cerr
		}
		if !validGUID(s.(string)) {
			return nil, cmdErr(CodeTypeMismatch, "%s is not a GUID (8-4-4-4-12 hex digits)", raw)
		}
		return ua.NewGUID(s.(string)), nil
	}),
	"NodeId": typed[*ua.NodeID](func(raw json.RawMessage, ns []string) (any, *CommandError) {
		s, cerr := str(raw, "NodeId")
		if cerr != nil {
			return nil, cerr
		}
		n, err := ParseNodeID(s.(string), ns)
		if err != nil {
			return nil, cmdErr(CodeTypeMismatch, "%s: %v", raw, err)
		}
		return n, nil
	}),
	"ExpandedNodeId": typed[*ua.ExpandedNodeID](func(raw json.RawMessage, ns []string) (any, *CommandError) {
		s, cerr := str(raw, "ExpandedNodeId")
		if cerr != nil {
			return nil, cerr
		}
		n, err := ParseNodeID(s.(string), ns)
		if err != nil {
			return nil, cmdErr(CodeTypeMismatch, "%s: %v", raw, err)
		}
		return ua.NewExpandedNodeID(n, "", 0), nil
	}),
	"LocalizedText": typed[*ua.LocalizedText](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		if len(raw) > 0 && raw[0] == '{' {
			var lt struct {
				Text   *string `json:"text"`
				Locale string  `json:"locale"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&lt); err != nil || lt.Text == nil {
				return nil, cmdErr(CodeTypeMismatch, "%s is not a LocalizedText ({\"text\": ..., \"locale\": ...})", raw)
			}
			return ua.NewLocalizedTextWithLocale(*lt.Text, lt.Locale), nil
		}
		s, cerr := str(raw, "LocalizedText")
		if cerr != nil {
			return nil, cerr
		}
		return ua.NewLocalizedText(s.(string)), nil
	}),
	"QualifiedName": typed[*ua.QualifiedName](func(raw json.RawMessage, _ []string) (any, *CommandError) {
		s, cerr := str(raw, "QualifiedName")
		if cerr != nil {
			return nil, cerr
		}
		name := s.(string)
		if ns, rest, ok := strings.Cut(name, ":"); ok {
			if n, err := strconv.ParseUint(ns, 10, 16); err == nil {
				return &ua.QualifiedName{NamespaceIndex: uint16(n), Name: rest}, nil
			}
		}
		return &ua.QualifiedName{Name: name}, nil
	}),
}

func mismatch(raw json.RawMessage, typeName string) *CommandError {
	return cmdErr(CodeTypeMismatch, "%s is not a %s", clip(raw), typeName)
}

// clip shortens a JSON value for an error message.
func clip(raw json.RawMessage) string {
	if len(raw) > 64 {
		return string(raw[:61]) + "..."
	}
	return string(raw)
}

func str(raw json.RawMessage, typeName string) (any, *CommandError) {
	if len(raw) == 0 || raw[0] != '"' {
		return nil, mismatch(raw, typeName)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, cmdErr(CodeInvalidRequest, "%s: %v", clip(raw), err)
	}
	return s, nil
}

// number returns raw as an exact rational when it is a JSON number.
func number(raw json.RawMessage, typeName string) (*big.Rat, *CommandError) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return nil, mismatch(raw, typeName)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, mismatch(raw, typeName)
	}
	// An exponent far beyond every type's range would make the exact
	// rational huge.
	if i := strings.IndexAny(string(n), "eE"); i >= 0 {
		if e, err := strconv.Atoi(strings.TrimPrefix(string(n[i+1:]), "+")); err != nil || e > 400 || e < -400 {
			return nil, cmdErr(CodeOutOfRange, "%s is outside the range of %s", clip(raw), typeName)
		}
	}
	r, ok := new(big.Rat).SetString(n.String())
	if !ok {
		return nil, mismatch(raw, typeName)
	}
	return r, nil
}

func signed(bits int, cast func(int64) any, typeName string) func(json.RawMessage, []string) (any, *CommandError) {
	lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits-1)), big.NewInt(1))
	return func(raw json.RawMessage, _ []string) (any, *CommandError) {
		i, cerr := integer(raw, typeName)
		if cerr != nil {
			return nil, cerr
		}
		if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
			return nil, cmdErr(CodeOutOfRange, "%s is outside the range of %s (%s to %s)", clip(raw), typeName, lo, hi)
		}
		return cast(i.Int64()), nil
	}
}

func unsigned(bits int, cast func(uint64) any, typeName string) func(json.RawMessage, []string) (any, *CommandError) {
	hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits)), big.NewInt(1))
	return func(raw json.RawMessage, _ []string) (any, *CommandError) {
		i, cerr := integer(raw, typeName)
		if cerr != nil {
			return nil, cerr
		}
		if i.Sign() < 0 || i.Cmp(hi) > 0 {
			return nil, cmdErr(CodeOutOfRange, "%s is outside the range of %s (0 to %s)", clip(raw), typeName, hi)
		}
		return cast(i.Uint64()), nil
	}
}

// integer returns raw as an integer; a number with a fraction is a type
// mismatch, never rounded.
func integer(raw json.RawMessage, typeName string) (*big.Int, *CommandError) {
	r, cerr := number(raw, typeName)
	if cerr != nil {
		return nil, cerr
	}
	if !r.IsInt() {
		return nil, cmdErr(CodeTypeMismatch, "%s is not an integer, which %s needs (no rounding)", clip(raw), typeName)
	}
	return r.Num(), nil
}

func float(raw json.RawMessage, typeName string) (float64, *CommandError) {
	if _, cerr := number(raw, typeName); cerr != nil {
		return 0, cerr
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if errors.Is(err, strconv.ErrRange) && !math.IsInf(f, 0) {
		return f, nil // underflow to a denormal or zero: the nearest value
	}
	if err != nil {
		return 0, cmdErr(CodeOutOfRange, "%s is outside the range of %s", clip(raw), typeName)
	}
	return f, nil
}
