package engine

import (
	"slices"
	"testing"

	"github.com/rs/zerolog"
)

// TestHeaderSelection checks that Config.Headers selects the headers of
// every message (the sample's own msg and a fan-out copy with its own meta
// object) and changes nothing else.
func TestHeaderSelection(t *testing.T) {
	t.Parallel()
	defaults := testDefaults + `
return [msg, {payload: 2, meta: Object.assign({}, msg.meta, {tag_name: "copy", note: "x"})}];`
	tests := []struct {
		name    string
		headers []string
		want    [2][]string // header keys of the two messages; nil: every key
	}{
		{"all", nil, [2][]string{nil, nil}},
		{"none", []string{}, [2][]string{{}, {}}},
		{"some", []string{"opcua_node_id", "tag_name", "opcua_source_timestamp", "note"},
			[2][]string{{"opcua_node_id", "opcua_source_timestamp", "tag_name"}, {"opcua_node_id", "opcua_source_timestamp", "tag_name", "note"}}},
	}
	all := newTestEngine(t, Config{Defaults: Snippet{Code: defaults}}, zerolog.Nop())
	ref := process(all, testSample(testNode("t1"), 1.0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: defaults}, Headers: tt.headers}, zerolog.Nop())
			for range 2 { // the second sample reuses the node's cached headers
				r := process(e, testSample(testNode("t1"), 1.0))
				if len(r.msgs) != 2 || len(r.fails) > 0 {
					t.Fatalf("got %d messages, failures %v", len(r.msgs), r.fails)
				}
				for i, m := range r.msgs {
					if m.Subject != ref.msgs[i].Subject || string(m.Payload) != string(ref.msgs[i].Payload) {
						t.Errorf("message %d: %s %s, want %s %s", i, m.Subject, m.Payload, ref.msgs[i].Subject, ref.msgs[i].Payload)
					}
					var keys []string
					for _, h := range allHeaders(m) {
						keys = append(keys, h.Key)
						if v, _ := header(ref.msgs[i], h.Key); v != h.Value {
							t.Errorf("message %d header %s = %q, want %q", i, h.Key, h.Value, v)
						}
					}
					want := tt.want[i]
					if want == nil {
						for _, h := range allHeaders(ref.msgs[i]) {
							want = append(want, h.Key)
						}
					}
					slices.Sort(keys)
					want = slices.Sorted(slices.Values(want))
					if !slices.Equal(keys, want) && len(keys)+len(want) > 0 {
						t.Errorf("message %d headers %v, want %v", i, keys, want)
					}
				}
			}
		})
	}
}
