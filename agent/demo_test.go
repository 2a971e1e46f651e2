package agent

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testutil"
)

// demoOnFreePorts loads configs/demo.yaml with its simulator, sources and
// embedded NATS server moved to free ports and the test's own state
// directory, values every 50 ms and no HTTP listener.
func demoOnFreePorts(t *testing.T) *siteconfig.Config {
	t.Helper()
	cfg, err := siteconfig.Load(filepath.Join("..", "configs", "demo.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	simListen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	cfg.StateDir, cfg.HTTPListen = dir, ""
	cfg.Simulator.Listen, cfg.Simulator.CertDir, cfg.Simulator.Rate = simListen, filepath.Join(dir, "sim"), 50*time.Millisecond
	cfg.NATS.Embedded.Listen, cfg.NATS.Embedded.StoreDir = "127.0.0.1:-1", filepath.Join(dir, "jetstream")
	for i := range cfg.Sources {
		cfg.Sources[i].Endpoint, cfg.Sources[i].StateDir = "opc.tcp://"+simListen, dir
		cfg.Sources[i].PublishingInterval, cfg.Sources[i].SamplingInterval = 50*time.Millisecond, 50*time.Millisecond
	}
	return cfg
}

// TestDemoPipeline runs configs/demo.yaml through the real agent — its
// simulator, source, tag engine and embedded NATS server, moved to free
// ports and the test's own state directory — and waits on NATS for the
// subjects the demo promises, with no engine failure.
func TestDemoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the OPC UA simulator")
	}
	t.Parallel()
	a := newAgent(t, demoOnFreePorts(t))
	runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")

	want := []string{
		"umh.v1.acme.demo.plant.line1.press._historian.Temperature",
		"umh.v1.acme.demo.plant.line2.robot._historian.Running",
		"umh.v1.acme.demo.plant.line2.robot._historian.axes.AxisPositions",
	}
	natstest.WaitFor(t, 60*time.Second, func() error {
		seen := map[string]bool{}
		for _, m := range got.snapshot() {
			seen[m.Subject] = true
		}
		for _, s := range want {
			if !seen[s] {
				return fmt.Errorf("no message on %s yet (%d messages)", s, got.len())
			}
		}
		return nil
	})
	if failed := a.pipe.engine.Load().Stats().Failed; len(failed) != 0 {
		t.Fatalf("engine failures running the demo: %v", failed)
	}
}
