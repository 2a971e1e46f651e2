package engine

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// testDefaults makes every message publishable.
const testDefaults = `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = msg.meta.opcua_tag_name;`

// newTestEngine builds an engine with a long deadline (the machine running
// the tests may be slow; the timeout test sets its own).
func newTestEngine(t testing.TB, cfg Config, log zerolog.Logger) *Engine {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.StatusName == nil {
		cfg.StatusName = opcua.StatusName
	}
	e, err := New(cfg, log)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	t.Cleanup(e.Close)
	return e
}

var testT0 = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// testSource is the source of the nodes of testNode.
var testSource = &tag.SourceInfo{Name: "plc1", Endpoint: "opc.tcp://10.0.0.5:4840"}

// testNode returns a node named name in group line1.
func testNode(name string) *tag.Node {
	return &tag.Node{
		Src:        testSource,
		ID:         "ns=2;s=Line1." + name,
		BrowseName: name,
		Name:       name,
		Group:      "line1",
		Path:       "line1." + name,
		DataType:   "Double",
	}
}

func testSample(n *tag.Node, v any) tag.Sample {
	return tag.Sample{Node: n, Value: v, SourceTime: testT0, ServerTime: testT0.Add(time.Second), ReceivedAt: testT0.Add(2 * time.Second)}
}

// result is what one Process call produced.
type result struct {
	msgs  []tag.Message
	fails []Failure
}

func process(e *Engine, s tag.Sample) result {
	var r result
	r.msgs = e.Process(&s, nil, func(f Failure) { r.fails = append(r.fails, f) })
	return r
}

func (r result) subjects() []string {
	var s []string
	for _, m := range r.msgs {
		s = append(s, m.Subject)
	}
	return s
}

func header(m tag.Message, key string) (string, bool) {
	for _, h := range allHeaders(m) {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

// logBuffer is a goroutine-safe log sink for assertions on log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the decoded JSON log lines that contain substr.
func (l *logBuffer) lines(t testing.TB, substr string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.b.String(), "\n") {
		if line == "" || !strings.Contains(line, substr) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// allHeaders returns a message's headers in publishing order.
func allHeaders(m tag.Message) []tag.Header {
	var hs []tag.Header
	m.EachHeader(func(h tag.Header) { hs = append(hs, h) })
	return hs
}
