package engine

import (
	"testing"

	"github.com/rs/zerolog"
)

// TestVirtualPathNormalized checks UMH's virtual_path rule on the subject
// and the headers, for the runtime's own meta and for a new meta object.
func TestVirtualPathNormalized(t *testing.T) {
	t.Parallel()
	const base = "umh.v1.enterprise.site._historian."
	tests := []struct {
		name, vp    string
		wantSubject string
		wantHeader  string // "" = no virtual_path header
	}{
		{name: "kept", vp: `"axis.x"`, wantSubject: base + "axis.x.t1", wantHeader: "axis.x"},
		{name: "trimmed", vp: `"  axis.x\t"`, wantSubject: base + "axis.x.t1", wantHeader: "axis.x"},
		{name: "empty", vp: `""`, wantSubject: base + "t1"},
		{name: "blank", vp: `"   "`, wantSubject: base + "t1"},
		{name: "padded Undefined", vp: `"  Undefined "`, wantSubject: base + "t1"},
		{name: "undefined value", vp: `undefined`, wantSubject: base + "t1"},
		{name: "null value", vp: `null`, wantSubject: base + "t1"},
		{name: "NULL", vp: `"NULL"`, wantSubject: base + "t1"},
		{name: "nil", vp: `"Nil"`, wantSubject: base + "t1"},
		{name: "<nil>", vp: `"<NIL>"`, wantSubject: base + "t1"},
		{name: "a word that starts like null", vp: `"nulls"`, wantSubject: base + "nulls.t1", wantHeader: "nulls"},
	}
	for _, tt := range tests {
		for _, form := range []string{"own meta", "new meta"} {
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				t.Parallel()
				code := testDefaults + "msg.meta.virtual_path = " + tt.vp + "; return msg;"
				if form == "new meta" {
					code = testDefaults + "return {payload: msg.payload, meta: {...msg.meta, virtual_path: " + tt.vp + "}};"
				}
				e := newTestEngine(t, Config{Defaults: Snippet{Code: code}}, zerolog.Nop())
				r := process(e, testSample(testNode("t1"), 1.0))
				if len(r.msgs) != 1 {
					t.Fatalf("failures %v", r.fails)
				}
				m := r.msgs[0]
				if m.Subject != tt.wantSubject {
					t.Errorf("subject %q, want %q", m.Subject, tt.wantSubject)
				}
				got, ok := header(m, MetaVirtualPath)
				if tt.wantHeader == "" && ok {
					t.Errorf("virtual_path header %q kept, want none", got)
				}
				if tt.wantHeader != "" && got != tt.wantHeader {
					t.Errorf("virtual_path header %q, want %q", got, tt.wantHeader)
				}
				if topic, _ := header(m, MetaUMHTopic); topic != tt.wantSubject {
					t.Errorf("umh_topic %q, want the subject %q", topic, tt.wantSubject)
				}
			})
		}
	}
}

// TestUMHTopic checks that every message carries umh_topic = its subject,
// also one fanned out, that a script's own umh_topic is replaced, and that
// a header selection without umh_topic leaves it out.
func TestUMHTopic(t *testing.T) {
	t.Parallel()
	code := testDefaults + `msg.meta.umh_topic = "mine";
return [msg, {payload: 2, meta: {...msg.meta, tag_name: "other"}}];`
	e := newTestEngine(t, Config{Defaults: Snippet{Code: code}}, zerolog.Nop())
	r := process(e, testSample(testNode("t1"), 1.0))
	if len(r.msgs) != 2 {
		t.Fatalf("failures %v", r.fails)
	}
	for _, m := range r.msgs {
		n := 0
		for _, h := range allHeaders(m) {
			if h.Key == MetaUMHTopic {
				n++
				if h.Value != m.Subject {
					t.Errorf("umh_topic %q, want %q", h.Value, m.Subject)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d umh_topic headers, want 1", m.Subject, n)
		}
	}
	sel := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + "return msg;"}, Headers: []string{"tag_name"}}, zerolog.Nop())
	r = process(sel, testSample(testNode("t1"), 1.0))
	if _, ok := header(r.msgs[0], MetaUMHTopic); ok {
		t.Error("umh_topic published although the header selection leaves it out")
	}
}

func TestNormalizeVirtualPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", " ": "", "null": "", "NULL": "", "Nil": "", "<NIL>": "", "UNDEFINED": "", " undefined\t": "",
		"nul": "nul", "nulls": "nulls", "nill": "nill", "<nil": "<nil", "undefine": "undefine",
		"alarm": "alarm", "axis.x": "axis.x", " axis ": "axis", "n": "n", "<": "<",
	} {
		if got := normalizeVirtualPath(in); got != want {
			t.Errorf("normalizeVirtualPath(%q) = %q, want %q", in, got, want)
		}
	}
}
