package engine

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// The benchmark inputs are fixed by the issue so that the numbers compare
// with the tag processor measured on the same inputs.
const (
	benchDefaults = `msg.meta.location_path = "enterprise.site.area.line"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = msg.meta.opcua_tag_name; return msg;`
	benchAdvanced = `msg.payload = Math.round(msg.payload * 100) / 100; return msg;`
)

var benchConditions = []Condition{
	{If: Snippet{Code: `msg.meta.opcua_tag_name.startsWith("temp")`}, Then: Snippet{Code: `msg.meta.virtual_path = "temperature"; return msg;`}},
	{If: Snippet{Code: `msg.payload > 100`}, Then: Snippet{Code: `msg.meta.virtual_path = "alarm"; return msg;`}},
	{If: Snippet{Code: `msg.meta.opcua_tag_group === "axis"`}, Then: Snippet{Code: `msg.payload = msg.payload * 2; return msg;`}},
}

// benchConfig returns configuration A, B or C.
//
// Cjs is C with its two payload stages written so that they are not
// recognised as payload arithmetic (see payloadexpr.go): the cost of C for
// scripts that must run in JavaScript. Csloppy is Cjs assigning p without
// declaring it, as UMH's sloppy-mode scripts do (see sloppy.go).
func benchConfig(name string) Config {
	cfg := Config{Defaults: Snippet{Code: benchDefaults}}
	switch name {
	case "B":
		cfg.Conditions = benchConditions
	case "C":
		cfg.Conditions = benchConditions
		cfg.AdvancedProcessing = Snippet{Code: benchAdvanced}
	case "Cjs":
		cfg.Conditions = append([]Condition(nil), benchConditions...)
		cfg.Conditions[2].Then = Snippet{Code: `const p = msg.payload; msg.payload = p * 2; return msg;`}
		cfg.AdvancedProcessing = Snippet{Code: `const p = msg.payload; msg.payload = Math.round(p * 100) / 100; return msg;`}
	case "Csloppy":
		cfg.Conditions = append([]Condition(nil), benchConditions...)
		cfg.Conditions[2].Then = Snippet{Code: `p = msg.payload; msg.payload = p * 2; return msg;`}
		cfg.AdvancedProcessing = Snippet{Code: `p = msg.payload; msg.payload = Math.round(p * 100) / 100; return msg;`}
	}
	return cfg
}

// benchSamples returns the input cycle: payload 42.5 + i%100 on 42 nodes
// temp_1..14, pressure_1..14, speed_1..14 (group axis for speed_*, else
// line1); 2100 samples cover every combination once.
func benchSamples() []tag.Sample {
	var nodes []*tag.Node
	src := &tag.SourceInfo{Name: "plc1", Endpoint: "opc.tcp://10.0.0.5:4840"}
	for _, kind := range []string{"temp", "pressure", "speed"} {
		for i := 1; i <= 14; i++ {
			name := fmt.Sprintf("%s_%d", kind, i)
			group := "line1"
			if kind == "speed" {
				group = "axis"
			}
			nodes = append(nodes, &tag.Node{
				Src:        src,
				ID:         "ns=2;s=Line1." + name,
				BrowseName: name,
				Name:       name,
				Group:      group,
				Path:       group + "." + name,
				DataType:   "Double",
			})
		}
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	samples := make([]tag.Sample, 2100)
	for i := range samples {
		ts := t0.Add(time.Duration(i) * time.Millisecond)
		samples[i] = tag.Sample{
			Node:       nodes[i%len(nodes)],
			Value:      42.5 + float64(i%100),
			SourceTime: ts,
			ServerTime: ts.Add(time.Millisecond),
			ReceivedAt: ts.Add(2 * time.Millisecond),
		}
	}
	return samples
}

// benchCheck verifies outputs of the configuration on sample 70 (speed_1,
// 112.5) and sample 0 (temp_1, 42.5).
func benchCheck(tb testing.TB, e *Engine, name string, samples []tag.Sample) {
	tb.Helper()
	type want struct {
		i       int
		subject string
		value   float64
	}
	var wants []want
	switch name {
	case "A":
		wants = []want{
			{70, "umh.v1.enterprise.site.area.line._historian.speed_1", 112.5},
			{0, "umh.v1.enterprise.site.area.line._historian.temp_1", 42.5},
		}
	default:
		wants = []want{
			{70, "umh.v1.enterprise.site.area.line._historian.alarm.speed_1", 225},
			{0, "umh.v1.enterprise.site.area.line._historian.temperature.temp_1", 42.5},
		}
	}
	for _, w := range wants {
		out := e.Process(&samples[w.i], nil, func(f Failure) { tb.Errorf("sample %d: %v", w.i, f) })
		if len(out) != 1 {
			tb.Fatalf("sample %d: got %d messages, want 1", w.i, len(out))
		}
		var p struct {
			Value       float64 `json:"value"`
			TimestampMs int64   `json:"timestamp_ms"`
		}
		if err := json.Unmarshal(out[0].Payload, &p); err != nil {
			tb.Fatalf("sample %d: payload %s: %v", w.i, out[0].Payload, err)
		}
		if out[0].Subject != w.subject || p.Value != w.value || p.TimestampMs != samples[w.i].SourceTime.UnixMilli() {
			tb.Fatalf("sample %d: got %s %s, want %s value %v", w.i, out[0].Subject, out[0].Payload, w.subject, w.value)
		}
	}
}

func newBenchEngine(b *testing.B, name string) (*Engine, []tag.Sample) {
	b.Helper()
	cfg := benchConfig(name)
	// A long deadline: on a shared, overloaded machine a sample can wait
	// for a core longer than the default 100 ms, which would fail the run.
	cfg.Timeout = 10 * time.Second
	e, err := New(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	samples := benchSamples()
	benchCheck(b, e, name, samples)
	return e, samples
}

// BenchmarkEngine measures one sample per op, serially: building msg,
// running the stages, and producing the final subject, payload and headers.
func BenchmarkEngine(b *testing.B) {
	for _, name := range []string{"A", "B", "C", "Cjs", "Csloppy"} {
		b.Run(name, func(b *testing.B) {
			e, samples := newBenchEngine(b, name)
			dst := make([]tag.Message, 0, 4)
			b.ReportAllocs()
			defer reportCPU(b)()
			var failure error
			onFail := func(f Failure) { failure = f }
			for i := 0; b.Loop(); i++ {
				dst = e.Process(&samples[i%len(samples)], dst[:0], onFail)
				if len(dst) != 1 {
					b.Fatalf("sample %d: %d messages (%v)", i, len(dst), failure)
				}
			}
		})
	}
}

// BenchmarkEngineParallel is BenchmarkEngine with b.RunParallel: one op is
// still one sample; compare ns/op with the serial figure for the speed-up.
func BenchmarkEngineParallel(b *testing.B) {
	for _, name := range []string{"A", "B", "C", "Cjs"} {
		b.Run(name, func(b *testing.B) {
			e, samples := newBenchEngine(b, name)
			var next atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				dst := make([]tag.Message, 0, 4)
				i := int(next.Add(1000))
				var failure error
				onFail := func(f Failure) { failure = f }
				for pb.Next() {
					dst = e.Process(&samples[i%len(samples)], dst[:0], onFail)
					if len(dst) != 1 {
						b.Errorf("sample %d: %d messages (%v)", i, len(dst), failure)
						return
					}
					i++
				}
			})
		})
	}
}

// reportCPU reports the process CPU time (user+system, all threads, GC
// included) per op as cpu-ns/op: on a shared machine wall time per op
// includes time spent waiting for a core, CPU time does not.
func reportCPU(b *testing.B) func() {
	start := testutil.CPUTime(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((testutil.CPUTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkGojaCallFloor calls a precompiled strict function value that
// returns its argument: the floor of one stage call on this machine, to
// read the other figures against (the issue measured about 0.25 µs).
func BenchmarkGojaCallFloor(b *testing.B) {
	vm := goja.New()
	v, err := vm.RunString(`(function(msg){"use strict"; return msg;})`)
	if err != nil {
		b.Fatal(err)
	}
	fn, _ := goja.AssertFunction(v)
	arg := vm.NewObject()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := fn(goja.Undefined(), arg); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBatch is the batch size of BenchmarkEngineBatch: the agent's workers
// hand the engine up to 64 queued samples at once.
const benchBatch = 50

// BenchmarkEngineBatch is BenchmarkEngine through ProcessBatch, as the
// agent calls it under load: one op is still one sample.
func BenchmarkEngineBatch(b *testing.B) {
	for _, name := range []string{"A", "B", "C"} {
		b.Run(name, func(b *testing.B) {
			e, samples := newBenchEngine(b, name)
			dst := make([]tag.Message, 0, benchBatch)
			var failure error
			onFail := func(_ int, f Failure) { failure = f }
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for i := 0; i < b.N; i += benchBatch {
				n := min(benchBatch, b.N-i)
				j := i % len(samples)
				dst = e.ProcessBatch(samples[j:j+n], dst[:0], onFail)
				if len(dst) != n {
					b.Fatalf("batch at %d: %d messages for %d samples (%v)", i, len(dst), n, failure)
				}
			}
		})
	}
}

// BenchmarkEngineBatchParallel is BenchmarkEngineBatch with b.RunParallel.
func BenchmarkEngineBatchParallel(b *testing.B) {
	for _, name := range []string{"A", "B", "C"} {
		b.Run(name, func(b *testing.B) {
			e, samples := newBenchEngine(b, name)
			var next atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				dst := make([]tag.Message, 0, benchBatch)
				j := int(next.Add(1)) * benchBatch % len(samples)
				var failure error
				onFail := func(_ int, f Failure) { failure = f }
				for {
					n := 0
					for n < benchBatch && pb.Next() {
						n++
					}
					if n == 0 {
						return
					}
					dst = e.ProcessBatch(samples[j:j+n], dst[:0], onFail)
					if len(dst) != n {
						b.Errorf("batch at %d: %d messages for %d samples (%v)", j, len(dst), n, failure)
						return
					}
					j = (j + benchBatch) % len(samples)
				}
			})
		})
	}
}
