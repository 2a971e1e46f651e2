package engine

import (
	"testing"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// TestSampleMeta checks that a sample's own meta (an event's) reaches the
// scripts and the headers, takes precedence over the node's Extra, and
// that an if reading it is evaluated for every sample of the node, not
// reused from the node's first sample.
func TestSampleMeta(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults: Snippet{Code: testDefaults + " return msg;"},
		Conditions: []Condition{{
			If:   Snippet{Code: `msg.meta.opcua_event_severity >= "500"`},
			Then: Snippet{Code: `msg.meta.high = "yes"; return msg;`},
		}},
	}, zerolog.Nop())
	n := testNode("alarms")
	n.Extra = map[string]string{"opcua_event_id": "node", "kind": "event"}
	for _, tc := range []struct {
		sev, id, high string
	}{{"700", "AQI=", "yes"}, {"100", "AwQ=", ""}, {"900", "BQY=", "yes"}} {
		s := testSample(n, 1.0)
		s.Meta = []tag.Header{{Key: "opcua_event_severity", Value: tc.sev}, {Key: "opcua_event_id", Value: tc.id}}
		r := process(e, s)
		if len(r.msgs) != 1 || len(r.fails) != 0 {
			t.Fatalf("severity %s: %d messages, failures %v", tc.sev, len(r.msgs), r.fails)
		}
		m := r.msgs[0]
		if got, _ := header(m, "opcua_event_id"); got != tc.id {
			t.Errorf("severity %s: opcua_event_id %q, want %q (the sample's, over the node's)", tc.sev, got, tc.id)
		}
		if got, _ := header(m, "kind"); got != "event" {
			t.Errorf("severity %s: the node's meta kind is %q", tc.sev, got)
		}
		if got, _ := header(m, "high"); got != tc.high {
			t.Errorf("severity %s: high %q, want %q", tc.sev, got, tc.high)
		}
	}
}
