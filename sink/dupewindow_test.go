package sink

import (
	"context"
	"testing"
	"time"
)

// The embedded stream's default duplicate window must cover the first retry
// after an ack timeout: the timeout, the expiry scan that notices it (see
// ackTimeoutLoop) and the first backoff with its jitter (see scheduleRetry).
func TestEmbeddedDupeWindowCoversFirstRetryAfterAckTimeout(t *testing.T) {
	scan := min(max(DefaultAckTimeout/4, 10*time.Millisecond), time.Second)
	latest := DefaultAckTimeout + scan + retryBase + retryBase/5
	if DefaultEmbeddedDupeWindow <= latest {
		t.Errorf("DefaultEmbeddedDupeWindow %s does not cover the first retry after an ack timeout (up to %s after the first attempt)", DefaultEmbeddedDupeWindow, latest)
	}
	if DefaultEmbeddedDupeWindow >= DefaultDupeWindow {
		t.Errorf("DefaultEmbeddedDupeWindow %s is not shorter than an external server's %s: its ids are held in the gateway's memory", DefaultEmbeddedDupeWindow, DefaultDupeWindow)
	}
}

// A sink on the embedded server with no duplicate_window creates its stream
// with DefaultEmbeddedDupeWindow.
func TestEmbeddedStreamGetsDefaultDupeWindow(t *testing.T) {
	s := startSink(t, embeddedConfig(t, true))
	js, err := newJS(connect(t, s.ClientURL()), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got := st.CachedInfo().Config.Duplicates; got != DefaultEmbeddedDupeWindow {
		t.Errorf("stream duplicate window %s, want %s", got, DefaultEmbeddedDupeWindow)
	}
}
