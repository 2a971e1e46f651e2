package opcua

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

func TestValue(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	guid := ua.NewGUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")
	tests := []struct {
		name     string
		in       *ua.Variant
		want     any
		wantType string
		noWire   bool // gopcua cannot encode it
	}{
		{name: "nil", in: nil, want: nil, wantType: ""},
		{name: "null", in: ua.MustVariant(nil), want: nil, wantType: ""},
		{name: "Boolean", in: ua.MustVariant(true), want: true, wantType: "Boolean"},
		{name: "SByte", in: ua.MustVariant(int8(-5)), want: int8(-5), wantType: "SByte"},
		{name: "Byte", in: ua.MustVariant(uint8(200)), want: uint8(200), wantType: "Byte"},
		{name: "Int16", in: ua.MustVariant(int16(-300)), want: int16(-300), wantType: "Int16"},
		{name: "UInt16", in: ua.MustVariant(uint16(60000)), want: uint16(60000), wantType: "UInt16"},
		{name: "Int32", in: ua.MustVariant(int32(-70000)), want: int32(-70000), wantType: "Int32"},
		{name: "UInt32", in: ua.MustVariant(uint32(4000000000)), want: uint32(4000000000), wantType: "UInt32"},
		{name: "Int64", in: ua.MustVariant(int64(math.MinInt64)), want: int64(math.MinInt64), wantType: "Int64"},
		{name: "UInt64 above 2^53", in: ua.MustVariant(uint64(9007199254740993)), want: uint64(9007199254740993), wantType: "UInt64"},
		{name: "Float", in: ua.MustVariant(float32(1.5)), want: float32(1.5), wantType: "Float"},
		{name: "Double", in: ua.MustVariant(3.25), want: 3.25, wantType: "Double"},
		{name: "String", in: ua.MustVariant("äöü"), want: "äöü", wantType: "String"},
		{name: "DateTime", in: ua.MustVariant(ts), want: ts, wantType: "DateTime"},
		{name: "DateTime made UTC", in: ua.MustVariant(ts.In(berlin)), want: ts, wantType: "DateTime"},
		{name: "Guid", in: ua.MustVariant(guid), want: tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63"), wantType: "Guid"},
		{name: "ByteString", in: ua.MustVariant([]byte{1, 2, 3}), want: []byte{1, 2, 3}, wantType: "ByteString"},
		{name: "XmlElement", in: ua.MustVariant(ua.XMLElement("<a/>")), want: tag.XMLElement("<a/>"), wantType: "XmlElement"},
		{name: "NodeId", in: ua.MustVariant(ua.NewStringNodeID(2, "X")), want: tag.NodeID("ns=2;s=X"), wantType: "NodeId"},
		{name: "ExpandedNodeId", in: ua.MustVariant(ua.NewExpandedNodeID(ua.NewNumericNodeID(3, 7), "urn:a", 0)), want: tag.NodeID("nsu=urn:a;i=7"), wantType: "ExpandedNodeId"},
		{name: "StatusCode", in: ua.MustVariant(ua.StatusBadNodeIDUnknown), want: tag.StatusCode(ua.StatusBadNodeIDUnknown), wantType: "StatusCode"},
		{name: "QualifiedName", in: ua.MustVariant(&ua.QualifiedName{NamespaceIndex: 2, Name: "Temp"}), want: tag.QualifiedName{NamespaceIndex: 2, Name: "Temp"}, wantType: "QualifiedName"},
		{name: "LocalizedText", in: ua.MustVariant(ua.NewLocalizedTextWithLocale("Presse", "de")), want: tag.LocalizedText{Locale: "de", Text: "Presse"}, wantType: "LocalizedText"},
		{name: "Double array", in: ua.MustVariant([]float64{1, 2.5}), want: []float64{1, 2.5}, wantType: "Double"},
		{name: "Int32 array", in: ua.MustVariant([]int32{-1, 2}), want: []int32{-1, 2}, wantType: "Int32"},
		{name: "String array", in: ua.MustVariant([]string{"a", "b"}), want: []string{"a", "b"}, wantType: "String"},
		{name: "Byte array", in: ua.MustVariant([]uint8{1, 2}), want: []byte{1, 2}, wantType: "ByteString"},
		{name: "UInt64 array", in: ua.MustVariant([]uint64{math.MaxUint64}), want: []uint64{math.MaxUint64}, wantType: "UInt64"},
		{name: "DateTime array", in: ua.MustVariant([]time.Time{ts.In(berlin)}), want: []time.Time{ts}, wantType: "DateTime"},
		{name: "Guid array", in: ua.MustVariant([]*ua.GUID{guid}), want: []tag.GUID{"72962B91-FA75-4AE6-8D28-B404DC7DAF63"}, wantType: "Guid"},
		{name: "LocalizedText array", in: ua.MustVariant([]*ua.LocalizedText{ua.NewLocalizedText("a")}), want: []tag.LocalizedText{{Text: "a"}}, wantType: "LocalizedText"},
		{name: "NodeId array", in: ua.MustVariant([]*ua.NodeID{ua.NewNumericNodeID(0, 85)}), want: []tag.NodeID{"i=85"}, wantType: "NodeId"},
		{name: "StatusCode array", in: ua.MustVariant([]ua.StatusCode{0, ua.StatusBad}), want: []tag.StatusCode{0, tag.StatusCode(ua.StatusBad)}, wantType: "StatusCode"},
		{name: "matrix", in: ua.MustVariant([][]int32{{1, 2, 3}, {4, 5, 6}}), want: tag.Matrix{Dimensions: []int{2, 3}, Elements: []any{int32(1), int32(2), int32(3), int32(4), int32(5), int32(6)}}, wantType: "Int32"},
		{name: "matrix 3d", in: ua.MustVariant([][][]float64{{{1}, {2}}, {{3}, {4}}}), want: tag.Matrix{Dimensions: []int{2, 2, 1}, Elements: []any{1.0, 2.0, 3.0, 4.0}}, wantType: "Double"},
		{name: "variant in variant", in: ua.MustVariant(ua.MustVariant(int16(7))), want: int16(7), wantType: "Variant"},
		{name: "variant array", in: ua.MustVariant([]*ua.Variant{ua.MustVariant(1.5), ua.MustVariant("x")}), want: []any{1.5, "x"}, wantType: "Variant"},
		{name: "decoded structure", in: ua.MustVariant(ua.NewExtensionObject(&ua.Range{Low: 1, High: 2})), want: map[string]any{"Low": 1.0, "High": 2.0}, wantType: "ExtensionObject"},
		{name: "decoded nested structure", in: ua.MustVariant(ua.NewExtensionObject(&ua.EUInformation{NamespaceURI: "u", UnitID: 4408652, DisplayName: ua.NewLocalizedText("°C"), Description: &ua.LocalizedText{}})),
			want: map[string]any{"NamespaceURI": "u", "UnitID": int32(4408652), "DisplayName": tag.LocalizedText{Text: "°C"}, "Description": tag.LocalizedText{}}, wantType: "ExtensionObject"},
		{name: "undecoded structure", in: ua.MustVariant(&ua.ExtensionObject{EncodingMask: ua.ExtensionObjectBinary, TypeID: ua.NewExpandedNodeID(ua.NewNumericNodeID(4, 5001), "", 0)}), want: tag.ExtensionObject{TypeID: "ns=4;i=5001"}, wantType: "ExtensionObject", noWire: true},
		{name: "xml structure", in: ua.MustVariant(&ua.ExtensionObject{EncodingMask: ua.ExtensionObjectXML, TypeID: ua.NewExpandedNodeID(ua.NewNumericNodeID(4, 5002), "", 0), Value: ptr(ua.XMLElement("<x/>"))}), want: tag.ExtensionObject{TypeID: "ns=4;i=5002", Body: []byte("<x/>")}, wantType: "ExtensionObject"},
		{name: "structure array", in: ua.MustVariant([]*ua.ExtensionObject{ua.NewExtensionObject(&ua.Range{Low: -1, High: 1})}), want: []any{map[string]any{"Low": -1.0, "High": 1.0}}, wantType: "ExtensionObject"},
		{name: "data value", in: ua.MustVariant(&ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(uint16(9))}), want: uint16(9), wantType: "DataValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, typ := Value(tt.in)
			if typ != tt.wantType {
				t.Errorf("type = %q, want %q", typ, tt.wantType)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("value = %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
			// The same value after a trip over the wire.
			if tt.in == nil || tt.noWire {
				return
			}
			b, err := tt.in.Encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			var dec ua.Variant
			if _, err := dec.Decode(b); err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, typ = Value(&dec)
			if typ != tt.wantType || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded: value = %#v (%T) %q, want %#v (%T) %q", got, got, typ, tt.want, tt.want, tt.wantType)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestValueHostile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   *ua.Variant
	}{
		{name: "nil guid", in: ua.MustVariant((*ua.GUID)(nil))},
		{name: "short guid", in: ua.MustVariant(&ua.GUID{Data1: 1, Data4: []byte{1}})},
		{name: "nil node id", in: ua.MustVariant((*ua.NodeID)(nil))},
		{name: "nil localized text", in: ua.MustVariant((*ua.LocalizedText)(nil))},
		{name: "nil extension object", in: ua.MustVariant((*ua.ExtensionObject)(nil))},
		{name: "nil data value", in: ua.MustVariant((*ua.DataValue)(nil))},
		{name: "nil variant", in: ua.MustVariant((*ua.Variant)(nil))},
		{name: "deep variant", in: deepVariant(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			Value(tt.in) // must not panic
		})
	}
}

func deepVariant(n int) *ua.Variant {
	v := ua.MustVariant(1.0)
	for i := 0; i < n; i++ {
		v = ua.MustVariant(v)
	}
	return v
}

func TestSampleFromDataValue(t *testing.T) {
	t.Parallel()
	node := &tag.Node{ID: "ns=2;s=X"}
	src := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := src.Add(time.Millisecond)
	rcv := srv.Add(time.Millisecond)
	tests := []struct {
		name string
		dv   *ua.DataValue
		want tag.Sample
	}{
		{name: "good", dv: &ua.DataValue{Value: ua.MustVariant(2.5), SourceTimestamp: src, ServerTimestamp: srv},
			want: tag.Sample{Node: node, Value: 2.5, SourceTime: src, ServerTime: srv, ReceivedAt: rcv}},
		{name: "bad status without value", dv: &ua.DataValue{Status: ua.StatusBadNodeIDUnknown, ServerTimestamp: srv},
			want: tag.Sample{Node: node, ServerTime: srv, ReceivedAt: rcv, Status: uint32(ua.StatusBadNodeIDUnknown)}},
		{name: "nil", dv: nil, want: tag.Sample{Node: node, ReceivedAt: rcv, Status: uint32(ua.StatusBadNoData)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := SampleFromDataValue(node, tt.dv, rcv)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzValue(f *testing.F) {
	for _, v := range []*ua.Variant{
		ua.MustVariant(1.5), ua.MustVariant(uint64(1)), ua.MustVariant("x"), ua.MustVariant([]float64{1, 2}),
		ua.MustVariant([][]int32{{1, 2}, {3, 4}}), ua.MustVariant(ua.NewExtensionObject(&ua.Range{Low: 1})),
		ua.MustVariant([]*ua.Variant{ua.MustVariant(true)}), ua.MustVariant(&ua.LocalizedText{Text: "t"}),
		ua.MustVariant(ua.NewGUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")), ua.MustVariant(time.Unix(1, 0)),
		ua.MustVariant(ua.NewExpandedNodeID(ua.NewNumericNodeID(3, 7), "urn:a", 2)),
		ua.MustVariant(&ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(int8(1))}),
	} {
		b, err := v.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v ua.Variant
		if _, err := v.Decode(b); err != nil {
			return
		}
		Value(&v) // must not panic
	})
}
