package jsonl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/jsonkind"
	"github.com/edgetag/edgetag/tag"
)

// inputLine is one line of `edgetag process` input.
type inputLine struct {
	Payload     json.RawMessage `json:"payload"`
	Meta        map[string]any  `json:"meta"`
	Type        string          `json:"type"`
	TimestampMs json.RawMessage `json:"timestamp_ms"`
}

// ParseInput parses one input line of `edgetag process`:
//
//	{"payload": <any JSON>, "meta": {"key": "value", ...}, "type": "UInt64", "timestamp_ms": 1733903611000}
//
// payload is required (null stands for a sample without a value); meta,
// type and timestamp_ms (integer Unix milliseconds: the sample's source
// timestamp) are optional; other keys are errors, so a misspelt key is
// caught. A line that is a JSON value other than an object (23.5, "on",
// [1, 2], true, null), as UMH's documentation writes its inputs, is the
// payload of a sample without meta.
//
// Without type, a JSON integer is an Int64 when it fits and a Double
// otherwise, any other number a Double, strings, booleans and null as they
// are; an array whose elements are all integers is []int64, all numbers
// []float64, all strings []string, all booleans []bool, anything else
// []any; an object is a map[string]any of the same conversions.
//
// With type, the payload is converted exactly to that OPC UA built-in type:
// Boolean; SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64 (a JSON
// integer or a string holding one, range-checked: UInt64
// 18446744073709551615 round-trips); Float and Double (a number, or one of
// the strings "NaN", "Infinity", "-Infinity"); String; DateTime (RFC 3339
// or integer Unix milliseconds); ByteString (standard base64); Guid, NodeId,
// ExpandedNodeId, XmlElement (strings); QualifiedName ("ns:name");
// LocalizedText (a string, or {"locale", "text"}); StatusCode (a number).
// An array payload with a type gives the typed slice ([]uint64, ...; Byte
// gives []byte, as an OPC UA source reports a Byte array).
//
// Meta values are strings (numbers and booleans are taken as their JSON
// text). opcua_source, opcua_endpoint, opcua_node_id (or UMH's opcua_attr_nodeid), opcua_tag_name,
// opcua_tag_group, opcua_tag_path and opcua_data_type fill the tag.Node
// (opcua_attr_browsename the browse name, else the tag name; group and
// path as UMH's OPC UA input sets them, see umhpath.go: the folder path,
// or the name and "" for a node at the root; the data type to type); opcua_source_timestamp
// and opcua_server_timestamp (RFC 3339 or integer ms) set the sample's
// SourceTime and ServerTime; opcua_status_code (Good, a status name such as
// BadTimeout, or a number) sets Status; codes looks status names up (nil
// takes only Good and numbers). Every other key goes to Node.Extra.
// ReceivedAt is left zero for the caller to set.
func ParseInput(line []byte, codes StatusCodes) (tag.Sample, error) {
	var in inputLine
	if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '{' {
		var v json.RawMessage
		if err := json.Unmarshal(t, &v); err != nil {
			return tag.Sample{}, fmt.Errorf("input line: %w", err)
		}
		line = bareInput(t)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return tag.Sample{}, fmt.Errorf("input line: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tag.Sample{}, errors.New("input line: unexpected data after the JSON object")
	}
	if in.Payload == nil {
		return tag.Sample{}, errors.New(`input line: "payload" is missing (use null for a sample without a value)`)
	}
	var raw any
	pdec := json.NewDecoder(bytes.NewReader(in.Payload))
	pdec.UseNumber()
	if err := pdec.Decode(&raw); err != nil {
		return tag.Sample{}, fmt.Errorf("input payload: %w", err)
	}
	s := tag.Sample{Node: &tag.Node{}}
	var err error
	if in.Type == "" {
		s.Value, err = untypedValue(raw)
	} else {
		s.Value, err = typedValue(raw, in.Type)
	}
	if err != nil {
		return tag.Sample{}, fmt.Errorf("input payload: %w", err)
	}
	if err := applyInputMeta(&s, in.Meta, in.Type, codes); err != nil {
		return tag.Sample{}, err
	}
	if in.TimestampMs != nil {
		ms, err := strconv.ParseInt(string(in.TimestampMs), 10, 64)
		if err != nil {
			return tag.Sample{}, fmt.Errorf("input timestamp_ms %s: want integer Unix milliseconds", quoteShort(string(in.TimestampMs)))
		}
		s.SourceTime = time.UnixMilli(ms).UTC()
	}
	return s, nil
}

// bareInput wraps a bare JSON value as the payload of an input line.
func bareInput(v []byte) []byte {
	b := make([]byte, 0, len(v)+13)
	b = append(b, `{"payload":`...)
	b = append(b, v...)
	return append(b, '}')
}

// applyInputMeta fills the node, timestamps and status of s from meta.
func applyInputMeta(s *tag.Sample, meta map[string]any, typ string, codes StatusCodes) error {
	n := s.Node
	n.DataType = typ
	browseName := ""
	var group, path string
	var hasGroup, hasPath bool
	var src tag.SourceInfo
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v string
		switch x := meta[k].(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		default:
			return fmt.Errorf("input meta %q: value must be a string, not %s", k, jsonkind.Of(x))
		}
		switch k {
		case engine.MetaSource:
			src.Name = v
		case engine.MetaEndpoint:
			src.Endpoint = v
		case engine.MetaNodeID, engine.MetaAttrNodeID:
			n.ID = v
		case engine.MetaTagName:
			n.Name = v
		case engine.MetaTagGroup:
			group, hasGroup = v, true
		case engine.MetaTagPath:
			path, hasPath = v, true
		case engine.MetaDataType:
			n.DataType = v
		case engine.MetaAttrBrowseName:
			browseName = v
		case engine.MetaSourceTimestamp, engine.MetaServerTimestamp:
			t, err := parseInputTime(v)
			if err != nil {
				return fmt.Errorf("input meta %q: %w", k, err)
			}
			if k == engine.MetaSourceTimestamp {
				s.SourceTime = t
			} else {
				s.ServerTime = t
			}
		case engine.MetaStatusCode:
			code, err := parseStatusCode(v, codes)
			if err != nil {
				return fmt.Errorf("input meta %q: %w", k, err)
			}
			s.Status = code
		default:
			if n.Extra == nil {
				n.Extra = make(map[string]string)
			}
			n.Extra[k] = v
		}
	}
	if src != (tag.SourceInfo{}) {
		n.Src = &src
	}
	n.BrowseName = n.Name
	if browseName != "" {
		n.BrowseName = browseName
	}
	g, err := nodeGroupFromMeta(n.Name, group, hasGroup, path, hasPath)
	if err != nil {
		return err
	}
	n.Group, n.Path = g, n.Name
	if g != "" {
		n.Path = g + "." + n.Name
	}
	return nil
}

// parseInputTime parses an input timestamp: RFC 3339 (full precision kept)
// or integer Unix milliseconds.
func parseInputTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %s is neither RFC 3339 nor integer milliseconds", quoteShort(v))
}

// StatusCodes returns the code of an OPC UA status name such as BadTimeout
// ("Status" prefix allowed); ok is false for an unknown name.
// opcua.StatusCodeByName is the one the command passes.
type StatusCodes func(name string) (code uint32, ok bool)

// parseStatusCode parses Good, a status name (BadTimeout), or a number
// (decimal or 0x hex).
func parseStatusCode(v string, codes StatusCodes) (uint32, error) {
	if v == "Good" {
		return 0, nil
	}
	if code, err := strconv.ParseUint(v, 0, 32); err == nil {
		return uint32(code), nil
	}
	if codes != nil {
		if code, ok := codes(v); ok {
			return code, nil
		}
	}
	return 0, fmt.Errorf("unknown status code %s (use Good, a name such as BadTimeout, or a number)", quoteShort(v))
}

// untypedValue converts a decoded JSON value without a type.
func untypedValue(raw any) (any, error) {
	switch x := raw.(type) {
	case json.Number:
		return jsonNumber(x)
	case []any:
		return untypedArray(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			v, err := untypedValue(e)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			m[k] = v
		}
		return m, nil
	}
	return raw, nil // string, bool, nil
}

// jsonNumber is an int64 when n is an integer that fits, else a float64.
func jsonNumber(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("number %s is out of range", n)
	}
	return f, nil
}

func untypedArray(a []any) (any, error) {
	vals := make([]any, len(a))
	ints, nums, strs, bools := len(a) > 0, len(a) > 0, len(a) > 0, len(a) > 0
	for i, e := range a {
		v, err := untypedValue(e)
		if err != nil {
			return nil, fmt.Errorf("index %d: %w", i, err)
		}
		vals[i] = v
		_, isInt := v.(int64)
		_, isFloat := v.(float64)
		_, isStr := v.(string)
		_, isBool := v.(bool)
		ints = ints && isInt
		nums = nums && (isInt || isFloat)
		strs = strs && isStr
		bools = bools && isBool
	}
	switch {
	case ints:
		return convertSlice(vals, func(v any) (int64, error) { return v.(int64), nil })
	case nums:
		return convertSlice(vals, func(v any) (float64, error) {
			if i, ok := v.(int64); ok {
				return float64(i), nil
			}
			return v.(float64), nil
		})
	case strs:
		return convertSlice(vals, func(v any) (string, error) { return v.(string), nil })
	case bools:
		return convertSlice(vals, func(v any) (bool, error) { return v.(bool), nil })
	}
	return vals, nil
}

func convertSlice[T any](a []any, conv func(any) (T, error)) ([]T, error) {
	out := make([]T, len(a))
	for i, e := range a {
		v, err := conv(e)
		if err != nil {
			return nil, fmt.Errorf("index %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// typedValue converts a decoded JSON value to the OPC UA built-in type typ.
func typedValue(raw any, typ string) (any, error) {
	arr, isArray := raw.([]any)
	if raw == nil {
		return nil, nil
	}
	switch typ {
	case "Boolean":
		return typed(raw, arr, isArray, inputBool)
	case "SByte":
		return typed(raw, arr, isArray, inputInt[int8](8))
	case "Byte":
		return typed(raw, arr, isArray, inputUint[uint8](8))
	case "Int16":
		return typed(raw, arr, isArray, inputInt[int16](16))
	case "UInt16":
		return typed(raw, arr, isArray, inputUint[uint16](16))
	case "Int32":
		return typed(raw, arr, isArray, inputInt[int32](32))
	case "UInt32":
		return typed(raw, arr, isArray, inputUint[uint32](32))
	case "Int64":
		return typed(raw, arr, isArray, inputInt[int64](64))
	case "UInt64":
		return typed(raw, arr, isArray, inputUint[uint64](64))
	case "Float":
		return typed(raw, arr, isArray, inputFloat32)
	case "Double":
		return typed(raw, arr, isArray, inputFloat64)
	case "String":
		return typed(raw, arr, isArray, inputString)
	case "DateTime":
		return typed(raw, arr, isArray, inputDateTime)
	case "ByteString":
		return typed(raw, arr, isArray, inputByteString)
	case "Guid":
		return typed(raw, arr, isArray, inputStringAs[tag.GUID])
	case "NodeId", "ExpandedNodeId":
		return typed(raw, arr, isArray, inputStringAs[tag.NodeID])
	case "XmlElement":
		return typed(raw, arr, isArray, inputStringAs[tag.XMLElement])
	case "QualifiedName":
		return typed(raw, arr, isArray, inputQualifiedName)
	case "LocalizedText":
		return typed(raw, arr, isArray, inputLocalizedText)
	case "StatusCode":
		return typed(raw, arr, isArray, func(v any) (tag.StatusCode, error) {
			u, err := inputUint[uint32](32)(v)
			return tag.StatusCode(u), err
		})
	}
	return nil, fmt.Errorf("unknown type %s (want one of Boolean, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, "+
		"Float, Double, String, DateTime, ByteString, Guid, NodeId, ExpandedNodeId, XmlElement, QualifiedName, LocalizedText, StatusCode)", quoteShort(typ))
}

// typed converts a scalar, or each element of an array, with conv.
func typed[T any](raw any, arr []any, isArray bool, conv func(any) (T, error)) (any, error) {
	if isArray {
		return convertSlice(arr, conv)
	}
	return conv(raw)
}

// numberText returns the text of a JSON number or of a string holding one.
func numberText(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		return string(x), nil
	case string:
		return x, nil
	}
	return "", fmt.Errorf("want a number, got %s", jsonkind.Of(v))
}

func inputBool(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("want true or false, got %s", jsonkind.Of(v))
}

func inputInt[T int8 | int16 | int32 | int64](bits int) func(any) (T, error) {
	return func(v any) (T, error) {
		s, err := numberText(v)
		if err != nil {
			return 0, err
		}
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer of %d bits: %w", quoteShort(s), bits, errors.Unwrap(err))
		}
		return T(i), nil
	}
}

func inputUint[T uint8 | uint16 | uint32 | uint64](bits int) func(any) (T, error) {
	return func(v any) (T, error) {
		s, err := numberText(v)
		if err != nil {
			return 0, err
		}
		u, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s is not an unsigned integer of %d bits: %w", quoteShort(s), bits, errors.Unwrap(err))
		}
		return T(u), nil
	}
}

func inputFloat(v any, bits int) (float64, error) {
	s, err := numberText(v)
	if err != nil {
		return 0, err
	}
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if !isDecimal(s) {
		return 0, fmt.Errorf("%s is not a number", quoteShort(s))
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range for a %d-bit float", quoteShort(s), bits)
	}
	return f, nil
}

func inputFloat32(v any) (float32, error) {
	f, err := inputFloat(v, 32)
	return float32(f), err
}

func inputFloat64(v any) (float64, error) { return inputFloat(v, 64) }

func inputString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("want a string, got %s", jsonkind.Of(v))
}

func inputStringAs[T ~string](v any) (T, error) {
	s, err := inputString(v)
	return T(s), err
}

func inputDateTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		return parseInputTime(x)
	case json.Number:
		return parseInputTime(string(x))
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 string or integer milliseconds, got %s", jsonkind.Of(v))
}

func inputByteString(v any) ([]byte, error) {
	s, err := inputString(v)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("ByteString is not standard base64: %w", err)
	}
	return b, nil
}

func inputQualifiedName(v any) (tag.QualifiedName, error) {
	s, err := inputString(v)
	if err != nil {
		return tag.QualifiedName{}, err
	}
	if ns, name, ok := strings.Cut(s, ":"); ok {
		if i, err := strconv.ParseUint(ns, 10, 16); err == nil {
			return tag.QualifiedName{NamespaceIndex: uint16(i), Name: name}, nil
		}
	}
	return tag.QualifiedName{Name: s}, nil
}

func inputLocalizedText(v any) (tag.LocalizedText, error) {
	switch x := v.(type) {
	case string:
		return tag.LocalizedText{Text: x}, nil
	case map[string]any:
		var lt tag.LocalizedText
		for k, e := range x {
			s, ok := e.(string)
			switch {
			case !ok:
				return lt, fmt.Errorf("LocalizedText %q must be a string", k)
			case k == "locale":
				lt.Locale = s
			case k == "text":
				lt.Text = s
			default:
				return lt, fmt.Errorf("LocalizedText has unknown key %q (want locale, text)", k)
			}
		}
		return lt, nil
	}
	return tag.LocalizedText{}, fmt.Errorf("want a string or {\"locale\", \"text\"}, got %s", jsonkind.Of(v))
}

// nodeGroupFromMeta returns the folder path (tag.Node.Group) of a node of
// name whose opcua_tag_group and opcua_tag_path are given as meta (an
// `edgetag process` input line), the inverse of what the engine
// derives from tag.Node.Group. Either may be absent. Values that UMH's rule cannot produce
// (a path that differs from the group, or a group other than the name with
// an empty path) are an error naming both.
func nodeGroupFromMeta(name, group string, hasGroup bool, path string, hasPath bool) (string, error) {
	switch {
	case hasPath && path != "":
		if hasGroup && group != path {
			return "", fmt.Errorf("input meta %s %q and %s %q disagree: UMH sets both to the folder path of the node", engine.MetaTagGroup, group, engine.MetaTagPath, path)
		}
		return path, nil
	case hasPath: // a node at the root
		if hasGroup && group != name && group != "" {
			return "", fmt.Errorf("input meta %s %q with an empty %s: UMH sets the group of a node at the root to its name %q", engine.MetaTagGroup, group, engine.MetaTagPath, name)
		}
		return "", nil
	case hasGroup && group != name:
		return group, nil
	}
	return "", nil
}
