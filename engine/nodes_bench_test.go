package engine

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// scaleNodes returns n distinct nodes shaped like a browsed plant: node ids,
// names and paths of realistic length, some names with a non-ASCII browse
// name, a third of them in an "axis" group (so conditions differ by node).
func scaleNodes(n int) []*tag.Node {
	nodes := make([]*tag.Node, n)
	src := &tag.SourceInfo{Name: "plc1", Endpoint: "opc.tcp://10.0.0.5:4840"}
	for i := range nodes {
		line := "line" + strconv.Itoa(i/1000)
		group := "plant.area1." + line
		kind := "temp"
		switch i % 3 {
		case 1:
			kind = "pressure"
		case 2:
			kind, group = "speed", "axis"
		}
		name := kind + "_" + strconv.Itoa(i)
		browse := name
		if i%10 == 0 {
			browse = "Temperatur_Kühlung_" + strconv.Itoa(i)
		}
		nodes[i] = &tag.Node{
			Src:        src,
			ID:         "ns=2;s=Plant.Area1." + line + "." + name,
			BrowseName: browse,
			Name:       name,
			Group:      group,
			Path:       group + "." + name,
			DataType:   "Double",
		}
	}
	return nodes
}

// BenchmarkEngineNodes runs configurations A and C over 100,000 distinct
// nodes on two runtimes, each node seen by both. It reports the engine's
// live heap per node after warm-up (B/node: everything the engine keeps for
// a node, measured as the heap growth over an engine that has seen no
// sample) and then times one sample per op cycling through all nodes, to
// compare with BenchmarkEngine's 42 nodes: no cliff, no extra allocations.
// Values stay below 100, so each node has a single set of headers.
func BenchmarkEngineNodes(b *testing.B) {
	const n = 100_000
	for _, name := range []string{"A", "C"} {
		b.Run(name, func(b *testing.B) {
			cfg := benchConfig(name)
			cfg.Timeout = 10 * time.Second
			cfg.Runtimes = 2
			nodes := scaleNodes(n)
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			samples := make([]tag.Sample, n)
			for i := range samples {
				ts := t0.Add(time.Duration(i) * time.Millisecond)
				samples[i] = tag.Sample{Node: nodes[i], Value: 42.5 + float64(i%50), SourceTime: ts, ServerTime: ts, ReceivedAt: ts}
			}
			e, err := New(cfg, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(e.Close)
			dst := make([]tag.Message, 0, 4)
			var failure error
			onFail := func(f Failure) { failure = f }
			run := func(i int) {
				dst = e.Process(&samples[i%n], dst[:0], onFail)
				if len(dst) != 1 {
					b.Fatalf("sample %d: %d messages (%v)", i, len(dst), failure)
				}
			}
			before := liveHeap()
			// Serial calls alternate between the two runtimes; the extra
			// sample between the passes gives every node to the other
			// runtime in the second pass (and in the timed loop).
			for i := range n {
				run(i)
			}
			run(0)
			for i := range n {
				run(i)
			}
			clear(dst[:cap(dst)])
			perNode := float64(liveHeap()-before) / n
			runtime.KeepAlive(samples)

			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				run(i)
			}
			b.ReportMetric(perNode, "B/node")
		})
	}
}

// liveHeap returns the live heap after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
