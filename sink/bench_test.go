package sink

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// benchMessages builds n distinct messages of the realistic shape (13
// headers, a 50-byte payload) sharing one header slice, so the benchmark
// measures the sink and not the message construction.
func benchMessages(n int) []tag.Message {
	proto := testMessage(0)
	base := proto.SourceTime
	msgs := make([]tag.Message, n)
	for i := range msgs {
		m := *proto
		m.SourceTime = base.Add(time.Duration(i) * time.Millisecond)
		m.Payload = fmt.Appendf(nil, `{"value": %12d, "timestamp_ms": %d}`, i, m.SourceTime.UnixMilli())
		msgs[i] = m
	}
	return msgs
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPublishCore publishes to the embedded server over the in-process
// connection with one subscriber receiving every message.
func BenchmarkPublishCore(b *testing.B) {
	s := startSink(b, embeddedConfig(b, false))
	nc := connect(b, s.ClientURL())
	var got atomic.Int64
	sub, err := nc.Subscribe("umh.v1.>", func(*nats.Msg) { got.Add(1) })
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		b.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		b.Fatal(err)
	}
	msgs := benchMessages(min(b.N, 1<<16))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Publish(ctx, &msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkPublishJetStream publishes distinct messages into the embedded
// server's file stream and waits for every ack.
func BenchmarkPublishJetStream(b *testing.B) {
	s := startSink(b, embeddedConfig(b, true))
	msgs := benchMessages(b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Publish(ctx, &msgs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b)
	if st := s.Stats(); st.Published != uint64(b.N) || len(st.Lost) != 0 {
		b.Fatalf("Stats = %+v, want %d acked", st, b.N)
	}
}

// BenchmarkPublishJetStreamParallel is BenchmarkPublishJetStream with one
// publishing goroutine per core, as the agent's workers do.
func BenchmarkPublishJetStreamParallel(b *testing.B) {
	s := startSink(b, embeddedConfig(b, true))
	msgs := benchMessages(b.N)
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Publish(ctx, &msgs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkMsgID measures the de-duplication id of one message.
func BenchmarkMsgID(b *testing.B) {
	m := testMessage(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = MsgID(m)
	}
}

// BenchmarkPublishCoreNoSubscriber is BenchmarkPublishCore with nobody
// subscribed: the cost of the sink and the server's routing alone.
func BenchmarkPublishCoreNoSubscriber(b *testing.B) {
	s := startSink(b, embeddedConfig(b, false))
	msgs := benchMessages(min(b.N, 1<<16))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Publish(ctx, &msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b)
}
