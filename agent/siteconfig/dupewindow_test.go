package siteconfig

import (
	"testing"
	"time"

	"github.com/edgetag/edgetag/sink"
)

// Without duplicate_window the embedded stream's window follows ack_timeout
// (sink.EmbeddedDupeWindow), so the first retry after a late ack is
// de-duplicated; a written window and an external server's default stay.
func TestDuplicateWindowDefaultFollowsAckTimeout(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, nats string
		want       time.Duration
	}{
		{"defaults", "", sink.DefaultEmbeddedDupeWindow},
		{"ack timeout 10s", "nats:\n  jetstream: {ack_timeout: 10s}\n", 13 * time.Second},
		{"written window", "nats:\n  jetstream: {ack_timeout: 10s, duplicate_window: 3s}\n", 3 * time.Second},
		{"external server", "nats:\n  url: nats://127.0.0.1:4222\n  jetstream: {ack_timeout: 10s}\n", sink.DefaultDupeWindow},
	} {
		cfg, err := Parse([]byte(minimal+c.nats), "site.yaml", noEnv)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cfg.NATS.JetStream.DuplicateWindow; got != c.want {
			t.Errorf("%s: duplicate_window %s, want %s", c.name, got, c.want)
		}
	}
}
