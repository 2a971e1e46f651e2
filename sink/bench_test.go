package sink

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/testutil"
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

// startCPU resets the timer and returns the CPU time at the start; pass it
// to reportRate. CPU time per message (client, server and subscriber, all in
// this process) stays meaningful on a machine shared with other work, where
// wall time per message does not.
func startCPU(b *testing.B) time.Duration {
	b.ReportAllocs()
	b.ResetTimer()
	return testutil.CPUTime(b)
}

// reportRate reports messages per second of wall time and CPU time per
// message since cpu0.
func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(testutil.CPUTime(b)-cpu0)/float64(b.N), "cpu-ns/msg")
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
	publishSerial(b, s, msgs)
}

// BenchmarkPublishJetStream publishes distinct messages into the embedded
// server's file stream and waits for every ack.
func BenchmarkPublishJetStream(b *testing.B) {
	s := startSink(b, embeddedConfig(b, true))
	msgs := benchMessages(b.N)
	publishSerial(b, s, msgs)
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
	cpu0 := startCPU(b)
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
	reportRate(b, cpu0)
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
	publishSerial(b, s, msgs)
}

// publishSerial publishes b.N messages from msgs (cycling through them) from
// one goroutine, flushes (waiting for every ack with JetStream), stops the
// timer and reports msgs/s and CPU per message.
func publishSerial(b *testing.B, s *Sink, msgs []tag.Message) {
	b.Helper()
	ctx := context.Background()
	cpu0 := startCPU(b)
	for i := range b.N {
		if err := s.Publish(ctx, &msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b, cpu0)
}

// BenchmarkJetStreamHeap publishes b.N messages over 10,000 subjects (one per
// node, as the agent does) into the embedded file stream and reports the
// live heap afterwards: what the server keeps per message it has stored.
//
// Measured (200,000 messages of 14 headers): about 260 B/msg with the
// default 2-minute duplicate window, 145-180 B/msg with 1 s. The difference,
// about 110 B/msg, is the window's message ids (kept for the whole window);
// most of the rest is the file store's per-block subject state (kept about
// two minutes after a block was last written, at most one tree per block
// of the stream).
func BenchmarkJetStreamHeap(b *testing.B) {
	for _, tt := range []struct {
		name   string
		window time.Duration
	}{{"window=default", 0}, {"window=1s", time.Second}} {
		b.Run(tt.name, func(b *testing.B) {
			cfg := embeddedConfig(b, true)
			cfg.JetStream.DuplicateWindow = tt.window
			s := startSink(b, cfg)
			const subjects = 10000
			msgs := benchMessages(subjects)
			for i := range msgs {
				msgs[i].Subject = fmt.Sprintf("umh.v1.acme.berlin.assembly.line4._historian.Line%d.Temp%d", i%100, i)
			}
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ctx := context.Background()
			cpu0 := startCPU(b)
			for i := range b.N {
				m := msgs[i%subjects]
				m.SourceTime = m.SourceTime.Add(time.Duration(i/subjects) * time.Second)
				if err := s.Publish(ctx, &m); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportRate(b, cpu0)
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := float64(after.HeapInuse) - float64(before.HeapInuse)
			b.ReportMetric(grown/(1<<20), "heap-MiB")
			b.ReportMetric(grown/float64(b.N), "heap-B/msg")
		})
	}
}

// BenchmarkPublishHeaders publishes messages carrying the first n of the 13
// meta headers (plus Nats-Msg-Id with JetStream), core and JetStream: what
// each header costs the client's encoding and the server's parsing and
// storing.
//
// Measured on a busy 2-core machine, CPU per message: core 0.9 µs with no
// header, 3.4 µs with 4, 7.3 µs with 13; JetStream 21.5, 23.8 and 24.4 µs.
// With core NATS the headers are most of the cost.
func BenchmarkPublishHeaders(b *testing.B) {
	for _, js := range []bool{false, true} {
		for _, n := range []int{0, 4, 13} {
			b.Run(fmt.Sprintf("jetstream=%v/headers=%d", js, n), func(b *testing.B) {
				s := startSink(b, embeddedConfig(b, js))
				msgs := benchMessages(min(b.N, 1<<16))
				if js {
					msgs = benchMessages(b.N)
				}
				for i := range msgs {
					msgs[i].Headers = msgs[i].Headers[:n]
				}
				publishSerial(b, s, msgs)
			})
		}
	}
}
