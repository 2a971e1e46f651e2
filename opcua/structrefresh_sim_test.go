package opcua

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/tag"
)

// startSimAt runs a simulator with cfg until the returned stop is called
// (or the test ends); stop waits for it to have shut down.
func startSimAt(t *testing.T, cfg sim.Config) (stop func()) {
	t.Helper()
	s, err := sim.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestStructureDefinitionsAfterServerRestart restarts the simulator on
// the same port with a changed Batch (one more field, Line) while its
// namespaces and build stay the same, as after a PLC download: the source
// reconnects, reads the definitions again because the server's start time
// changed, and decodes the new layout; no value is left undecoded.
func TestStructureDefinitionsAfterServerRestart(t *testing.T) {
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	simCfg := sim.Config{Listen: listen, Rate: 100 * time.Millisecond, LegacyStructures: true}
	stopFirst := startSimAt(t, simCfg)
	cfg := simConfig(t, "opc.tcp://"+listen)
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Legacy.Batch"}}
	src, col, stop := collectSource(t, cfg)
	defer stop()
	hasLine := func(smp tag.Sample) bool {
		obj, ok := smp.Value.(tag.Object)
		if !ok {
			t.Fatalf("value %T %#v, want a tag.Object", smp.Value, smp.Value)
		}
		_, ok = obj.Get("Line")
		return ok
	}
	testutil.WaitUntil(t, 60*time.Second, "batches of the first revision", func() bool { return col.count(0, "Batch") >= 2 })
	if smp, _ := col.last("Batch"); hasLine(smp) {
		t.Fatal("revision 1 has a Line field")
	}

	stopFirst()
	testutil.WaitUntil(t, 30*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	simCfg.LegacyBatchRevision = 2
	startSimAt(t, simCfg)
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "batches of the second revision", func() bool { return col.count(mark, "Batch") >= 2 })

	col.mu.Lock()
	after := append([]tag.Sample(nil), col.samples[mark:]...)
	col.mu.Unlock()
	for i, smp := range after {
		if !hasLine(smp) {
			t.Fatalf("sample %d after the restart: %#v, want the Line field of revision 2", i, smp.Value)
		}
		obj := smp.Value.(tag.Object)
		tv, _ := obj.Get("Tick")
		want := simBatch(tv.(uint64))
		want.Fields = append(want.Fields, tag.Field{Name: "Line", Value: "L1"})
		checkObject(t, fmt.Sprintf("sample %d after the restart", i), obj, want)
	}
	if st := src.Status(); st.UndecodedStructures != 0 || st.Reconnects != 1 {
		t.Errorf("%d values not decoded, %d reconnects; want 0 and 1", st.UndecodedStructures, st.Reconnects)
	}
}
