package opcua

import (
	"math"
	"time"

	"github.com/rs/zerolog"
)

// The special sampling intervals of OPC UA. Config.SamplingInterval 0
// means "not set" (DefaultSamplingInterval), so each has a value of its
// own, both negative.
const (
	// SamplingFastest asks the server to sample at its fastest practical
	// rate (OPC UA sampling interval 0).
	SamplingFastest time.Duration = -2
	// SamplingPublishingInterval asks the server to sample at the
	// subscription's publishing interval (OPC UA sampling interval -1).
	SamplingPublishingInterval time.Duration = -1
)

// samplingMillis is the sampling interval sent to the server for d: 0 for
// SamplingFastest, -1 for SamplingPublishingInterval, else d in
// milliseconds.
func samplingMillis(d time.Duration) float64 {
	switch d {
	case SamplingFastest:
		return 0
	case SamplingPublishingInterval:
		return -1
	}
	return float64(d) / float64(time.Millisecond)
}

// FormatSamplingInterval renders a configured sampling interval as the
// site file writes it: "0 (fastest)", "-1 (publishing interval)" or a
// duration.
func FormatSamplingInterval(d time.Duration) string {
	switch d {
	case SamplingFastest:
		return "0 (fastest)"
	case SamplingPublishingInterval:
		return "-1 (publishing interval)"
	}
	return d.String()
}

// revisedSampling summarizes the sampling intervals a server revised the
// monitored items of one CreateMonitoredItems round to, so one log line
// tells what the server granted instead of one line per node.
type revisedSampling struct {
	items    int
	min, max float64 // milliseconds
}

// add records the revised sampling interval of one monitored item.
func (r *revisedSampling) add(ms float64) {
	if r.items == 0 || ms < r.min {
		r.min = ms
	}
	if r.items == 0 || ms > r.max {
		r.max = ms
	}
	r.items++
}

// millis renders milliseconds as a duration.
func millis(ms float64) time.Duration {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// fields adds the requested and revised sampling intervals to a log event.
func (r revisedSampling) fields(requested time.Duration) func(e *zerolog.Event) {
	return func(e *zerolog.Event) {
		e.Str("sampling_interval", FormatSamplingInterval(requested))
		if r.items == 0 {
			return
		}
		if r.min == r.max {
			e.Dur("revised_sampling_interval_ms", millis(r.min))
			return
		}
		e.Dur("revised_sampling_interval_min_ms", millis(r.min)).Dur("revised_sampling_interval_max_ms", millis(r.max))
	}
}
