package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgetag/edgetag/internal/natstest"
)

// TestStoreAndForward runs the gateway's embedded server as a leaf of a hub,
// each in its own JetStream domain; the hub's stream sources the gateway's
// stream across the leaf connection. Messages published while the hub is
// down stay in the gateway's store and reach the hub once it is back, every
// one exactly once.
func TestStoreAndForward(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the hub's source retry backoff (tens of seconds)")
	}
	t.Parallel()
	hub := natstest.Hub(t, "hub")
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Domain = "gw1"
	cfg.Embedded.Leafnode.URL = natstest.LeafURL(hub)
	s := startSink(t, cfg)

	natstest.WaitFor(t, waitTimeout, func() error {
		if hub.NumLeafNodes() != 1 {
			return fmt.Errorf("hub has %d leaf connections, want 1", hub.NumLeafNodes())
		}
		return nil
	})
	hubNC := connect(t, hub.ClientURL())
	hubJS, err := jetstream.New(hubNC)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = hubJS.CreateStream(ctx, jetstream.StreamConfig{
		Name:    "SITES",
		Storage: jetstream.FileStorage,
		Sources: []*jetstream.StreamSource{{
			Name:     DefaultStream,
			External: &jetstream.ExternalStream{APIPrefix: "$JS.gw1.API"},
		}},
	})
	if err != nil {
		t.Fatalf("create hub stream: %v", err)
	}

	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if err := s.Publish(ctx, testMessage(i)); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
		fctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		if err := s.Flush(fctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}

	publish(0, 50)
	waitStreamMsgs(t, hubNC, "", "SITES", 50, waitTimeout)

	// Cut the uplink: the hub goes away while samples keep coming. The
	// gateway's own stream acks them.
	if !s.Stats().LeafnodeConnected {
		t.Error("Stats().LeafnodeConnected = false with the hub up")
	}
	hubOpts := natstest.Stop(hub)
	publish(50, 150)
	if st := s.Stats(); st.Published != 150 || len(st.Lost) != 0 {
		t.Fatalf("Stats with the hub down = %+v, want 150 acked, none lost", st)
	}

	// Restore it: same ports and store, the leaf reconnects and the hub's
	// stream catches up.
	hub = natstest.Run(t, hubOpts)
	hubNC = connect(t, hub.ClientURL())
	// The hub retries its source with a backoff of 10 s, 20 s, ... (nats-server's
	// own), so catching up can take a while after the link is back.
	waitStreamMsgs(t, hubNC, "", "SITES", 150, 3*time.Minute)
	seen := streamSeqs(t, hubNC, "", "SITES")
	for i := range 150 {
		if seen[i] != 1 {
			t.Errorf("message %d is in the hub's stream %d times, want once", i, seen[i])
		}
	}
	if len(seen) != 150 {
		t.Errorf("hub's stream holds %d distinct messages, want 150", len(seen))
	}
}

// TestUplinkDownAtStart starts a gateway whose hub is not reachable: Start
// succeeds and messages are acked by the gateway's own store.
func TestUplinkDownAtStart(t *testing.T) {
	t.Parallel()
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Domain = "gw1"
	cfg.Embedded.Leafnode.URL = "nats-leaf://127.0.0.1:" + itoa(natstest.FreePort(t))
	s := startSink(t, cfg)
	if !s.Ready() {
		t.Fatal("Ready() = false: the gateway must not wait for its uplink")
	}
	ctx := context.Background()
	for i := range 10 {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	st := s.Stats()
	if st.Published != 10 || st.LeafnodeConnected || len(st.Lost) != 0 {
		t.Errorf("Stats = %+v, want 10 acked, uplink down, none lost", st)
	}
}
