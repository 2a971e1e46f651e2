package opcua

import (
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// decoded returns v as the client sees it: encoded and decoded again.
func decoded(b *testing.B, v *ua.Variant) *ua.Variant {
	buf, err := v.Encode()
	if err != nil {
		b.Fatal(err)
	}
	var d ua.Variant
	if _, err := d.Decode(buf); err != nil {
		b.Fatal(err)
	}
	return &d
}

var sinkValue any

func BenchmarkValue(b *testing.B) {
	arr := make([]float64, 100)
	for i := range arr {
		arr[i] = float64(i) * 1.5
	}
	cases := []struct {
		name string
		v    *ua.Variant
	}{
		{name: "Double", v: ua.MustVariant(21.5)},
		{name: "Int32", v: ua.MustVariant(int32(-7))},
		{name: "String", v: ua.MustVariant("RUNNING")},
		{name: "DateTime", v: ua.MustVariant(time.Now())},
		{name: "Float64Array100", v: ua.MustVariant(arr)},
		{name: "LocalizedText", v: ua.MustVariant(ua.NewLocalizedTextWithLocale("Presse", "de"))},
	}
	for _, c := range cases {
		v := decoded(b, c.v)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkValue, _ = Value(v)
			}
		})
	}
}

var sinkSample tag.Sample

// BenchmarkNotificationToSample measures the per-value step of a
// subscription: one MonitoredItemNotification of a DataChangeNotification
// becomes a tag.Sample (node found by client handle, value converted,
// timestamps and status copied).
func BenchmarkNotificationToSample(b *testing.B) {
	const nodes = 10000
	table := make([]*tag.Node, nodes)
	src := &tag.SourceInfo{Name: "press"}
	for i := range table {
		table[i] = &tag.Node{Src: src, ID: "ns=2;i=" + itoa(i), Name: "T" + itoa(i), DataType: "Double"}
	}
	now := time.Now()
	dcn := &ua.DataChangeNotification{MonitoredItems: make([]*ua.MonitoredItemNotification, 0, nodes)}
	for i := range nodes {
		dv := &ua.DataValue{
			EncodingMask:    ua.DataValueValue | ua.DataValueSourceTimestamp | ua.DataValueServerTimestamp,
			Value:           ua.MustVariant(float64(i) + 0.5),
			SourceTimestamp: now, ServerTimestamp: now,
		}
		dcn.MonitoredItems = append(dcn.MonitoredItems, &ua.MonitoredItemNotification{ClientHandle: uint32(i), Value: dv})
	}
	// Round-trip the notification so values are what the client decodes.
	eo := ua.NewExtensionObject(dcn)
	buf, err := eo.Encode()
	if err != nil {
		b.Fatal(err)
	}
	var dec ua.ExtensionObject
	if _, err := dec.Decode(buf); err != nil {
		b.Fatal(err)
	}
	items := dec.Value.(*ua.DataChangeNotification).MonitoredItems
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		it := items[i%len(items)]
		i++
		h := int(it.ClientHandle)
		if h >= len(table) {
			b.Fatal("unknown handle")
		}
		sinkSample = SampleFromDataValue(table[h], it.Value, now)
	}
}

func itoa(i int) string {
	return formatInt(i)
}

func formatInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
