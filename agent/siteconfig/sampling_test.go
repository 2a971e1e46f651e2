package siteconfig

import (
	"testing"
	"time"

	"github.com/edgetag/edgetag/opcua"
)

// TestSamplingInterval: 0 and -1 carry their OPC UA meaning (fastest
// practical rate, the publishing interval) through to the source; other
// negative values and non-durations are refused at their line.
func TestSamplingInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		want  time.Duration
		err   string
	}{
		{name: "default", value: "", want: opcua.DefaultSamplingInterval},
		{name: "duration", value: "250ms", want: 250 * time.Millisecond},
		{name: "zero is the fastest rate", value: "0", want: opcua.SamplingFastest},
		{name: "zero with a unit", value: "0s", want: opcua.SamplingFastest},
		{name: "minus one is the publishing interval", value: "-1", want: opcua.SamplingPublishingInterval},
		{name: "minus one millisecond", value: "-1ms", want: opcua.SamplingPublishingInterval},
		{name: "other negative", value: "-2s", err: "0 (the server's fastest rate) or -1 (the publishing interval)"},
		{name: "not a duration", value: "fast", err: `got "fast"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			site := minimal
			if tt.value != "" {
				site += "    sampling_interval: " + tt.value + "\n"
			}
			cfg, err := Parse([]byte(site), "site.yaml", noEnv)
			if tt.err != "" {
				checkErrors(t, err, []want{{"6:24", "sources[0].sampling_interval", tt.err}})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Sources[0].SamplingInterval; got != tt.want {
				t.Fatalf("sampling interval %v, want %v", got, tt.want)
			}
		})
	}
}
