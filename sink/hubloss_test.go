package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgetag/edgetag/internal/natstest"
)

// TestHubOutageLongerThanBuffer cuts the uplink for longer than the
// gateway's stream can hold: the watch shows how far the hub has sourced
// and how much waits for it, and every message the hub never gets is
// counted as discarded at the limit, exactly: what the hub holds plus what
// was discarded is what was published.
func TestHubOutageLongerThanBuffer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the hub's source retry backoff (tens of seconds)")
	}
	t.Parallel()
	hub := natstest.Hub(t, "hub")
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Domain = "gw1"
	cfg.Embedded.Leafnode.URL = natstest.LeafURL(hub)
	cfg.JetStream.MaxBytes = 64 << 10
	cfg.JetStream.WatchInterval = 20 * time.Millisecond
	s := startSink(t, cfg)
	natstest.WaitFor(t, waitTimeout, func() error {
		if !s.Stats().LeafnodeConnected {
			return fmt.Errorf("leafnode not connected")
		}
		return nil
	})
	hubNC := connect(t, hub.ClientURL())
	hubJS, err := jetstream.New(hubNC)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := hubJS.CreateStream(ctx, jetstream.StreamConfig{
		Name:    "SITES",
		Storage: jetstream.FileStorage,
		Sources: []*jetstream.StreamSource{{Name: DefaultStream, External: &jetstream.ExternalStream{APIPrefix: "$JS.gw1.API"}}},
	}); err != nil {
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

	const before, total = 50, 1050
	publish(0, before)
	waitStreamMsgs(t, hubNC, "", "SITES", before, waitTimeout)
	waitStreamStats(t, s, func(st StreamStats) error {
		if st.SentSeq != before || st.Unsent != 0 || st.Consumers == 0 {
			return fmt.Errorf("hub sourced up to %d with %d unsent (%d consumers), want %d and 0", st.SentSeq, st.Unsent, st.Consumers, before)
		}
		return nil
	})

	hubOpts := natstest.Stop(hub)
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Stats().LeafnodeConnected {
			return fmt.Errorf("leafnode still connected with the hub down")
		}
		return nil
	})
	publish(before, total)
	st := waitStreamStats(t, s, func(st StreamStats) error {
		if st.LastSeq != total {
			return fmt.Errorf("watch saw last sequence %d, want %d", st.LastSeq, total)
		}
		return nil
	})
	if st.FirstSeq <= before+1 {
		t.Fatalf("the stream kept everything (first sequence %d); the test needs an outage longer than the buffer", st.FirstSeq)
	}
	discarded := st.Discarded[DiscardLimit]
	if want := st.FirstSeq - 1 - before; discarded != want {
		t.Errorf("discarded at the limit %d, want the %d messages between what the hub got (%d) and the stream's first sequence %d",
			discarded, want, before, st.FirstSeq)
	}
	if st.Unsent != st.Messages || st.UnsentAge <= 0 {
		t.Errorf("with the hub down every stored message waits: unsent %d (age %s), stored %d", st.Unsent, st.UnsentAge, st.Messages)
	}

	hub = natstest.Run(t, hubOpts)
	hubNC = connect(t, hub.ClientURL())
	want := uint64(total) - discarded
	waitStreamMsgs(t, hubNC, "", "SITES", want, 3*time.Minute)
	waitStreamStats(t, s, func(st StreamStats) error {
		if st.SentSeq != total || st.Unsent != 0 {
			return fmt.Errorf("hub sourced up to %d with %d unsent, want %d and 0", st.SentSeq, st.Unsent, total)
		}
		return nil
	})
	if got := s.Stats().Stream.Discarded[DiscardLimit]; got != discarded {
		t.Errorf("discards went from %d to %d after the hub caught up", discarded, got)
	}
}
