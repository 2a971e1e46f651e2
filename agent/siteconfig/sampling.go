package siteconfig

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/edgetag/edgetag/opcua"
)

// sampling is sources[].sampling_interval: a duration, or one of
// the two values OPC UA gives a meaning of their own: 0 asks the server
// for its fastest practical rate, -1 for the subscription's publishing
// interval (Telegraf and UMH default to 0). It holds the opcua package's
// value: a positive duration, opcua.SamplingFastest or
// opcua.SamplingPublishingInterval.
type sampling time.Duration

func (t *sampling) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return
	}
	s = strings.TrimSpace(s)
	if s == "-1" || s == "-1ms" {
		*t = sampling(opcua.SamplingPublishingInterval)
		return
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorf(n, path, "must be a duration such as 500ms, 0 (the server's fastest rate) or -1 (the publishing interval), got %q", s)
		return
	}
	if v == 0 {
		*t = sampling(opcua.SamplingFastest)
		return
	}
	*t = sampling(v)
}

func (t sampling) std() time.Duration { return time.Duration(t) }
