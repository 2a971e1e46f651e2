package opcua

import (
	"context"
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
		ss.items = append(ss.items, &item{node: &tag.Node{ID: "ns=1;s=Tag" + strconv.Itoa(i)}})
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
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += items {
		if err := ss.handleNotification(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
}
