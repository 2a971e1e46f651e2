package engine

import (
	"slices"
	"testing"

	"github.com/rs/zerolog"
)

func TestMetaOnlyKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		keys []string // nil: not cacheable
	}{
		{`msg.meta.opcua_tag_name.startsWith("temp")`, []string{"opcua_tag_name"}},
		{`msg.meta.opcua_tag_group === "axis"`, []string{"opcua_tag_group"}},
		{`msg.meta["a"] === "x" && !(msg.meta.b || "").includes("y") // comment`, []string{"a", "b"}},
		{`msg.meta.a.split(".").length > 2 ? msg.meta.c === undefined : typeof msg.meta.d == "string"`, []string{"a", "c", "d"}},
		{`msg.payload > 100`, nil},
		{`msg.meta.opcua_source_timestamp > "2026"`, nil},
		{`msg.meta[msg.meta.k] === "x"`, nil},
		{`msg.meta.a === x`, nil},
		{`Date.now() > 0`, nil},
		{`Math.random() < 0.5`, nil},
		{`cache.exists(msg.meta.a)`, nil},
		{`console.log(msg.meta.a) === undefined`, nil},
		{`(msg.meta.a = "x") === "x"`, nil},
		{`"a" in msg.meta`, nil},
		{`msg.meta.a.replace(/x/, function() { return "y"; }) === "y"`, nil},
		{`msg.meta.toString() === ""`, nil},
		{`msg.meta.constructor === Object`, nil},
		{`(function() { return true; })()`, nil},
		{`msg.meta.a.localeCompare("b") > 0`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			s, err := compileScript("conditions[0].if", kindExpr, Snippet{Code: tt.expr}, true)
			if err != nil {
				t.Fatal(err)
			}
			if s.metaOnly != (tt.keys != nil) || !slices.Equal(s.metaKeys, tt.keys) {
				t.Errorf("got metaOnly %v keys %v, want keys %v", s.metaOnly, s.metaKeys, tt.keys)
			}
		})
	}
}

// TestConditionCacheFollowsChanges checks that a cached if result is not
// used once a stage changes a key the if reads, nor for another message.
func TestConditionCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults: Snippet{Code: testDefaults + `
if (msg.payload > 5) msg.meta.opcua_tag_group = "axis";
if (msg.payload === 7) return [msg, {payload: 1, meta: Object.assign({}, msg.meta, {opcua_tag_group: "line1", tag_name: "copy"})}];
return msg;`},
		Conditions: []Condition{cond(`msg.meta.opcua_tag_group === "axis"`, `msg.meta.virtual_path = "axis"; return msg;`)},
		Runtimes:   1,
	}, zerolog.Nop())
	const p = "umh.v1.enterprise.site._historian."
	n := testNode("t1")
	n2 := testNode("t2")
	n2.Group = "axis"
	tests := []struct {
		node    string
		payload float64
		want    []string
	}{
		{"t1", 1, []string{p + "t1"}},
		{"t1", 1, []string{p + "t1"}}, // cached false
		{"t1", 10, []string{p + "axis.t1"}},
		{"t1", 7, []string{p + "axis.t1", p + "copy"}},
		{"t1", 1, []string{p + "t1"}},
		{"t2", 1, []string{p + "axis.t2"}},
		{"t2", 1, []string{p + "axis.t2"}}, // cached true
		{"t1", 1, []string{p + "t1"}},
	}
	for i, tt := range tests {
		node := n
		if tt.node == "t2" {
			node = n2
		}
		r := process(e, testSample(node, tt.payload))
		if got := r.subjects(); !slices.Equal(got, tt.want) {
			t.Errorf("sample %d (%s, %v): got %q, want %q (failures %v)", i, tt.node, tt.payload, got, tt.want, r.fails)
		}
	}
}

// TestConditionCacheStatus checks that an if reading a sample-dependent
// key (the status) sees every sample's own value.
func TestConditionCacheStatus(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults:   Snippet{Code: testDefaults + `return msg;`},
		Conditions: []Condition{cond(`msg.meta.opcua_status_code !== "Good"`, `return null;`)},
		Runtimes:   1,
	}, zerolog.Nop())
	n := testNode("t1")
	for i, status := range []uint32{0, 0, 0x80000000, 0, 0x80000000} {
		s := testSample(n, 1.0)
		s.Status = status
		r := process(e, s)
		if want := status == 0; (len(r.msgs) == 1) != want {
			t.Errorf("sample %d status %#x: %d messages, want published %v", i, status, len(r.msgs), want)
		}
	}
}
