package agent

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/tag"
)

// TestDemoPipeline runs configs/demo.yaml's simulator, source and tag
// engine for real (on a free port, with its own state directory) and waits
// for the subjects the demo promises: one per line and machine.
func TestDemoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the OPC UA simulator")
	}
	t.Parallel()
	cfg, err := Load(filepath.Join("..", "configs", "demo.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	simCfg := *cfg.Simulator
	simCfg.Listen = "127.0.0.1:0"
	simCfg.Rate = 50 * time.Millisecond
	simCfg.CertDir = ""
	srv, err := sim.New(simCfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = srv.Run(ctx) })

	src := cfg.Sources[0]
	src.Endpoint = srv.Endpoint()
	src.StateDir = t.TempDir()
	src.PublishingInterval = 50 * time.Millisecond
	src.SamplingInterval = 50 * time.Millisecond
	source, err := opcua.NewSource(src, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(cfg.Engine, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	want := map[string]bool{
		"umh.v1.acme.demo.line1.press._historian.Temperature":        false,
		"umh.v1.acme.demo.line2.robot._historian.Running":            false,
		"umh.v1.acme.demo.line2.robot._historian.axes.AxisPositions": false,
	}
	missing := len(want)
	var failures []engine.Failure
	done := errors.New("all subjects seen")
	var msgs []tag.Message
	runErr := make(chan error, 1)
	wg.Go(func() {
		runErr <- source.Run(ctx, func(ctx context.Context, s tag.Sample) error {
			msgs = eng.Process(&s, msgs[:0], func(f engine.Failure) { failures = append(failures, f) })
			for _, m := range msgs {
				if seen, ok := want[m.Subject]; ok && !seen {
					want[m.Subject] = true
					missing--
				}
			}
			if len(failures) > 0 || missing == 0 {
				cancel()
				return done
			}
			return ctx.Err()
		})
	})
	if err := <-runErr; err != nil && !errors.Is(err, done) {
		t.Fatalf("source: %v", err)
	}
	for _, f := range failures {
		t.Errorf("engine failure: %v", f)
	}
	for subject, seen := range want {
		if !seen {
			t.Errorf("no message on %s", subject)
		}
	}
}
