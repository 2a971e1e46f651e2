package opcua

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

func TestSamplingMillis(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want float64
		text string
	}{
		{SamplingFastest, 0, "0 (fastest)"},
		{SamplingPublishingInterval, -1, "-1 (publishing interval)"},
		{500 * time.Millisecond, 500, "500ms"},
		{1500 * time.Microsecond, 1.5, "1.5ms"},
	}
	for _, tt := range tests {
		if got := samplingMillis(tt.d); got != tt.want {
			t.Errorf("samplingMillis(%v) = %v, want %v", tt.d, got, tt.want)
		}
		if got := FormatSamplingInterval(tt.d); got != tt.text {
			t.Errorf("FormatSamplingInterval(%v) = %q, want %q", tt.d, got, tt.text)
		}
	}
	cfg := Config{Name: "a", Endpoint: "opc.tcp://h:4840", StateDir: "x", Nodes: []NodeConfig{{ID: "i=85"}}}
	for _, d := range []time.Duration{SamplingFastest, SamplingPublishingInterval, 0, time.Second} {
		cfg.SamplingInterval = d
		if _, err := NewSource(cfg, zerolog.Nop()); err != nil {
			t.Errorf("sampling interval %v refused: %v", d, err)
		}
	}
	cfg.SamplingInterval = -time.Second
	if _, err := NewSource(cfg, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "sampling_interval") {
		t.Errorf("sampling interval -1s: error %v, want one naming sampling_interval", err)
	}
}

// TestSubscribeLogsRevisedSampling: the special sampling intervals reach
// the server, and what it granted is in the one "subscribed" line (the
// simulator, like gopcua's server, revises every item to the publishing
// interval).
func TestSubscribeLogsRevisedSampling(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Second})
	for _, d := range []time.Duration{SamplingFastest, SamplingPublishingInterval} {
		t.Run(FormatSamplingInterval(d), func(t *testing.T) {
			cfg := simConfig(t, s.Endpoint())
			cfg.SamplingInterval = d
			cfg.PublishingInterval = 200 * time.Millisecond
			cfg.Nodes = simTypeNodes()
			var logs testlog.Buffer
			src, err := NewSource(cfg, zerolog.New(&logs))
			if err != nil {
				t.Fatal(err)
			}
			var col collector
			stop := runSource(t, src, col.emit)
			var line map[string]any
			testutil.WaitUntil(t, 30*time.Second, "the subscribed line", func() bool {
				for _, l := range logs.Lines() {
					if strings.Contains(l, `"message":"subscribed"`) {
						return json.Unmarshal([]byte(l), &line) == nil
					}
				}
				return false
			})
			if got := line["sampling_interval"]; got != FormatSamplingInterval(d) {
				t.Errorf("sampling_interval %v, want %q", got, FormatSamplingInterval(d))
			}
			// zerolog writes durations in milliseconds.
			if got := line["revised_sampling_interval_ms"]; got != float64(200) {
				t.Errorf("revised_sampling_interval_ms %v, want 200: %v", got, line)
			}
			if n := strings.Count(strings.Join(logs.Lines(), "\n"), "revised_sampling_interval_ms"); n != 1 {
				t.Errorf("%d lines name the revised sampling interval, want 1", n)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
