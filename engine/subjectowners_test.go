package engine

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// temperatureNodes returns four Temperature nodes of four machines, as a
// browse root over a plant yields them.
func temperatureNodes() []*tag.Node {
	var nodes []*tag.Node
	for _, m := range []string{"Press1", "Press2", "Robot1", "Robot2"} {
		nodes = append(nodes, &tag.Node{
			Src: testSource, ID: "ns=2;s=Line1." + m + ".Temperature", BrowseName: "Temperature",
			Name: "Temperature", Group: "Line1." + m, Path: "Line1." + m + ".Temperature", DataType: "Double",
		})
	}
	return nodes
}

// TestSubjectCollisions runs nodes through the engine whose subjects
// collide when the tag name alone names them: every other node on a
// subject is counted once, one warning per subject names the first node
// and the second, and a subject that includes the group collides with
// nothing. The nodes run several times, also as fresh tag.Node values of
// the same node ids (a source that browsed again), which are no
// collisions.
func TestSubjectCollisions(t *testing.T) {
	t.Parallel()
	byGroup := `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian";
		msg.meta.virtual_path = msg.meta.opcua_tag_group; msg.meta.tag_name = msg.meta.opcua_tag_name; return msg;`
	tests := []struct {
		name     string
		code     string
		headers  []string // nil: every meta key (the subject is among the headers)
		want     uint64
		subjects int
	}{
		{name: "name only, subject in headers", code: testDefaults + "return msg;", want: 3, subjects: 1},
		{name: "name only, no headers", code: testDefaults + "return msg;", headers: []string{}, want: 3, subjects: 1},
		{name: "name only, subject parts set per message", code: testDefaults + `msg.meta.location_path = "enterprise." + "site"; return msg;`, headers: []string{"opcua_node_id"}, want: 3, subjects: 1},
		{name: "group and name", code: byGroup, want: 0, subjects: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs logBuffer
			e := newTestEngine(t, Config{Defaults: Snippet{Code: tt.code}, Headers: tt.headers}, zerolog.New(&logs))
			nodes := temperatureNodes()
			subjects := map[string]bool{}
			for round := range 3 {
				for i, n := range nodes {
					if round == 2 {
						c := *n // the same node, browsed again
						n = &c
					}
					r := process(e, testSample(n, float64(round*10+i)))
					if len(r.fails) > 0 || len(r.msgs) != 1 {
						t.Fatalf("node %s: %d messages, failures %v", n.ID, len(r.msgs), r.fails)
					}
					subjects[r.msgs[0].Subject] = true
				}
			}
			if len(subjects) != tt.subjects {
				t.Fatalf("got subjects %v, want %d", subjects, tt.subjects)
			}
			if got := e.Stats().SubjectCollisions; got != tt.want {
				t.Errorf("SubjectCollisions = %d, want %d", got, tt.want)
			}
			warns := logs.lines(t, `"level":"warn"`)
			if tt.want == 0 {
				if len(warns) > 0 {
					t.Fatalf("unexpected warnings: %v", warns)
				}
				return
			}
			if len(warns) != 1 {
				t.Fatalf("got %d warnings, want 1 for the one subject: %v", len(warns), warns)
			}
			w := warns[0]
			if w["subject"] != "umh.v1.enterprise.site._historian.Temperature" || w["first_node"] != nodes[0].ID ||
				w["node"] != nodes[1].ID || w["source"] != testSource.Name || w["first_source"] != testSource.Name ||
				!strings.Contains(w["message"].(string), "opcua_tag_group") {
				t.Errorf("warning %v: want the subject, first node %s, node %s, source %s and the opcua_tag_group hint",
					w, nodes[0].ID, nodes[1].ID, testSource.Name)
			}
		})
	}
}

// TestSubjectCollisionsAcrossSources checks that the same node id in two
// sources is two nodes.
func TestSubjectCollisionsAcrossSources(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + "return msg;"}}, zerolog.Nop())
	a, b := testNode("Speed"), testNode("Speed")
	b.Src = &tag.SourceInfo{Name: "plc2", Endpoint: "opc.tcp://10.0.0.6:4840"}
	for _, n := range []*tag.Node{a, b, a, b} {
		if r := process(e, testSample(n, 1.0)); len(r.msgs) != 1 {
			t.Fatalf("node %s: %d messages, failures %v", n.ID, len(r.msgs), r.fails)
		}
	}
	if got := e.Stats().SubjectCollisions; got != 1 {
		t.Errorf("SubjectCollisions = %d, want 1", got)
	}
}

// TestSubjectOwnersLimit checks that the table stops at its limit, says so
// once, and still reports collisions on the subjects it holds.
func TestSubjectOwnersLimit(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	o := newSubjectOwners(zerolog.New(&logs))
	o.limit = 3
	nodes := temperatureNodes()
	for i, subj := range []string{"a.b", "a.c", "a.d", "a.e", "a.f"} {
		o.claim(subj, nodes[i%len(nodes)])
	}
	if got := o.size.Load(); got != 3 {
		t.Fatalf("remembers %d subjects, want 3", got)
	}
	if lines := logs.lines(t, "stopped taking new subjects"); len(lines) != 1 {
		t.Fatalf("got %d lines about the limit, want 1", len(lines))
	}
	o.claim("a.e", nodes[1]) // not remembered: no collision can be seen
	o.claim("a.b", nodes[1]) // remembered with nodes[0]
	o.claim("a.b", nodes[1])
	if got := o.count(); got != 1 {
		t.Fatalf("counted %d collisions, want 1", got)
	}
}
