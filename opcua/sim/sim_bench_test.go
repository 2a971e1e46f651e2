package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
)

// BenchmarkSimSubscription10k measures how fast value changes of 10,000
// monitored items reach a plain gopcua client from the simulator (each
// item changes every 100 ms: 100,000 changes/s offered). ns/op is the time
// per delivered notification; changes/s is the delivered rate.
func BenchmarkSimSubscription10k(b *testing.B) {
	const tags = 10000
	s := simtest.Start(b, sim.Config{ExtraTags: tags, Rate: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := simtest.Connect(b, s.Endpoint())
	ch := make(chan *gopcua.PublishNotificationData, 1024)
	sub, err := c.Subscribe(ctx, &gopcua.SubscriptionParameters{Interval: 100 * time.Millisecond}, ch)
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < tags; lo += 1000 {
		var reqs []*ua.MonitoredItemCreateRequest
		for i := lo; i < lo+1000; i++ {
			reqs = append(reqs, gopcua.NewMonitoredItemCreateRequestWithDefaults(
				ua.NewStringNodeID(1, "Plant.Scale.Tag"+pad5(i)), ua.AttributeIDValue, uint32(i)))
		}
		if _, err := sub.Monitor(ctx, ua.TimestampsToReturnBoth, reqs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	got := 0
	for got < b.N {
		msg := <-ch
		if msg.Error != nil {
			b.Fatal(msg.Error)
		}
		if dcn, ok := msg.Value.(*ua.DataChangeNotification); ok {
			got += len(dcn.MonitoredItems)
		}
	}
	b.ReportMetric(float64(got)/time.Since(start).Seconds(), "changes/s")
}

func pad5(i int) string {
	b := []byte("00000")
	for k := 4; k >= 0 && i > 0; k-- {
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}
