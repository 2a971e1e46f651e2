package engine

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

func TestMetaKeys(t *testing.T) {
	t.Parallel()
	n := testNode("speed_1")
	n.Group, n.Path, n.BrowseName = "axis", "axis.speed_1", "Speed 1"
	n.Extra = map[string]string{"line": "4", "opcua_node_id": "not overridden"}
	tests := []struct {
		name   string
		sample tag.Sample
		want   map[string]string // "<absent>" for a key that must not exist
	}{
		{
			name:   "good double with both timestamps",
			sample: testSample(n, 1.5),
			want: map[string]string{
				MetaSource: "plc1", MetaEndpoint: "opc.tcp://10.0.0.5:4840", MetaNodeID: "ns=2;s=Line1.speed_1",
				MetaTagName: "speed_1", MetaTagGroup: "axis", MetaTagPath: "axis", MetaTagType: "number",
				MetaDataType: "Double", MetaStatusCode: "Good",
				MetaSourceTimestamp: "2026-03-04T05:06:07.89Z", MetaServerTimestamp: "2026-03-04T05:06:08.89Z",
				MetaAttrNodeID: "ns=2;s=Line1.speed_1", MetaAttrBrowseName: "Speed 1", MetaAttrDataType: "Double",
				MetaAttrStatusCode: "Good", "line": "4",
			},
		},
		{
			name: "bad status, string value, no server timestamp",
			sample: tag.Sample{Node: n, Value: "x", SourceTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)),
				Status: 0x800A0000},
			want: map[string]string{
				MetaTagType: "string", MetaStatusCode: "BadTimeout", MetaAttrStatusCode: "BadTimeout",
				MetaSourceTimestamp: "2025-12-31T23:00:00Z", MetaServerTimestamp: "<absent>",
			},
		},
		{
			name:   "no timestamps",
			sample: tag.Sample{Node: n, Value: true, ReceivedAt: testT0},
			want:   map[string]string{MetaTagType: "bool", MetaSourceTimestamp: "<absent>", MetaServerTimestamp: "<absent>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The script reads every key, so the JS values are checked as
			// well as the headers built without JS.
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `
msg.meta.seen = Object.keys(msg.meta).filter(function(k) { return k.indexOf("opcua_") === 0 || k === "line"; })
	.map(function(k) { return k + "=" + msg.meta[k]; }).join("|");
return msg;`}, Runtimes: 1, BadStatus: BadStatusKeep}, zerolog.Nop())
			// Twice: the first sample of a node builds its cache, the
			// second one uses it.
			for round := range 2 {
				r := process(e, tt.sample)
				if len(r.msgs) != 1 {
					t.Fatalf("round %d: failures %v", round, r.fails)
				}
				m := r.msgs[0]
				seen, _ := header(m, "seen")
				for k, want := range tt.want {
					got, ok := header(m, k)
					if !ok {
						got = "<absent>"
					}
					if got != want {
						t.Errorf("round %d: header %s = %q, want %q", round, k, got, want)
					}
					if want != "<absent>" && !slices.Contains(splitSeen(seen), k+"="+want) {
						t.Errorf("round %d: msg.meta.%s not %q in script: %s", round, k, want, seen)
					}
				}
				if hs := allHeaders(m); hs[0].Key != MetaSource {
					t.Errorf("first header %s, want %s", hs[0].Key, MetaSource)
				}
				if m.Node != n || !m.SourceTime.Equal(tt.sample.SourceTime) {
					t.Errorf("node or source time not copied into the message")
				}
			}
		})
	}
}

func splitSeen(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '|' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func TestHeaderOrderStable(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `msg.meta.z = "1"; msg.meta.a = "2"; msg.meta.opcua_tag_type = "changed"; return msg;`}}, zerolog.Nop())
	var first []string
	for i := range 3 {
		r := process(e, testSample(testNode("t1"), float64(i)))
		if len(r.msgs) != 1 {
			t.Fatalf("failures %v", r.fails)
		}
		var keys []string
		for _, h := range allHeaders(r.msgs[0]) {
			keys = append(keys, h.Key)
		}
		if first == nil {
			first = keys
			continue
		}
		if !slices.Equal(keys, first) {
			t.Fatalf("header order changed: %v then %v", first, keys)
		}
	}
	// The per-message timestamps and umh_topic come last, after the
	// node's shared headers.
	wantTail := []string{"location_path", "data_contract", "tag_name", "z", "a", MetaSourceTimestamp, MetaServerTimestamp, MetaUMHTopic}
	if !slices.Equal(first[len(first)-8:], wantTail) {
		t.Errorf("headers end with %v, want %v", first[len(first)-8:], wantTail)
	}
	if i := slices.Index(first, MetaTagType); i != 6 {
		t.Errorf("changed %s at position %d, want its place 6", MetaTagType, i)
	}
}

func TestTimestampOrder(t *testing.T) {
	t.Parallel()
	src, srv, recv := testT0, testT0.Add(time.Second), testT0.Add(2*time.Second)
	tests := []struct {
		name   string
		set    string // JS run in defaults
		sample tag.Sample
		want   int64
	}{
		{"meta timestamp_ms wins", `msg.meta.timestamp_ms = "1700000000123"; msg.meta.timestamp = "1600000000000";`,
			tag.Sample{SourceTime: src}, 1700000000123},
		{"meta timestamp_ms as a number", `msg.meta.timestamp_ms = 1700000000124;`, tag.Sample{SourceTime: src}, 1700000000124},
		{"meta timestamp next", `msg.meta.timestamp = "2023-11-14T22:13:20.5Z";`, tag.Sample{SourceTime: src}, 1700000000500},
		{"invalid meta falls back to the source time", `msg.meta.timestamp_ms = "soon";`, tag.Sample{SourceTime: src, ServerTime: srv}, src.UnixMilli()},
		{"source time", ``, tag.Sample{SourceTime: src, ServerTime: srv, ReceivedAt: recv}, src.UnixMilli()},
		{"server time when no source time", ``, tag.Sample{ServerTime: srv, ReceivedAt: recv}, srv.UnixMilli()},
		{"receive time last", ``, tag.Sample{ReceivedAt: recv}, recv.UnixMilli()},
		{"zero ms is valid", `msg.meta.timestamp_ms = "0";`, tag.Sample{SourceTime: src}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + tt.set + ` return msg;`}}, zerolog.Nop())
			s := tt.sample
			s.Node, s.Value = testNode("t1"), 1.0
			r := process(e, s)
			if len(r.msgs) != 1 {
				t.Fatalf("failures %v", r.fails)
			}
			if got := r.msgs[0].TimestampMs; got != tt.want {
				t.Errorf("timestamp %d, want %d", got, tt.want)
			}
		})
	}
}

// TestPayloadWiring checks that finalize hands the codec the original Go
// value when the script left msg.payload alone, and the JS value otherwise.
func TestPayloadWiring(t *testing.T) {
	t.Parallel()
	const maxU64 = uint64(1<<64 - 1)
	tests := []struct {
		name  string
		code  string
		value any
		want  string // the JSON text of "value"
	}{
		{"untouched uint64 max stays exact", `return msg;`, maxU64, "18446744073709551615"},
		{"read but unchanged stays exact", `if (msg.payload > 0) msg.meta.positive = "yes"; return msg;`, maxU64, "18446744073709551615"},
		{"changed payload", `msg.payload = msg.payload * 2; return msg;`, 21.25, "42.5"},
		{"replaced by a string", `msg.payload = "0012"; return msg;`, 12.0, `"0012"`},
		{"copy keeps the value", `return {payload: msg.payload, meta: msg.meta};`, maxU64, "18446744073709551615"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + tt.code}}, zerolog.Nop())
			r := process(e, testSample(testNode("t1"), tt.value))
			if len(r.msgs) != 1 {
				t.Fatalf("failures %v", r.fails)
			}
			got := string(r.msgs[0].Payload)
			want := `{"value":` + tt.want + `,"timestamp_ms":` + strconv.FormatInt(testT0.UnixMilli(), 10) + `}`
			if got != want {
				t.Errorf("payload %s, want %s", got, want)
			}
		})
	}
}

// TestSharedHeaders checks that consecutive messages of a node share one
// immutable block of unchanged headers and own only their timestamps, and
// that a changed header value gives a new shared block with that value.
func TestSharedHeaders(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `msg.meta.level = msg.payload > 10 ? "high" : "low"; return msg;`}, Runtimes: 1}, zerolog.Nop())
	n := testNode("t1")
	first := process(e, testSample(n, 1.0)).msgs[0]
	second := process(e, testSample(n, 2.0)).msgs[0]
	high := process(e, testSample(n, 20.0)).msgs[0]
	if first.SharedHeaders.Len() == 0 || first.SharedHeaders != second.SharedHeaders {
		t.Fatalf("unchanged meta did not share its headers")
	}
	if len(second.Headers) != 3 || second.Headers[0].Key != MetaSourceTimestamp || second.Headers[2].Key != MetaUMHTopic {
		t.Fatalf("own headers %v, want the two timestamps and umh_topic", second.Headers)
	}
	if high.SharedHeaders == second.SharedHeaders {
		t.Fatalf("changed meta reused the old shared headers")
	}
	// A node alternating between two variants reuses both.
	lowAgain := process(e, testSample(n, 3.0)).msgs[0]
	highAgain := process(e, testSample(n, 30.0)).msgs[0]
	if lowAgain.SharedHeaders != first.SharedHeaders || highAgain.SharedHeaders != high.SharedHeaders {
		t.Fatalf("alternating variants did not reuse their shared headers")
	}
	for _, c := range []struct {
		m    tag.Message
		want string
	}{{first, "low"}, {second, "low"}, {high, "high"}} {
		if v, _ := header(c.m, "level"); v != c.want {
			t.Errorf("level %q, want %q", v, c.want)
		}
	}
}
