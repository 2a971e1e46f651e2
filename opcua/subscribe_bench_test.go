package opcua

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// BenchmarkHandleNotification measures the source's own hot path: one
// decoded DataChangeNotification of 1,000 Double values → 1,000 emitted
// tag.Samples (client handle lookup, value conversion, timestamps, status,
// counting). ns/op and allocs/op are per value.
func BenchmarkHandleNotification(b *testing.B) {
	const items = 1000
	ss := &session{src: &Source{status: newStatusBox("bench")}}
	ss.emit = func(ctx context.Context, _ tag.Sample) error { return nil }
	dcn := &ua.DataChangeNotification{}
	now := time.Now()
	for i := range items {
		ss.items = append(ss.items, item{node: &tag.Node{ID: "ns=1;s=Tag" + strconv.Itoa(i)}})
		dcn.MonitoredItems = append(dcn.MonitoredItems, &ua.MonitoredItemNotification{
			ClientHandle: uint32(i),
			Value: &ua.DataValue{
				Value:           ua.MustVariant(float64(i) + 0.5),
				SourceTimestamp: now,
				ServerTimestamp: now,
			},
		})
	}
	n := &gopcua.PublishNotificationData{SubscriptionID: 1, Value: dcn}
	// handleNotification drops each value it handled: every round gets
	// them back from all.
	all := slices.Clone(dcn.MonitoredItems)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += items {
		copy(dcn.MonitoredItems, all)
		if err := ss.handleNotification(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePublishResponse measures gopcua's decoding of one
// PublishResponse carrying 1,000 Double data changes with both timestamps,
// the client-side cost that precedes handleNotification. ns/op and
// allocs/op are per value.
func BenchmarkDecodePublishResponse(b *testing.B) {
	const items = 1000
	now := time.Now()
	dcn := &ua.DataChangeNotification{DiagnosticInfos: []*ua.DiagnosticInfo{}}
	for i := range items {
		dcn.MonitoredItems = append(dcn.MonitoredItems, &ua.MonitoredItemNotification{
			ClientHandle: uint32(i),
			Value: &ua.DataValue{
				EncodingMask:    ua.DataValueValue | ua.DataValueSourceTimestamp | ua.DataValueServerTimestamp,
				Value:           ua.MustVariant(float64(i) + 0.5),
				SourceTimestamp: now,
				ServerTimestamp: now,
			},
		})
	}
	res := &ua.PublishResponse{
		ResponseHeader:           &ua.ResponseHeader{Timestamp: now, ServiceDiagnostics: &ua.DiagnosticInfo{}, StringTable: []string{}, AdditionalHeader: ua.NewExtensionObject(nil)},
		SubscriptionID:           1,
		AvailableSequenceNumbers: []uint32{1},
		NotificationMessage: &ua.NotificationMessage{
			SequenceNumber:   1,
			PublishTime:      now,
			NotificationData: []*ua.ExtensionObject{ua.NewExtensionObject(dcn)},
		},
		Results:         []ua.StatusCode{},
		DiagnosticInfos: []*ua.DiagnosticInfo{},
	}
	buf, err := ua.Encode(res)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += items {
		var out ua.PublishResponse
		if _, err := ua.Decode(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}
