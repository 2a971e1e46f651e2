package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func cond(ifCode, thenCode string) Condition {
	return Condition{If: Snippet{Code: ifCode}, Then: Snippet{Code: thenCode}}
}

// failureKey is the part of a Failure the stage tests compare.
type failureKey struct {
	Stage  string
	Reason Reason
}

func TestStages(t *testing.T) {
	t.Parallel()
	const prefix = "umh.v1.enterprise.site._historian."
	tests := []struct {
		name     string
		cfg      Config
		tagName  string
		want     []string // subjects, in order
		wantHdr  map[string]string
		wantFail []failureKey
	}{
		{
			name: "stage order defaults, conditions in list order, advancedProcessing",
			cfg: Config{
				Defaults: Snippet{Code: testDefaults + `msg.meta.trace = "d"; return msg;`},
				Conditions: []Condition{
					cond(`true`, `msg.meta.trace += ",c0"; return msg;`),
					cond(`false`, `msg.meta.trace += ",never"; return msg;`),
					cond(`true`, `msg.meta.trace += ",c2"; return msg;`),
				},
				AdvancedProcessing: Snippet{Code: `msg.meta.trace += ",a"; return msg;`},
			},
			want:    []string{prefix + "t1"},
			wantHdr: map[string]string{"trace": "d,c0,c2,a"},
		},
		{
			name: "an if sees changes of earlier conditions",
			cfg: Config{
				Defaults: Snippet{Code: testDefaults + `return msg;`},
				Conditions: []Condition{
					cond(`true`, `msg.meta.virtual_path = "x"; return msg;`),
					cond(`msg.meta.virtual_path === "x"`, `msg.meta.tag_name = "seen"; return msg;`),
				},
			},
			want: []string{"umh.v1.enterprise.site._historian.x.seen"},
		},
		{
			name: "fan-out from defaults continues through two conditions in order",
			cfg: Config{
				Defaults: Snippet{Code: testDefaults + `
var b = {payload: msg.payload, meta: Object.assign({}, msg.meta, {tag_name: "b"})};
return [msg, b];`},
				Conditions: []Condition{
					cond(`true`, `msg.meta.virtual_path = "v"; return msg;`),
					cond(`msg.meta.tag_name === "b"`, `msg.meta.tag_name = "b2"; return msg;`),
				},
			},
			want: []string{prefix + "v.t1", prefix + "v.b2"},
		},
		{
			name: "a condition's copy is matched by a later condition",
			cfg: Config{
				Defaults: Snippet{Code: testDefaults + `return msg;`},
				Conditions: []Condition{
					cond(`msg.meta.tag_name === "t1"`, `return [msg, {payload: 1, meta: Object.assign({}, msg.meta, {tag_name: "copy"})}];`),
					cond(`msg.meta.tag_name === "copy"`, `msg.meta.virtual_path = "copied"; return msg;`),
				},
			},
			want: []string{prefix + "t1", prefix + "copied.copy"},
		},
		{
			name: "null and undefined elements of a fan-out are skipped",
			cfg:  Config{Defaults: Snippet{Code: testDefaults + `return [null, msg, undefined];`}},
			want: []string{prefix + "t1"},
		},
		{
			name: "a throw fails one of three messages, the others pass",
			cfg: Config{
				Defaults: Snippet{Code: testDefaults + `
return ["a", "b", "c"].map(function(n) { return {payload: 1, meta: Object.assign({}, msg.meta, {tag_name: n})}; });`},
				Conditions: []Condition{
					cond(`msg.meta.tag_name === "b"`, `throw new Error("boom");`),
				},
			},
			want:     []string{prefix + "a", prefix + "c"},
			wantFail: []failureKey{{"conditions[0].then", ReasonException}},
		},
		{
			name:     "a throwing if fails its message",
			cfg:      Config{Defaults: Snippet{Code: testDefaults + `return msg;`}, Conditions: []Condition{cond(`msg.nope.x`, `return msg;`)}},
			wantFail: []failureKey{{"conditions[0].if", ReasonException}},
		},
		{
			name: "an if may end with a line comment",
			cfg: Config{
				Defaults:   Snippet{Code: testDefaults + `return msg;`},
				Conditions: []Condition{cond(`msg.meta.tag_name === "t1" // only t1`, `msg.meta.virtual_path = "c"; return msg;`)},
			},
			want: []string{prefix + "c.t1"},
		},
		{
			name:     "return 42 is a bad return",
			cfg:      Config{Defaults: Snippet{Code: testDefaults + `return 42;`}},
			wantFail: []failureKey{{StageDefaults, ReasonBadReturn}},
		},
		{
			name:     "an array holding a non-object is a bad return",
			cfg:      Config{Defaults: Snippet{Code: testDefaults + `return [msg, 5];`}},
			wantFail: []failureKey{{StageDefaults, ReasonBadReturn}},
		},
		{
			name:     "a message whose meta is not an object is a bad return",
			cfg:      Config{Defaults: Snippet{Code: testDefaults + `return {payload: 1, meta: "x"};`}},
			wantFail: []failureKey{{StageDefaults, ReasonBadReturn}},
		},
		{
			name:     "msg.meta replaced by a string is a bad return",
			cfg:      Config{AdvancedProcessing: Snippet{Code: `msg.meta = 5; return msg;`}},
			wantFail: []failureKey{{StageAdvancedProcessing, ReasonBadReturn}},
		},
		{
			name: "null drops the message",
			cfg:  Config{Defaults: Snippet{Code: testDefaults + `return null;`}},
		},
		{
			name: "an empty array drops the message",
			cfg:  Config{Defaults: Snippet{Code: testDefaults + `return [];`}},
		},
		{
			name:     "a missing required field fails in finalize",
			cfg:      Config{Defaults: Snippet{Code: `msg.meta.location_path = "a"; msg.meta.tag_name = "x"; return msg;`}},
			wantFail: []failureKey{{StageFinalize, ReasonMissingField}},
		},
		{
			name:     "an empty required field fails in finalize",
			cfg:      Config{Defaults: Snippet{Code: testDefaults + `msg.meta.data_contract = ""; return msg;`}},
			wantFail: []failureKey{{StageFinalize, ReasonMissingField}},
		},
		{
			name: "a plain object message with its own meta is published",
			cfg:  Config{Defaults: Snippet{Code: `return {payload: "x", meta: {location_path: "l", data_contract: "_c", tag_name: "n", k: 7}};`}},
			want: []string{"umh.v1.l._c.n"},
			wantHdr: map[string]string{
				"k": "7", "location_path": "l",
			},
		},
		{
			name: "deleted and null meta keys are not headers",
			cfg: Config{Defaults: Snippet{Code: testDefaults + `
delete msg.meta.opcua_endpoint; msg.meta.gone = null; msg.meta.keep = "k"; return msg;`}},
			want:    []string{prefix + "t1"},
			wantHdr: map[string]string{"keep": "k", "opcua_endpoint": "<absent>", "gone": "<absent>"},
		},
		{
			name: "a custom subject prefix",
			cfg: Config{
				Defaults:      Snippet{Code: testDefaults + `return msg;`},
				SubjectPrefix: "acme.v2",
			},
			want: []string{"acme.v2.enterprise.site._historian.t1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, tt.cfg, zerolog.Nop())
			name := tt.tagName
			if name == "" {
				name = "t1"
			}
			r := process(e, testSample(testNode(name), 42.5))
			if got := r.subjects(); !slices.Equal(got, tt.want) {
				t.Errorf("subjects: got %q, want %q (failures %v)", got, tt.want, r.fails)
			}
			var gotFail []failureKey
			for _, f := range r.fails {
				gotFail = append(gotFail, failureKey{f.Stage, f.Reason})
				if f.Err == nil {
					t.Errorf("failure %v has no error", f)
				}
			}
			if !slices.Equal(gotFail, tt.wantFail) {
				t.Errorf("failures: got %v, want %v (%v)", gotFail, tt.wantFail, r.fails)
			}
			for k, want := range tt.wantHdr {
				if len(r.msgs) == 0 {
					t.Fatalf("no message to check header %s", k)
				}
				got, ok := header(r.msgs[0], k)
				if !ok {
					got = "<absent>"
				}
				if got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			st := e.Stats()
			if st.Samples != 1 || st.Emitted != uint64(len(r.msgs)) {
				t.Errorf("stats: %+v, want 1 sample and %d emitted", st, len(r.msgs))
			}
			var failed uint64
			for _, m := range st.Failed {
				for _, n := range m {
					failed += n
				}
			}
			if failed != uint64(len(r.fails)) {
				t.Errorf("stats: %d failed, want %d", failed, len(r.fails))
			}
		})
	}
}

// TestFailurePosition checks that a failure points into the user's snippet:
// line, column, site-file line and the offending line itself.
func TestFailurePosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        Config
		wantStage  string
		wantLine   int
		wantFile   int
		wantSource string
	}{
		{
			name:      "defaults",
			cfg:       Config{Defaults: Snippet{Code: testDefaults + "\nvar a = 1;\n  null.x;\nreturn msg;", File: "site.yaml", Line: 10}},
			wantStage: StageDefaults, wantLine: 3, wantFile: 12, wantSource: "null.x;",
		},
		{
			name: "then",
			cfg: Config{Defaults: Snippet{Code: testDefaults + "return msg;"}, Conditions: []Condition{
				cond("true", "return msg;"),
				cond("true", "var x = 1;\nthrow new TypeError('bad ' + x);"),
			}},
			wantStage: "conditions[1].then", wantLine: 2, wantSource: "throw new TypeError('bad ' + x);",
		},
		{
			name: "if on its first line",
			cfg: Config{Defaults: Snippet{Code: testDefaults + "return msg;"}, Conditions: []Condition{
				cond("msg.meta.none.length > 1", "return msg;"),
			}},
			wantStage: "conditions[0].if", wantLine: 1, wantSource: "msg.meta.none.length > 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, tt.cfg, zerolog.Nop())
			r := process(e, testSample(testNode("t1"), 1.0))
			if len(r.fails) != 1 {
				t.Fatalf("got %d failures (%v), want 1", len(r.fails), r.fails)
			}
			f := r.fails[0]
			if f.Stage != tt.wantStage || f.Line != tt.wantLine || f.FileLine != tt.wantFile || f.Source != tt.wantSource || f.Column < 1 {
				t.Errorf("got stage %q line %d column %d file line %d source %q, want %q line %d file line %d source %q",
					f.Stage, f.Line, f.Column, f.FileLine, f.Source, tt.wantStage, tt.wantLine, tt.wantFile, tt.wantSource)
			}
			if !strings.Contains(f.Error(), tt.wantStage) {
				t.Errorf("error %q does not name the stage", f.Error())
			}
		})
	}
}
