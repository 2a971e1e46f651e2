package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/sink"
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
	simPort := testutil.FreePort(t)
	first := reloadSiteFile(dir, "before", simPort, testutil.FreePort(t))
	load := func(text string) *siteconfig.Config {
		t.Helper()
		path := filepath.Join(dir, "site.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := siteconfig.Load(path, noEnv)
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
	next := strings.Replace(reloadSiteFile(dir, "after", simPort, testutil.FreePort(t)), "publishing_interval: 50ms", "publishing_interval: 60ms", 1)
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
	text := strings.Replace(reloadSiteFile(dir, "line", testutil.FreePort(t), testutil.FreePort(t)), "jetstream: {enabled: false}", "jetstream: {enabled: true}", 1)
	path := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := siteconfig.Load(path, noEnv)
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
	// max_bytes auto: derived from the disk, at least the floor; the buffer's
	// duration shows once two readings saw messages stored.
	if v := metricSum(t, a, "edgetag_jetstream_stream_max_bytes"); v < sink.MinDiskMaxBytes*3/4 {
		t.Errorf("edgetag_jetstream_stream_max_bytes = %v, want the size derived from the disk", v)
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		if v := metricSum(t, a, "edgetag_jetstream_stream_buffer_seconds"); v <= 0 {
			return fmt.Errorf("edgetag_jetstream_stream_buffer_seconds = %v, waiting for the stored rate", v)
		}
		return nil
	})

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
// of engine.Stats must be summed, or it goes down on a reload. The counters
// are found by reflection, so a new one is covered without touching this
// test.
func TestAddEngineStatsSumsEveryCounter(t *testing.T) {
	one := engine.Stats{
		Filtered: map[string]uint64{"defaults": 4},
		Failed:   map[string]map[engine.Reason]uint64{"defaults": {engine.ReasonException: 5}},
	}
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Uint64 {
			f.SetUint(uint64(i + 1))
		}
	}
	got := addEngineStats(addEngineStats(engine.Stats{}, one), one)
	g := reflect.ValueOf(got)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Uint64 && g.Field(i).Uint() != 2*f.Uint() {
			t.Errorf("%s: sum of two equal stats = %d, want %d", v.Type().Field(i).Name, g.Field(i).Uint(), 2*f.Uint())
		}
	}
	if got.Filtered["defaults"] != 8 || got.Failed["defaults"][engine.ReasonException] != 10 {
		t.Errorf("per-stage counters = %v %v, want doubled", got.Filtered, got.Failed)
	}
}
