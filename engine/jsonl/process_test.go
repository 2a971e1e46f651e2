package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// processClock is the receive time golden cases see: 2026-01-01T00:00:00Z,
// 1767225600000 ms.
var processClock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// goldenConfig is a case's engine.Config as JSON (config.json), with the
// keys of the site file's tag_processor block.
type goldenConfig struct {
	Defaults   string `json:"defaults"`
	Conditions []struct {
		If   string `json:"if"`
		Then string `json:"then"`
	} `json:"conditions"`
	AdvancedProcessing string `json:"advancedProcessing"`
	SubjectPrefix      string `json:"subject_prefix"`
	Timeout            string `json:"timeout"`
}

func (g goldenConfig) config() (engine.Config, error) {
	cfg := engine.Config{
		Defaults:           engine.Snippet{Code: g.Defaults},
		AdvancedProcessing: engine.Snippet{Code: g.AdvancedProcessing},
		SubjectPrefix:      g.SubjectPrefix,
		Runtimes:           1,
	}
	for _, c := range g.Conditions {
		cfg.Conditions = append(cfg.Conditions, engine.Condition{If: engine.Snippet{Code: c.If}, Then: engine.Snippet{Code: c.Then}})
	}
	if g.Timeout != "" {
		d, err := time.ParseDuration(g.Timeout)
		if err != nil {
			return cfg, fmt.Errorf("timeout: %w", err)
		}
		cfg.Timeout = d
	}
	return cfg, nil
}

// wantMessage is one line of want.jsonl: subject and payload must match
// exactly; every header listed must be present with that value (others may
// be present too); "no_headers" lists keys that must be absent.
type wantMessage struct {
	Subject   string            `json:"subject"`
	Payload   json.RawMessage   `json:"payload"`
	Headers   map[string]string `json:"headers"`
	NoHeaders []string          `json:"no_headers"`
}

// wantFailure is one line of want_err.jsonl: input, stage and reason must
// match; error must be contained in the reported error; line and column
// must match when given (non-zero). The last line of want_err.jsonl is the summary,
// matched exactly.
type wantFailure struct {
	Input  int    `json:"input"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// TestProcessGolden runs every case in testdata/process through the real
// engine with RunProcess's runner: config.json, input.jsonl, want.jsonl,
// want_err.jsonl.
func TestProcessGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "process", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			var g goldenConfig
			readJSON(t, filepath.Join(dir, "config.json"), &g)
			cfg, err := g.config()
			if err != nil {
				t.Fatal(err)
			}
			cfg.StatusName = opcua.StatusName
			e, err := engine.New(cfg, zerolog.Nop())
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			t.Cleanup(e.Close)
			in, err := os.Open(filepath.Join(dir, "input.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out, errOut bytes.Buffer
			if _, err := runProcess(e.Process, func() uint64 { return filteredTotal(e.Stats()) },
				in, &out, &errOut, opcua.StatusCodeByName, func() time.Time { return processClock }); err != nil {
				t.Fatalf("runProcess: %v", err)
			}
			checkMessages(t, readLines(t, filepath.Join(dir, "want.jsonl")), lines(out.String()))
			checkFailures(t, readLines(t, filepath.Join(dir, "want_err.jsonl")), lines(errOut.String()))
		})
	}
}

func checkMessages(t *testing.T, want, got []string) {
	t.Helper()
	for i := 0; i < max(len(want), len(got)); i++ {
		if i >= len(got) {
			t.Errorf("message %d missing, want %s", i+1, want[i])
			continue
		}
		if !json.Valid([]byte(got[i])) {
			t.Errorf("message %d is not valid JSON: %s", i+1, got[i])
			continue
		}
		if i >= len(want) {
			t.Errorf("unexpected message %d: %s", i+1, got[i])
			continue
		}
		var w wantMessage
		var g struct {
			Subject string            `json:"subject"`
			Payload json.RawMessage   `json:"payload"`
			Headers map[string]string `json:"headers"`
		}
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatalf("want.jsonl line %d: %v", i+1, err)
		}
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if g.Subject != w.Subject || string(g.Payload) != string(w.Payload) {
			t.Errorf("message %d:\n got %s %s\nwant %s %s", i+1, g.Subject, g.Payload, w.Subject, w.Payload)
		}
		for k, v := range w.Headers {
			if gv, ok := g.Headers[k]; !ok || gv != v {
				t.Errorf("message %d header %q = %q (present %v), want %q", i+1, k, gv, ok, v)
			}
		}
		for _, k := range w.NoHeaders {
			if gv, ok := g.Headers[k]; ok {
				t.Errorf("message %d header %q = %q, want it absent", i+1, k, gv)
			}
		}
	}
}

func checkFailures(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) == 0 || len(got) == 0 {
		t.Fatalf("want_err.jsonl and the error output must end with the summary; got %q", got)
	}
	if diff := cmp.Diff(want[len(want)-1], got[len(got)-1]); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	want, got = want[:len(want)-1], got[:len(got)-1]
	for i := 0; i < max(len(want), len(got)); i++ {
		if i >= len(got) {
			t.Errorf("failure %d missing, want %s", i+1, want[i])
			continue
		}
		if i >= len(want) {
			t.Errorf("unexpected failure %d: %s", i+1, got[i])
			continue
		}
		var w, g wantFailure
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatalf("want_err.jsonl line %d: %v", i+1, err)
		}
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("failure %d is not valid JSON: %v: %s", i+1, err, got[i])
		}
		if g.Input != w.Input || g.Stage != w.Stage || g.Reason != w.Reason || !strings.Contains(g.Error, w.Error) ||
			w.Line != 0 && g.Line != w.Line || w.Column != 0 && g.Column != w.Column {
			t.Errorf("failure %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return lines(string(b))
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// fakeProcess stands in for Engine.Process in the runner's own tests (the
// golden cases run the real engine): it publishes every sample under its
// tag name with its value as JSON, fails samples whose value is the string "fail",
// and filters those whose value is the string "drop".
func fakeProcess(filtered *uint64) processFunc {
	return func(s *tag.Sample, dst []tag.Message, fail func(engine.Failure)) []tag.Message {
		switch s.Value {
		case "fail":
			fail(engine.Failure{Stage: engine.StageDefaults, Reason: engine.ReasonException, Line: 2, Column: 5, Source: "throw x", Err: errors.New("boom")})
			return dst
		case "drop":
			*filtered++
			return dst
		}
		if strings.ContainsAny(s.Node.Name, " .*>") || s.Node.Name == "" {
			fail(engine.Failure{Stage: engine.StageFinalize, Reason: engine.ReasonInvalidSubject, Err: errors.New("bad tag name")})
			return dst
		}
		subj := "umh.v1.acme._historian." + s.Node.Name
		value, err := json.Marshal(s.Value)
		if err != nil {
			fail(engine.Failure{Stage: engine.StageFinalize, Reason: engine.ReasonConversion, Err: err})
			return dst
		}
		payload := fmt.Appendf(nil, `{"value":%s,"timestamp_ms":%d}`, value, s.ReceivedAt.UnixMilli())
		return append(dst, tag.Message{Subject: string(subj), Payload: payload,
			Headers: []tag.Header{{Key: "tag_name", Value: s.Node.Name}, {Key: "q", Value: `"x"`}}})
	}
}

func TestRunProcessLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3<<20) // a 3 MiB string value
	tests := []struct {
		name    string
		in      string
		out     []string
		errOut  []string
		summary Summary
	}{
		{
			name:    "empty input",
			in:      "",
			errOut:  []string{`{"summary":{"lines":0,"invalid":0,"messages":0,"failed":0,"filtered":0}}`},
			summary: Summary{},
		},
		{
			name: "blank lines are skipped but counted for numbering",
			in:   "\n  \n{\"payload\": 1, \"meta\": {\"opcua_tag_name\": \"a\"}}\n\n{\"payload\": \"fail\"}\n",
			out:  []string{`{"subject":"umh.v1.acme._historian.a","payload":{"value":1,"timestamp_ms":1767225600000},"headers":{"tag_name":"a","q":"\"x\""}}`},
			errOut: []string{
				`{"input":5,"stage":"defaults","reason":"exception","line":2,"column":5,"source":"throw x","error":"boom"}`,
				`{"summary":{"lines":2,"invalid":0,"messages":1,"failed":1,"filtered":0}}`,
			},
			summary: Summary{Lines: 2, Messages: 1, Failed: 1},
		},
		{
			name: "malformed lines, CRLF and a last line without newline",
			in:   "{\"payload\": 1, \"meta\": {\"opcua_tag_name\": \"a\"}}\r\nnot json\r\n{\"payload\": \"drop\"}\n{\"payload\": 2, \"meta\": {\"opcua_tag_name\": \"b\"}}",
			out: []string{
				`{"subject":"umh.v1.acme._historian.a","payload":{"value":1,"timestamp_ms":1767225600000},"headers":{"tag_name":"a","q":"\"x\""}}`,
				`{"subject":"umh.v1.acme._historian.b","payload":{"value":2,"timestamp_ms":1767225600000},"headers":{"tag_name":"b","q":"\"x\""}}`,
			},
			errOut: []string{
				`{"input":2,"stage":"input","reason":"input","error":"input line: invalid character 'o' in literal null (expecting 'u')"}`,
				`{"summary":{"lines":4,"invalid":1,"messages":2,"failed":0,"filtered":1}}`,
			},
			summary: Summary{Lines: 4, Invalid: 1, Messages: 2, Filtered: 1},
		},
		{
			name: "long line",
			in:   `{"payload": "` + long + `", "meta": {"opcua_tag_name": "big"}}` + "\n",
			out:  []string{`{"subject":"umh.v1.acme._historian.big","payload":{"value":"` + long + `","timestamp_ms":1767225600000},"headers":{"tag_name":"big","q":"\"x\""}}`},
			errOut: []string{
				`{"summary":{"lines":1,"invalid":0,"messages":1,"failed":0,"filtered":0}}`,
			},
			summary: Summary{Lines: 1, Messages: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var filtered uint64
			var out, errOut bytes.Buffer
			sum, err := runProcess(fakeProcess(&filtered), func() uint64 { return filtered },
				strings.NewReader(tt.in), &out, &errOut, nil, func() time.Time { return processClock })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.out, lines(out.String())); diff != "" {
				t.Errorf("out (-want +got):\n%.2000s", diff)
			}
			if diff := cmp.Diff(tt.errOut, lines(errOut.String())); diff != "" {
				t.Errorf("errOut (-want +got):\n%s", diff)
			}
			if sum != tt.summary {
				t.Errorf("summary %+v, want %+v", sum, tt.summary)
			}
		})
	}
}

func TestReadLineTooLong(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("a", 100) + "\n" + strings.Repeat("b", 10) + "\r\n" + strings.Repeat("c", 101)
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	type res struct {
		Line    string
		TooLong bool
		EOF     bool
	}
	var got []res
	var line []byte
	for {
		var tooLong bool
		var err error
		line, tooLong, err = readLine(br, line[:0], 100)
		got = append(got, res{string(line), tooLong, err != nil})
		if err != nil {
			break
		}
	}
	want := []res{
		{strings.Repeat("a", 100), false, false},
		{strings.Repeat("b", 10), false, false},
		{"", true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readLine (-want +got):\n%s", diff)
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunProcessWriteError(t *testing.T) {
	t.Parallel()
	var filtered uint64
	_, err := runProcess(fakeProcess(&filtered), func() uint64 { return filtered },
		strings.NewReader(`{"payload": 1, "meta": {"opcua_tag_name": "a"}}`+"\n"), errWriter{}, &bytes.Buffer{}, nil, time.Now)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "writing output") {
		t.Errorf("error %v, want a write error naming the output", err)
	}
}

func TestRunProcessInternsNodes(t *testing.T) {
	t.Parallel()
	in := `{"payload": 1, "meta": {"opcua_tag_name": "a", "x": "1", "opcua_source": "s1"}}
{"payload": 2, "meta": {"opcua_tag_name": "a", "x": "1", "opcua_source": "s1"}}
{"payload": 3, "meta": {"opcua_tag_name": "a", "x": "2", "opcua_source": "s1"}}
{"payload": 4, "meta": {"opcua_tag_name": "b", "x": "1", "opcua_source": "s1"}}
{"payload": 5, "meta": {"x": "1", "opcua_source": "s1", "opcua_tag_name": "a"}}
{"payload": 6, "meta": {"opcua_tag_name": "a", "x": "1", "opcua_source": "s2"}}
`
	var nodes []*tag.Node
	process := func(s *tag.Sample, dst []tag.Message, fail func(engine.Failure)) []tag.Message {
		nodes = append(nodes, s.Node)
		return dst
	}
	if _, err := runProcess(process, func() uint64 { return 0 }, strings.NewReader(in), &bytes.Buffer{}, &bytes.Buffer{}, nil, time.Now); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 6 {
		t.Fatalf("%d samples, want 6", len(nodes))
	}
	same := [][2]int{{0, 1}, {0, 4}}
	differ := [][2]int{{0, 2}, {0, 3}, {2, 3}, {0, 5}}
	for _, p := range same {
		if nodes[p[0]] != nodes[p[1]] {
			t.Errorf("lines %d and %d describe one node but got two", p[0]+1, p[1]+1)
		}
	}
	for _, p := range differ {
		if nodes[p[0]] == nodes[p[1]] {
			t.Errorf("lines %d and %d describe different nodes but share one", p[0]+1, p[1]+1)
		}
	}
	// Nodes of one source share its SourceInfo, as a live source's do.
	for _, i := range []int{2, 3} {
		if nodes[i].Src != nodes[0].Src {
			t.Errorf("lines 1 and %d: nodes of source s1 have two SourceInfos", i+1)
		}
	}
	if nodes[5].Src == nodes[0].Src || nodes[5].Source() != "s2" || nodes[0].Source() != "s1" {
		t.Errorf("sources %q and %q share a SourceInfo or are wrong", nodes[0].Source(), nodes[5].Source())
	}
}
