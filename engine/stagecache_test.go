package engine

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

func TestMetaOnlyStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		reads  []string
		writes []string
		ok     bool
	}{
		{`msg.meta.location_path = "enterprise.site.area.line"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = msg.meta.opcua_tag_name; return msg;`,
			[]string{"opcua_tag_name"}, []string{"location_path", "data_contract", "tag_name"}, true},
		{`msg.meta.virtual_path = "alarm"; return msg;`, nil, []string{"virtual_path"}, true},
		{`;msg.meta["a b"] = msg.meta.x + "." + msg.meta.y.toUpperCase();; return msg;;`, []string{"x", "y"}, []string{"a b"}, true},
		{`return msg; // nothing`, nil, nil, true},
		{`msg.meta.a = msg.meta.b.split("."); return msg;`, []string{"b"}, []string{"a"}, true}, // an object value: never recorded
		{`msg.meta.a = "x";`, nil, nil, false},                                                  // no return: drops the message
		{`msg.meta.a = "x"; return null;`, nil, nil, false},                                     //
		{`msg.meta.a = "x"; return [msg];`, nil, nil, false},                                    //
		{`return msg; msg.meta.a = "x";`, nil, nil, false},                                      //
		{`msg.payload = 1; return msg;`, nil, nil, false},                                       //
		{`msg.meta.a = msg.payload; return msg;`, nil, nil, false},                              //
		{`msg.meta.a = msg.meta.opcua_source_timestamp; return msg;`, nil, nil, false},          //
		{`msg.meta.__proto__ = "x"; return msg;`, nil, nil, false},                              //
		{`msg.meta.a += "x"; return msg;`, nil, nil, false},                                     //
		{`if (msg.meta.a) msg.meta.b = "x"; return msg;`, nil, nil, false},                      //
		{`var x = "a"; msg.meta.a = x; return msg;`, nil, nil, false},                           //
		{`msg.meta.a = cache.get("k"); return msg;`, nil, nil, false},                           //
		{`msg.meta.a = String(Date.now()); return msg;`, nil, nil, false},                       //
		{`console.log("x"); return msg;`, nil, nil, false},                                      //
		{`msg.meta[msg.meta.k] = "x"; return msg;`, nil, nil, false},                            //
		{`msg.meta = {}; return msg;`, nil, nil, false},                                         //
		{`delete msg.meta.a; return msg;`, nil, nil, false},                                     //
		{`msg.meta.a = (msg.meta.b = "y"); return msg;`, nil, nil, false},                       //
		{`msg.meta.a = "x"; return msg.meta.a === "x" ? msg : null;`, nil, nil, false},          //
		{`"use strict"; msg.meta.a = "x"; return msg;`, nil, []string{"a"}, true},               //
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			s, err := compileScript("defaults", kindBody, Snippet{Code: tt.body}, true)
			if err != nil {
				t.Fatal(err)
			}
			if s.metaOnly != tt.ok || !slices.Equal(s.metaKeys, tt.reads) || !slices.Equal(s.writeKeys, tt.writes) {
				t.Errorf("got metaOnly %v reads %v writes %v, want %v %v %v", s.metaOnly, s.metaKeys, s.writeKeys, tt.ok, tt.reads, tt.writes)
			}
		})
	}
}

// TestStageCacheMatchesRunningEveryTime runs the same samples through an
// engine whose meta-only stages are cached and through one that runs every
// stage every time, and requires identical messages: the cache must be
// invisible, including when an earlier stage changes a key a cached stage
// reads, when the status changes, on fan-out copies and for object values.
func TestStageCacheMatchesRunningEveryTime(t *testing.T) {
	t.Parallel()
	defaults := `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian";
msg.meta.tag_name = msg.meta.opcua_tag_name + "_" + msg.meta.opcua_status_code;
msg.meta.parts = msg.meta.opcua_tag_path.split(".");
return msg;`
	hiThen := `msg.meta.opcua_tag_group = "axis"; msg.meta.tag_name = msg.meta.tag_name + "_hi"; msg.meta.parts.push(msg.payload);
if (msg.payload === 7) return [msg, {payload: 1, meta: Object.assign({}, msg.meta, {tag_name: "copy"})}];
return msg;`
	axisThen := `msg.meta.virtual_path = msg.meta.opcua_tag_group + "." + msg.meta.opcua_tag_name; return msg;`
	adv := `msg.meta.extra = msg.meta.opcua_data_type.toLowerCase(); return msg;`
	build := func(noShortcuts bool) *Engine {
		return newTestEngine(t, Config{
			Defaults: Snippet{Code: defaults},
			Conditions: []Condition{
				{If: Snippet{Code: `msg.payload > 5`}, Then: Snippet{Code: hiThen}},
				{If: Snippet{Code: `msg.meta.opcua_tag_group === "axis"`}, Then: Snippet{Code: axisThen}},
			},
			AdvancedProcessing: Snippet{Code: adv},
			Runtimes:           1,
			NoShortcuts:        noShortcuts,
		}, zerolog.Nop())
	}
	cached, reference := build(false), build(true)
	for _, i := range []int{0, 4, 5} { // defaults, conditions[1].then, advancedProcessing
		if !cached.stages[i].script.metaOnly {
			t.Fatalf("stage %s should be cacheable", cached.stages[i].name)
		}
		if reference.stages[i].script.metaOnly {
			t.Fatalf("stage %s is cached without shortcuts", reference.stages[i].name)
		}
	}

	t1, t2, t3 := testNode("t1"), testNode("t2"), testNode("t3")
	t2.Group, t3.Group = "axis", "axis"
	steps := []struct {
		node    *tag.Node
		payload any
		status  uint32
	}{
		{t1, 1.0, 0}, {t1, 2.0, 0}, {t1, 10.0, 0}, {t1, 7.0, 0}, {t1, 3.0, 0x80000000}, {t1, 3.0, 0},
		{t2, 1.0, 0}, {t2, 1.0, 0}, {t2, 9.0, 0}, {t2, int64(4), 0}, {t2, "text", 0}, {t2, 1.0, 0}, {t1, 1.0, 0},
		{t3, 1.0, 0}, {t3, 2.0, 0}, {t2, 1.0, 0},
	}
	for i, st := range steps {
		s := testSample(st.node, st.payload)
		s.Status = st.status
		got, want := process(cached, s), process(reference, s)
		if len(got.fails)+len(want.fails) > 0 {
			t.Fatalf("step %d: failures %v / %v", i, got.fails, want.fails)
		}
		if g, w := describe(got.msgs), describe(want.msgs); g != w {
			t.Errorf("step %d (%s %v status %#x):\n got %s\nwant %s", i, st.node.Name, st.payload, st.status, g, w)
		}
	}

	// The effects were recorded where they may be, and only there: t2's,
	// the first, make the stages' shapes; t3's virtual_path does not fit
	// its stage's shape (a value of t2's own), so t3 has a record of it.
	ns := cached.nodes.get(&tag.Sample{Node: t2}, len(cached.stages))
	d, then1, adv1 := ns.stageState(0), ns.stageState(4), ns.stageState(5)
	if d != effectNever || then1 != effectShared || adv1 != effectShared || ns.effects.Load() != nil {
		t.Errorf("t2 effect states: defaults %d, conditions[1].then %d, advancedProcessing %d; want never (array value), shared, shared",
			d, then1, adv1)
	}
	ns = cached.nodes.get(&tag.Sample{Node: t3}, len(cached.stages))
	then1, adv1 = ns.stageState(4), ns.stageState(5)
	if then1 != effectCached || adv1 != effectShared || ns.effectOf(4) == nil || ns.effectOf(5) != nil {
		t.Errorf("t3 effect states: conditions[1].then %d, advancedProcessing %d; want cached, shared", then1, adv1)
	}
}

// TestStageEffectShape checks that the nodes whose recorded effect has
// their stage's shape (literals, and values that are the node's own
// strings) keep no record of their own, and that their messages are those
// of running every stage every time: also when a later stage reads,
// lists, deletes or overwrites a key the shape set to the node's string.
func TestStageEffectShape(t *testing.T) {
	t.Parallel()
	defaults := `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian";
msg.meta.tag_name = msg.meta.opcua_tag_name; msg.meta.node = msg.meta.opcua_node_id; msg.meta.n = 7;
return msg;`
	build := func(noShortcuts bool) *Engine {
		return newTestEngine(t, Config{
			Defaults: Snippet{Code: defaults},
			Conditions: []Condition{
				{If: Snippet{Code: `msg.meta.tag_name.startsWith("b")`}, Then: Snippet{Code: `msg.meta.virtual_path = msg.meta.tag_name + "_" + msg.meta.n; return msg;`}},
				{If: Snippet{Code: `msg.payload > 5 && msg.payload < 8`}, Then: Snippet{Code: `msg.meta.keys = Object.keys(msg.meta).join(","); delete msg.meta.node; return msg;`}},
				{If: Snippet{Code: `msg.payload > 8`}, Then: Snippet{Code: `msg.meta.tag_name = "hot_" + ("node" in msg.meta); return msg;`}},
			},
			Runtimes:    2,
			NoShortcuts: noShortcuts,
		}, zerolog.Nop())
	}
	cached, reference := build(false), build(true)

	var nodes []*tag.Node
	for _, name := range []string{"a1", "b2", "a3", "b4"} {
		nodes = append(nodes, testNode(name))
	}
	for round, v := range []float64{1, 2, 6, 9, 1} {
		for _, n := range nodes {
			s := testSample(n, v)
			got, want := process(cached, s), process(reference, s)
			if len(got.fails)+len(want.fails) > 0 {
				t.Fatalf("round %d %s: failures %v / %v", round, n.Name, got.fails, want.fails)
			}
			if g, w := describe(got.msgs), describe(want.msgs); g != w {
				t.Errorf("round %d %s:\n got %s\nwant %s", round, n.Name, g, w)
			}
		}
	}
	sh := cached.stages[0].shape.Load()
	if sh == nil || !slices.Equal(sh.ref, []uint8{0, 0, idxTagName + 1, idxNodeID + 1, 0}) {
		t.Fatalf("defaults shape %+v, want literals and refs to the tag name and node id", sh)
	}
	for _, n := range nodes {
		ns := cached.nodes.get(&tag.Sample{Node: n}, len(cached.stages))
		if st := ns.stageState(0); st != effectShared || ns.effects.Load() != nil {
			t.Errorf("%s: defaults state %d, own records %v; want the stage's shape and none", n.Name, st, ns.effects.Load() != nil)
		}
	}
}

// describe renders messages for comparison.
func describe(msgs []tag.Message) string {
	var s string
	for _, m := range msgs {
		s += fmt.Sprintf("%s %s %v; ", m.Subject, m.Payload, allHeaders(m))
	}
	return s
}
