package agent

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/agent/statuspage"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/sink"
	"github.com/edgetag/edgetag/tag"
)

// configC is the engine issue's benchmark config C: defaults, three
// conditions and advancedProcessing.
func configC() engine.Config {
	return engine.Config{
		Defaults: engine.Snippet{Code: `msg.meta.location_path = "enterprise.site.area.line"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = msg.meta.opcua_tag_name; return msg;`},
		Conditions: []engine.Condition{
			{If: engine.Snippet{Code: `msg.meta.opcua_tag_name.startsWith("temp")`}, Then: engine.Snippet{Code: `msg.meta.virtual_path = "temperature"; return msg;`}},
			{If: engine.Snippet{Code: `msg.payload > 100`}, Then: engine.Snippet{Code: `msg.meta.virtual_path = "alarm"; return msg;`}},
			{If: engine.Snippet{Code: `msg.meta.opcua_tag_group === "axis"`}, Then: engine.Snippet{Code: `msg.payload = msg.payload * 2; return msg;`}},
		},
		AdvancedProcessing: engine.Snippet{Code: `msg.payload = Math.round(msg.payload * 100) / 100; return msg;`},
	}
}

// benchNodes are the engine benchmark's 42 tags, spread over sources so
// that sharding uses every worker.
func benchNodes() []*tag.Node {
	var nodes []*tag.Node
	src := &tag.SourceInfo{Name: "plc", Endpoint: "opc.tcp://10.0.0.5:4840"}
	for _, kind := range []string{"temp", "pressure", "speed"} {
		group := "line1"
		if kind == "speed" {
			group = "axis"
		}
		for i := 1; i <= 14; i++ {
			name := fmt.Sprintf("%s_%d", kind, i)
			nodes = append(nodes, &tag.Node{
				Src: src, ID: "ns=2;s=" + group + "." + name,
				BrowseName: name, Name: name, Group: group, Path: group + "." + name, DataType: "Double",
			})
		}
	}
	return nodes
}

// BenchmarkPipeline measures the whole pipeline after the OPC UA source:
// sharding, engine config C on one worker per core, and publishing to a real
// embedded NATS server (core, or JetStream with every ack awaited). One op is
// one sample. It reports samples/s and CPU time per sample (all cores,
// including the in-process NATS server). Every message carries the whole
// meta as headers (16 of them), except in the lean modes, which send two
// (nats.headers: [opcua_node_id, opcua_status_code]), and the default
// modes, which send the default set (the value's quality). The stream is
// uncompressed (the default) except in jetstream-default-s2. The -live
// modes also feed the status page's table of latest values, as the agent
// does when its HTTP listener is on (the default).
func BenchmarkPipeline(b *testing.B) {
	lean := []string{engine.MetaNodeID, engine.MetaStatusCode}
	def := defaultHeaders(b)
	none, s2 := sink.CompressionNone, sink.CompressionS2
	for _, mode := range []struct {
		name        string
		js          bool
		headers     []string
		compression string
		live        bool
	}{
		{"core", false, nil, none, false}, {"jetstream", true, nil, none, false},
		{"core-lean", false, lean, none, false}, {"jetstream-lean", true, lean, none, false},
		{"core-default", false, def, none, false}, {"jetstream-default", true, def, none, false}, {"jetstream-default-s2", true, def, s2, false},
		{"core-default-live", false, def, none, true}, {"jetstream-default-live", true, def, none, true},
	} {
		b.Run(mode.name, func(b *testing.B) {
			snk := startSinkCompressed(b, mode.js, mode.compression)
			cfg := configC()
			cfg.Headers = mode.headers
			var tap func(*tag.Message)
			if mode.live {
				live := statuspage.NewTable(LiveSubjects)
				tap = func(m *tag.Message) { live.Update(m.Subject, payloadValue(m.Payload), m.TimestampMs) }
			}
			p := newPipeline(mustEngine(b, cfg), snk, defaultWorkers(), siteconfig.DefaultQueueSize, nil, tap, zerolog.Nop())
			ctx := b.Context()
			p.start(ctx)
			nodes := benchNodes()
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, wall0 := testutil.CPUTime(b), time.Now()
			for i := 0; i < b.N; i++ {
				s := tag.Sample{Node: nodes[i%len(nodes)], Value: 42.5 + float64(i%100), SourceTime: now, ServerTime: now}
				if err := p.emit(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			p.closeIntake()
			p.wait()
			if err := snk.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			wall, cpu := time.Since(wall0), testutil.CPUTime(b)-cpu0
			b.StopTimer()
			if got := p.published.Load(); got != uint64(b.N) {
				b.Fatalf("published %d of %d", got, b.N)
			}
			b.ReportMetric(float64(b.N)/wall.Seconds(), "samples/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/sample")
		})
	}
}

// defaultHeaders is the header set a site file without nats.headers sends.
func defaultHeaders(tb testing.TB) []string {
	tb.Helper()
	cfg, err := siteconfig.Parse([]byte(minimal), "site.yaml", noEnv)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg.Engine.Headers
}
