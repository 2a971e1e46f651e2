package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/sink"
)

func TestHTTPBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen string
		tls    bool
		want   string
	}{
		{"127.0.0.1:9450", false, "http://127.0.0.1:9450"},
		{":9450", false, "http://127.0.0.1:9450"},
		{"0.0.0.0:9450", true, "https://127.0.0.1:9450"},
		{"[::1]:9450", false, "http://[::1]:9450"},
		{"", false, ""},
	}
	for _, tt := range tests {
		cfg := &siteconfig.Config{HTTPListen: tt.listen}
		if tt.tls {
			cfg.HTTPTLS = sink.ServerTLS{Cert: "c", Key: "k"}
		}
		if got := httpBaseURL(cfg); got != tt.want {
			t.Errorf("httpBaseURL(%q, tls %v) = %q, want %q", tt.listen, tt.tls, got, tt.want)
		}
	}
}

// TestHintNamesURLsAndARunnableCommand checks the first-run hint: the
// status page, /readyz and /metrics URLs on lines of their own, and a sub command that
// works from this build (the test binary is built like go run builds).
func TestHintNamesURLsAndARunnableCommand(t *testing.T) {
	t.Parallel()
	cfg, err := siteconfig.Parse([]byte(siteWithEngine+"nats:\n  embedded:\n    mqtt: {listen: \"127.0.0.1:1883\"}\n"), "hint.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	newHint(cfg, "nats://127.0.0.1:4222", true).printOnce(&b)
	out := b.String()
	for _, want := range []string{
		"status:  http://127.0.0.1:9450/\n",
		"ready:   http://127.0.0.1:9450/readyz\n",
		"metrics: http://127.0.0.1:9450/metrics\n",
		"go run ./cmd/edgetag sub -s nats://127.0.0.1:4222 'umh.v1.>'",
		"closing this terminal stops the agent",
		"mqtt:    mqtt://127.0.0.1:1883 (topics umh/v1/#)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("hint lacks %q:\n%s", want, out)
		}
	}
}
