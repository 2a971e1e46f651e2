package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
)

// metricSum returns the sum of every series of the named metric family.
func metricSum(t *testing.T, a *Agent, name string) float64 {
	t.Helper()
	mfs, err := a.metrics.reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			}
		}
		return sum
	}
	return 0
}

// TestCountersMonotonicAcrossReload reloads a new tag_processor and a
// changed source (which restarts it) while samples flow: the engine's and
// the source's counters carry on from where they were instead of starting
// again from zero.
func TestCountersMonotonicAcrossReload(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	simPort := freePort(t)
	first := reloadSiteFile(dir, "before", simPort, freePort(t))
	load := func(text string) *Config {
		t.Helper()
		path := filepath.Join(dir, "site.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a, err := New(load(first), zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	runAgent(t, a)
	counters := []string{"edgetag_engine_samples_total", "edgetag_engine_emitted_total", "edgetag_source_samples_total"}
	natstest.WaitFor(t, 30*time.Second, func() error {
		for _, name := range counters {
			if v := metricSum(t, a, name); v < 50 {
				return fmt.Errorf("%s = %v, waiting for 50", name, v)
			}
		}
		return nil
	})
	next := strings.Replace(reloadSiteFile(dir, "after", simPort, freePort(t)), "publishing_interval: 50ms", "publishing_interval: 60ms", 1)
	before := map[string]float64{}
	for _, name := range counters {
		before[name] = metricSum(t, a, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Reload(ctx, load(next)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for _, name := range counters {
		if v := metricSum(t, a, name); v < before[name] {
			t.Errorf("%s went from %v to %v across the reload", name, before[name], v)
		}
	}
	// And they keep growing from there.
	natstest.WaitFor(t, 30*time.Second, func() error {
		for _, name := range counters {
			if v := metricSum(t, a, name); v <= before[name] {
				return fmt.Errorf("%s = %v, not above %v yet", name, v, before[name])
			}
		}
		return nil
	})
}

// TestStreamMetricsAndReadiness runs the agent with JetStream: /metrics
// shows the stream and /readyz its state; a stream deleted behind the
// agent's back is created again and counted.
func TestStreamMetricsAndReadiness(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	text := strings.Replace(reloadSiteFile(dir, "line", freePort(t), freePort(t)), "jetstream: {enabled: false}", "jetstream: {enabled: true}", 1)
	path := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	runAgent(t, a)
	natstest.WaitFor(t, 30*time.Second, func() error {
		if v := metricSum(t, a, "edgetag_jetstream_stream_messages"); v < 10 {
			return fmt.Errorf("edgetag_jetstream_stream_messages = %v, waiting for 10", v)
		}
		return nil
	})
	r := a.readiness()
	if !r.Ready || r.JetStream == nil || r.JetStream.Messages == 0 || r.JetStream.Problem != "" || r.Leafnode != nil {
		t.Errorf("readiness %+v (jetstream %+v)", r, r.JetStream)
	}
	if v := metricSum(t, a, "edgetag_jetstream_stream_ok"); v != 1 {
		t.Errorf("edgetag_jetstream_stream_ok = %v, want 1", v)
	}

	nc, err := nats.Connect(a.SinkURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, "EDGETAG"); err != nil {
		t.Fatalf("delete stream: %v", err)
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		if v := metricSum(t, a, "edgetag_jetstream_stream_recreated_total"); v != 1 {
			return fmt.Errorf("edgetag_jetstream_stream_recreated_total = %v, want 1", v)
		}
		if r := a.readiness(); !r.Ready {
			return fmt.Errorf("not ready: %v", r.Reasons)
		}
		return nil
	})
	if v := metricSum(t, a, "edgetag_jetstream_stream_discarded_total"); v < 10 {
		t.Errorf("edgetag_jetstream_stream_discarded_total = %v, want what the deleted stream held (at least 10)", v)
	}
}

// TestAddEngineStatsSumsEveryCounter guards the carry-over: every counter
// of engine.Stats that the agent exports must be summed, or it goes down on
// a reload.
func TestAddEngineStatsSumsEveryCounter(t *testing.T) {
	one := engine.Stats{
		Samples: 1, Emitted: 2, SubjectCollisions: 3,
		Filtered: map[string]uint64{"defaults": 4},
		Failed:   map[string]map[engine.Reason]uint64{"defaults": {engine.ReasonException: 5}},
	}
	got := addEngineStats(addEngineStats(engine.Stats{}, one), one)
	if got.Samples != 2 || got.Emitted != 4 || got.SubjectCollisions != 6 ||
		got.Filtered["defaults"] != 8 || got.Failed["defaults"][engine.ReasonException] != 10 {
		t.Fatalf("sum of two equal stats = %+v, want every counter doubled", got)
	}
}
