package jsonl

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

func TestParseInputValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want any
	}{
		{"integer is Int64", `{"payload": 42}`, int64(42)},
		{"bare number", `23.5`, 23.5},
		{"bare integer with blanks", "  7 \r", int64(7)},
		{"bare string", `"on"`, "on"},
		{"bare array", `[1, 2]`, []int64{1, 2}},
		{"bare null", `null`, nil},
		{"negative integer", `{"payload": -9223372036854775808}`, int64(math.MinInt64)},
		{"integer beyond int64 is Double", `{"payload": 18446744073709551615}`, 18446744073709551615.0},
		{"fraction is Double", `{"payload": 42.5}`, 42.5},
		{"whole with point is Double", `{"payload": 1.0}`, 1.0},
		{"exponent is Double", `{"payload": 1e6}`, 1e6},
		{"string stays", `{"payload": "0012"}`, "0012"},
		{"bool", `{"payload": true}`, true},
		{"null", `{"payload": null}`, nil},
		{"int array", `{"payload": [1, 2]}`, []int64{1, 2}},
		{"number array", `{"payload": [1, 2.5]}`, []float64{1, 2.5}},
		{"string array", `{"payload": ["a"]}`, []string{"a"}},
		{"bool array", `{"payload": [true]}`, []bool{true}},
		{"mixed array", `{"payload": [1, "a", null, [2]]}`, []any{int64(1), "a", nil, []int64{2}}},
		{"empty array", `{"payload": []}`, []any{}},
		{"object", `{"payload": {"a": 1, "b": {"c": [1.5]}}}`, map[string]any{"a": int64(1), "b": map[string]any{"c": []float64{1.5}}}},
		{"UInt64 max", `{"payload": 18446744073709551615, "type": "UInt64"}`, uint64(math.MaxUint64)},
		{"UInt64 from string", `{"payload": "18446744073709551615", "type": "UInt64"}`, uint64(math.MaxUint64)},
		{"Int64 min", `{"payload": -9223372036854775808, "type": "Int64"}`, int64(math.MinInt64)},
		{"SByte", `{"payload": -128, "type": "SByte"}`, int8(-128)},
		{"Byte", `{"payload": 255, "type": "Byte"}`, uint8(255)},
		{"Int16", `{"payload": -2, "type": "Int16"}`, int16(-2)},
		{"UInt16", `{"payload": 2, "type": "UInt16"}`, uint16(2)},
		{"Int32", `{"payload": 1000000, "type": "Int32"}`, int32(1000000)},
		{"UInt32", `{"payload": 4294967295, "type": "UInt32"}`, uint32(math.MaxUint32)},
		{"Float", `{"payload": 0.1, "type": "Float"}`, float32(0.1)},
		{"Double", `{"payload": 42, "type": "Double"}`, 42.0},
		{"Double NaN", `{"payload": "NaN", "type": "Double"}`, math.NaN()},
		{"Double -Infinity", `{"payload": "-Infinity", "type": "Double"}`, math.Inf(-1)},
		{"Float Infinity", `{"payload": "Infinity", "type": "Float"}`, float32(math.Inf(1))},
		{"Boolean", `{"payload": false, "type": "Boolean"}`, false},
		{"String", `{"payload": "x", "type": "String"}`, "x"},
		{"DateTime RFC 3339", `{"payload": "2024-01-02T03:04:05.123456789+02:00", "type": "DateTime"}`, time.Date(2024, 1, 2, 1, 4, 5, 123456789, time.UTC)},
		{"DateTime ms", `{"payload": 1700000000123, "type": "DateTime"}`, time.UnixMilli(1700000000123).UTC()},
		{"ByteString", `{"payload": "AQID", "type": "ByteString"}`, []byte{1, 2, 3}},
		{"Guid", `{"payload": "72962B91-FA75-4AE6-8D28-B404DC7DAF63", "type": "Guid"}`, tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")},
		{"NodeId", `{"payload": "ns=2;s=X", "type": "NodeId"}`, tag.NodeID("ns=2;s=X")},
		{"XmlElement", `{"payload": "<a/>", "type": "XmlElement"}`, tag.XMLElement("<a/>")},
		{"QualifiedName", `{"payload": "2:Temp", "type": "QualifiedName"}`, tag.QualifiedName{NamespaceIndex: 2, Name: "Temp"}},
		{"LocalizedText string", `{"payload": "hot", "type": "LocalizedText"}`, tag.LocalizedText{Text: "hot"}},
		{"LocalizedText object", `{"payload": {"locale": "de", "text": "heiß"}, "type": "LocalizedText"}`, tag.LocalizedText{Locale: "de", Text: "heiß"}},
		{"StatusCode", `{"payload": 2147483648, "type": "StatusCode"}`, tag.StatusCode(0x80000000)},
		{"typed null", `{"payload": null, "type": "Double"}`, nil},
		{"UInt64 array", `{"payload": [0, 18446744073709551615], "type": "UInt64"}`, []uint64{0, math.MaxUint64}},
		{"Byte array", `{"payload": [1, 2], "type": "Byte"}`, []byte{1, 2}},
		{"Float array", `{"payload": [0.1, 2], "type": "Float"}`, []float32{0.1, 2}},
		{"DateTime array", `{"payload": ["1970-01-01T00:00:00Z"], "type": "DateTime"}`, []time.Time{time.Unix(0, 0).UTC()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseInput([]byte(tt.line), opcua.StatusCodeByName)
			if err != nil {
				t.Fatalf("ParseInput(%s): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, s.Value, cmp.Comparer(func(a, b float64) bool {
				return a == b || math.IsNaN(a) && math.IsNaN(b)
			}), cmp.Comparer(func(a, b float32) bool {
				return a == b || a != a && b != b
			})); diff != "" {
				t.Errorf("ParseInput(%s) value (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestParseInputMeta(t *testing.T) {
	t.Parallel()
	line := `{"payload": 1.5, "type": "Double", "meta": {
		"opcua_source": "press", "opcua_endpoint": "opc.tcp://plc:4840", "opcua_node_id": "ns=2;s=Line1.Temp",
		"opcua_tag_name": "Temp", "opcua_tag_group": "Line1.Oven", "opcua_data_type": "Float",
		"opcua_source_timestamp": "2024-01-02T03:04:05.123456789Z", "opcua_server_timestamp": "1700000000123",
		"opcua_status_code": "BadTimeout", "location_path": "acme.berlin", "shift": 3, "ok": true}}`
	s, err := ParseInput([]byte(line), opcua.StatusCodeByName)
	if err != nil {
		t.Fatal(err)
	}
	want := tag.Sample{
		Node: &tag.Node{
			Src: &tag.SourceInfo{Name: "press", Endpoint: "opc.tcp://plc:4840"}, ID: "ns=2;s=Line1.Temp",
			BrowseName: "Temp", Name: "Temp", Group: "Line1.Oven", Path: "Line1.Oven.Temp", DataType: "Float",
			Extra: map[string]string{"location_path": "acme.berlin", "shift": "3", "ok": "true"},
		},
		Value:      1.5,
		SourceTime: time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC),
		ServerTime: time.UnixMilli(1700000000123).UTC(),
		Status:     0x800A0000,
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("ParseInput (-want +got):\n%s", diff)
	}
}

func TestParseInputNodeDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want tag.Node
	}{
		{"no meta", `{"payload": 1}`, tag.Node{}},
		{"type is the data type", `{"payload": 1, "type": "UInt16"}`, tag.Node{DataType: "UInt16"}},
		{"path from name", `{"payload": 1, "meta": {"opcua_tag_name": "T"}}`, tag.Node{Name: "T", BrowseName: "T", Path: "T"}},
		{"explicit path and browse name", `{"payload": 1, "meta": {"opcua_tag_name": "T_1", "opcua_attr_browsename": "T 1", "opcua_tag_path": "x"}}`,
			tag.Node{Name: "T_1", BrowseName: "T 1", Group: "x", Path: "x.T_1"}},
		{"group and path as UMH sets them", `{"payload": 1, "meta": {"opcua_tag_name": "T", "opcua_tag_group": "a.b", "opcua_tag_path": "a.b"}}`,
			tag.Node{Name: "T", BrowseName: "T", Group: "a.b", Path: "a.b.T"}},
		{"node at the root as UMH sets it", `{"payload": 1, "meta": {"opcua_tag_name": "T", "opcua_tag_group": "T", "opcua_tag_path": ""}}`,
			tag.Node{Name: "T", BrowseName: "T", Path: "T"}},
		{"group alone equal to the name", `{"payload": 1, "meta": {"opcua_tag_name": "T", "opcua_tag_group": "T"}}`,
			tag.Node{Name: "T", BrowseName: "T", Path: "T"}},
		{"status by number", `{"payload": 1, "meta": {"opcua_status_code": "0x80000000", "opcua_tag_name": "T"}}`, tag.Node{Name: "T", BrowseName: "T", Path: "T"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseInput([]byte(tt.line), opcua.StatusCodeByName)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, s.Node); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseInputErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want string
	}{
		{"not JSON", `hello`, "invalid character"},
		{"truncated", `{"payload": 1`, "unexpected EOF"},
		{"missing payload", `{"meta": {}}`, `"payload" is missing`},
		{"misspelt key", `{"payload": 1, "typ": "Double"}`, `unknown field "typ"`},
		{"trailing data", `{"payload": 1} {"payload": 2}`, "after the JSON object"},
		{"meta not an object", `{"payload": 1, "meta": []}`, "cannot unmarshal array"},
		{"meta value object", `{"payload": 1, "meta": {"a": {}}}`, `meta "a": value must be a string, not an object`},
		{"meta value null", `{"payload": 1, "meta": {"a": null}}`, `meta "a": value must be a string, not null`},
		{"bad source timestamp", `{"payload": 1, "meta": {"opcua_source_timestamp": "yesterday"}}`, "opcua_source_timestamp"},
		{"bad status", `{"payload": 1, "meta": {"opcua_status_code": "Meh"}}`, "unknown status code"},
		{"unknown type", `{"payload": 1, "type": "Decimal"}`, `unknown type "Decimal"`},
		{"bare value and more", `1 2`, "after top-level value"},
		{"timestamp_ms not an integer", `{"payload": 1, "timestamp_ms": 1.5}`, `timestamp_ms "1.5": want integer Unix milliseconds`},
		{"timestamp_ms a string", `{"payload": 1, "timestamp_ms": "x"}`, "timestamp_ms"},
		{"group and path disagree", `{"payload": 1, "meta": {"opcua_tag_name": "T", "opcua_tag_group": "a", "opcua_tag_path": "b"}}`, `opcua_tag_group "a" and opcua_tag_path "b" disagree`},
		{"root path with another group", `{"payload": 1, "meta": {"opcua_tag_name": "T", "opcua_tag_group": "a", "opcua_tag_path": ""}}`, `group of a node at the root to its name "T"`},
		{"UInt64 overflow", `{"payload": 18446744073709551616, "type": "UInt64"}`, "value out of range"},
		{"UInt64 negative", `{"payload": -1, "type": "UInt64"}`, "invalid syntax"},
		{"Byte overflow", `{"payload": 256, "type": "Byte"}`, "out of range"},
		{"Int32 fraction", `{"payload": 1.5, "type": "Int32"}`, "not an integer"},
		{"Int32 from bool", `{"payload": true, "type": "Int32"}`, "want a number, got a boolean"},
		{"Float overflow", `{"payload": 1e39, "type": "Float"}`, "out of range"},
		{"Double from text", `{"payload": "abc", "type": "Double"}`, "not a number"},
		{"Boolean from number", `{"payload": 1, "type": "Boolean"}`, "want true or false"},
		{"String from number", `{"payload": 1, "type": "String"}`, "want a string"},
		{"DateTime invalid", `{"payload": "2024-13-01T00:00:00Z", "type": "DateTime"}`, "neither RFC 3339"},
		{"ByteString not base64", `{"payload": "***", "type": "ByteString"}`, "base64"},
		{"array element", `{"payload": [1, "x"], "type": "Int16"}`, "index 1"},
		{"untyped overflow", `{"payload": 1e400}`, "out of range"},
		{"LocalizedText unknown key", `{"payload": {"lang": "x"}, "type": "LocalizedText"}`, `unknown key "lang"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseInput([]byte(tt.line), opcua.StatusCodeByName)
			if err == nil {
				t.Fatalf("ParseInput(%s) succeeded, want an error", tt.line)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "input ") {
				t.Errorf("ParseInput(%s) error %q, want it to contain %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestParseInputTimestampMs(t *testing.T) {
	t.Parallel()
	s, err := ParseInput([]byte(`{"payload": 1, "timestamp_ms": 1733903611000, "meta": {"opcua_server_timestamp": "1"}}`), opcua.StatusCodeByName)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(1733903611000).UTC(); !s.SourceTime.Equal(want) || s.ServerTime.UnixMilli() != 1 {
		t.Errorf("source time %v, server time %v; want %v and 1 ms", s.SourceTime, s.ServerTime, want)
	}
}
