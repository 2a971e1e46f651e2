package opcua

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
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
		{name: "ByteString from []uint8", in: ua.MustVariant([]uint8{1, 2}), want: []byte{1, 2}, wantType: "ByteString"},
		{name: "Byte array", in: ua.MustVariant(ua.ByteArray{1, 2}), want: []byte{1, 2}, wantType: "Byte"},
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

// FuzzValue feeds Value two kinds of random variants: bytes decoded by
// gopcua (flat values only: gopcua's decoder itself hangs or panics on some
// hostile multi-dimensional or nested input) and variants built from the
// bytes by genVariant (nesting, matrices, structures, nil pointers).
func FuzzValue(f *testing.F) {
	for _, v := range []*ua.Variant{
		ua.MustVariant(1.5), ua.MustVariant(uint64(1)), ua.MustVariant("x"), ua.MustVariant([]float64{1, 2}),
		ua.MustVariant(&ua.LocalizedText{Text: "t"}), ua.MustVariant(time.Unix(1, 0)),
		ua.MustVariant(ua.NewGUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")),
		ua.MustVariant(ua.NewExpandedNodeID(ua.NewNumericNodeID(3, 7), "urn:a", 2)),
	} {
		b, err := v.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x18, 0x99, 0x05, 0x40, 0x02, 0x03, 0x16, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && b[0]&ua.VariantArrayDimensions == 0 && ua.TypeID(b[0]&0x3f) <= ua.TypeIDLocalizedText {
			var v ua.Variant
			if decodeVariant(&v, b) {
				Value(&v) // must not panic
			}
		}
		g := &gen{b: b}
		Value(g.variant(0)) // must not panic
	})
}

// decodeVariant decodes b into v and reports whether that worked. gopcua's
// decoder itself panics on some hostile input (a negative array length
// other than -1 reaches reflect.MakeSlice); that is not Value's to catch.
func decodeVariant(v *ua.Variant, b []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := v.Decode(b)
	return err == nil
}

// gen builds variants from fuzz bytes.
type gen struct {
	b []byte
	i int
}

func (g *gen) byte() byte {
	if g.i >= len(g.b) {
		return 0
	}
	g.i++
	return g.b[g.i-1]
}

func (g *gen) variant(depth int) *ua.Variant {
	if depth > 20 {
		return ua.MustVariant(int32(depth))
	}
	switch g.byte() % 16 {
	case 0:
		return nil
	case 1:
		return ua.MustVariant(nil)
	case 2:
		return ua.MustVariant(g.variant(depth + 1))
	case 3:
		n := int(g.byte() % 5)
		vs := make([]*ua.Variant, n)
		for i := range vs {
			vs[i] = g.variant(depth + 1)
		}
		return ua.MustVariant(vs)
	case 4:
		rows, cols := int(g.byte()%4), int(g.byte()%4)
		m := make([][]float64, rows)
		for i := range m {
			m[i] = make([]float64, cols)
		}
		if rows == 0 || cols == 0 {
			return ua.MustVariant([]float64{})
		}
		return ua.MustVariant(m)
	case 5:
		return ua.MustVariant(&ua.GUID{Data1: uint32(g.byte()), Data4: g.b[:min(len(g.b), int(g.byte()%12))]})
	case 6:
		return ua.MustVariant(&ua.ExtensionObject{TypeID: ua.NewTwoByteExpandedNodeID(g.byte())})
	case 7:
		return ua.MustVariant(ua.NewExtensionObject(&ua.EUInformation{DisplayName: ua.NewLocalizedText(string(g.b))}))
	case 8:
		return ua.MustVariant(&ua.DataValue{Value: g.variant(depth + 1)})
	case 9:
		return ua.MustVariant(&ua.ExtensionObject{Value: &ua.DataChangeNotification{MonitoredItems: []*ua.MonitoredItemNotification{{Value: &ua.DataValue{Value: g.variant(depth + 1)}}}}})
	case 10:
		return ua.MustVariant((*ua.LocalizedText)(nil))
	case 11:
		return ua.MustVariant(&ua.DiagnosticInfo{InnerDiagnosticInfo: &ua.DiagnosticInfo{}})
	case 12:
		return ua.MustVariant([]*ua.ExtensionObject{nil, ua.NewExtensionObject(&ua.Range{})})
	case 13:
		return ua.MustVariant(time.Unix(int64(g.byte())<<20, 0).In(time.FixedZone("x", 3600)))
	case 14:
		return ua.MustVariant([][][]int8{{{int8(g.byte())}}, {{1}}})
	default:
		return ua.MustVariant(string(g.b))
	}
}

// Every value type the simulator serves converts to the Go type documented
// in package tag, after a real trip through gopcua's client.
func TestValueFromSimulator(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Hour})
	c := simtest.Connect(t, s.Endpoint())
	want := map[string]struct {
		dataType string
		goType   any
	}{
		"Boolean": {"Boolean", true}, "SByte": {"SByte", int8(0)}, "Byte": {"Byte", uint8(0)},
		"Int16": {"Int16", int16(0)}, "UInt16": {"UInt16", uint16(0)}, "Int32": {"Int32", int32(0)},
		"UInt32": {"UInt32", uint32(0)}, "Int64": {"Int64", int64(0)}, "UInt64": {"UInt64", uint64(0)},
		"Float": {"Float", float32(0)}, "Double": {"Double", float64(0)}, "String": {"String", ""},
		"DateTime": {"DateTime", time.Time{}}, "Guid": {"Guid", tag.GUID("")},
		"ByteString": {"ByteString", []byte(nil)}, "XmlElement": {"XmlElement", tag.XMLElement("")},
		"NodeId": {"NodeId", tag.NodeID("")}, "ExpandedNodeId": {"ExpandedNodeId", tag.NodeID("")},
		"StatusCode": {"StatusCode", tag.StatusCode(0)}, "QualifiedName": {"QualifiedName", tag.QualifiedName{}},
		"LocalizedText": {"LocalizedText", tag.LocalizedText{}}, "Range": {"ExtensionObject", map[string]any(nil)},
		"DoubleArray": {"Double", []float64(nil)}, "Int32Array": {"Int32", []int32(nil)},
		"StringArray": {"String", []string(nil)}, "UInt64Array": {"UInt64", []uint64(nil)},
		"Matrix": {"Int32", tag.Matrix{}},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dv, err := c.Node(ua.NewStringNodeID(1, "Plant.Types."+name)).Value(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, dt := Value(dv)
			if dt != w.dataType {
				t.Errorf("data type %q, want %q", dt, w.dataType)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(w.goType) {
				t.Errorf("value %#v is a %T, want %T", got, got, w.goType)
			}
		})
	}
}

func TestDataTypeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   *ua.NodeID
		want string
	}{
		{ua.NewNumericNodeID(0, 11), "Double"},
		{ua.NewNumericNodeID(0, 290), "Double"},   // Duration
		{ua.NewNumericNodeID(0, 294), "DateTime"}, // UtcTime
		{ua.NewNumericNodeID(0, 29), "Int32"},     // Enumeration
		{ua.NewNumericNodeID(0, 884), ""},         // Range: needs the server
		{ua.NewNumericNodeID(3, 11), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			t.Parallel()
			if got := DataTypeName(tt.in); got != tt.want {
				t.Fatalf("DataTypeName(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
