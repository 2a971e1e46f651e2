package sink

import (
	"context"
	"testing"
	"time"
)

// The embedded stream's default duplicate window covers the first retry
// after an ack timeout, for the default ack timeout and for others, and is
// DefaultEmbeddedDupeWindow for the default one.
func TestEmbeddedDupeWindowCoversFirstRetryAfterAckTimeout(t *testing.T) {
	t.Parallel()
	if got := EmbeddedDupeWindow(DefaultAckTimeout); got != DefaultEmbeddedDupeWindow {
		t.Errorf("EmbeddedDupeWindow(%s) = %s, want DefaultEmbeddedDupeWindow %s", DefaultAckTimeout, got, DefaultEmbeddedDupeWindow)
	}
	for _, c := range []struct{ ack, want time.Duration }{
		{50 * time.Millisecond, 2 * time.Second},
		{time.Second, 3 * time.Second},
		{DefaultAckTimeout, 8 * time.Second},
		{10 * time.Second, 13 * time.Second},
		{time.Minute, 63 * time.Second},
	} {
		got := EmbeddedDupeWindow(c.ack)
		if got != c.want {
			t.Errorf("EmbeddedDupeWindow(%s) = %s, want %s", c.ack, got, c.want)
		}
		if first := latestFirstRetry(c.ack); got <= first {
			t.Errorf("ack timeout %s: window %s does not cover the first retry after an ack timeout (up to %s after the first attempt)", c.ack, got, first)
		}
	}
	if DefaultEmbeddedDupeWindow >= DefaultDupeWindow {
		t.Errorf("DefaultEmbeddedDupeWindow %s is not shorter than an external server's %s: its ids are held in the gateway's memory", DefaultEmbeddedDupeWindow, DefaultDupeWindow)
	}
}

// A sink on the embedded server with no duplicate_window creates its stream
// with the window its ack timeout needs.
func TestEmbeddedStreamGetsDefaultDupeWindow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ ack, want time.Duration }{
		{0, DefaultEmbeddedDupeWindow},
		{10 * time.Second, 13 * time.Second},
	} {
		cfg := embeddedConfig(t, true)
		cfg.JetStream.AckTimeout = c.ack
		s := startSink(t, cfg)
		js, err := newJS(connect(t, s.ClientURL()), "")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := js.Stream(ctx, DefaultStream)
		cancel()
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if got := st.CachedInfo().Config.Duplicates; got != c.want {
			t.Errorf("ack timeout %s: stream duplicate window %s, want %s", c.ack, got, c.want)
		}
	}
}
