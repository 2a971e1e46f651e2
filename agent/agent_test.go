package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/sink"
	"github.com/edgetag/edgetag/tag"
)

// simPlantRoot is the simulator's plant folder, in the form a site file uses.
const simPlantRoot = "nsu=urn:edgetag:sim;s=Plant"

// simSite is a complete site: the in-process simulator, one source reading
// its plant, the given engine, and the embedded NATS server on a random port.
func simSite(t testing.TB, eng engine.Config, js bool) *siteconfig.Config {
	t.Helper()
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	return &siteconfig.Config{
		Site:       "test-site",
		StateDir:   dir,
		HTTPListen: fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)),
		Simulator:  &sim.Config{Listen: listen, Rate: 50 * time.Millisecond, CertDir: filepath.Join(dir, "sim-pki")},
		Sources: []opcua.Config{{
			Name:               "sim",
			Endpoint:           "opc.tcp://" + listen,
			Security:           opcua.Security{Policy: "None", Mode: "None"},
			Mode:               opcua.ModeSubscribe,
			PublishingInterval: 50 * time.Millisecond,
			SamplingInterval:   50 * time.Millisecond,
			QueueSize:          10,
			Nodes:              []opcua.NodeConfig{{ID: simPlantRoot}},
			StateDir:           dir,
			ReconnectMin:       100 * time.Millisecond,
			ReconnectMax:       time.Second,
			Heartbeat:          time.Second,
			RequestTimeout:     5 * time.Second,
		}},
		Engine: eng,
		NATS: sink.Config{
			Name:      "test-site",
			Embedded:  sink.Embedded{Listen: "127.0.0.1:-1", StoreDir: filepath.Join(dir, "jetstream")},
			JetStream: sink.JetStream{Enabled: js, Stream: "EDGETAG", Subjects: []string{"umh.v1.>"}},
		},
		Workers:         2,
		QueueSize:       64,
		ShutdownTimeout: 10 * time.Second,
	}
}

// historian maps the plant to umh.v1.<location>._historian.<folders>.<tag>
// with United Manufacturing Hub's bridge default (virtual_path =
// opcua_tag_path), the folders starting with the browsed root's name.
func historian(location string) engine.Config {
	return engine.Config{Defaults: engine.Snippet{Code: fmt.Sprintf(`
msg.meta.location_path = %q;
msg.meta.data_contract = "_historian";
msg.meta.virtual_path = msg.meta.opcua_tag_path;
msg.meta.tag_name = msg.meta.opcua_tag_name;
return msg;`, location)}}
}

// runAgent starts a on its own goroutine and returns a stop function that
// cancels it and returns Run's result.
func runAgent(t testing.TB, a *Agent) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("agent stopped before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("agent not ready within 60s")
	}
	stopped := false
	var result error
	stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("agent did not stop within 30s")
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func newAgent(t testing.TB, cfg *siteconfig.Config) *Agent {
	t.Helper()
	a, err := New(cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatalf("agent: %v", err)
	}
	return a
}

// TestEndToEnd runs simulator → OPC UA source → engine → embedded NATS and
// checks what a subscriber receives: exact subjects, payload shape and typed
// values, headers.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, historian("acme.demo"), true)
	// First, so that it is taken as configured, not as found below Plant.
	cfg.Sources[0].Nodes = append([]opcua.NodeConfig{{ID: "nsu=urn:edgetag:sim;s=Plant.Line2.Press.Temperature"}}, cfg.Sources[0].Nodes...)
	a := newAgent(t, cfg)
	stop := runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")

	wantSubjects := map[string]func(json.RawMessage) error{
		"umh.v1.acme.demo._historian.Plant.Line1.Press.Temperature": isNumber,
		"umh.v1.acme.demo._historian.Plant.Line1.Press.Running":     isBool,
		"umh.v1.acme.demo._historian.Plant.Line1.Press.State":       isString,
		// A variable configured directly is a node at the root: no path.
		"umh.v1.acme.demo._historian.Temperature": isNumber,
	}
	natstest.WaitFor(t, 60*time.Second, func() error {
		seen := map[string]bool{}
		for _, m := range got.snapshot() {
			seen[m.Subject] = true
		}
		for s := range wantSubjects {
			if !seen[s] {
				return fmt.Errorf("no message on %s yet (%d messages, subjects e.g. %v)", s, got.len(), sampleKeys(seen, 5))
			}
		}
		return nil
	})
	for _, m := range got.snapshot() {
		if !strings.HasPrefix(m.Subject, "umh.v1.acme.demo._historian.") {
			t.Fatalf("unexpected subject %s", m.Subject)
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(m.Data, &p); err != nil {
			t.Fatalf("%s: payload %s: %v", m.Subject, m.Data, err)
		}
		if len(p) != 2 || p["value"] == nil || p["timestamp_ms"] == nil {
			t.Fatalf("%s: payload %s: want exactly value and timestamp_ms", m.Subject, m.Data)
		}
		if check := wantSubjects[m.Subject]; check != nil {
			if err := check(p["value"]); err != nil {
				t.Fatalf("%s: %v", m.Subject, err)
			}
		}
		if m.Header.Get("opcua_node_id") == "" || m.Header.Get("location_path") != "acme.demo" {
			t.Fatalf("%s: headers %v lack opcua_node_id/location_path", m.Subject, m.Header)
		}
	}

	// Metrics and readiness reflect the running pipeline.
	natstest.WaitFor(t, 10*time.Second, func() error {
		body, code, err := get("http://" + cfg.HTTPListen + "/readyz")
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("readyz %d %s %v", code, body, err)
		}
		return nil
	})
	body, _, err := get("http://" + cfg.HTTPListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`edgetag_source_state{site="test-site",source="sim",state="connected"} 1`, `edgetag_source_subscriptions{site="test-site",source="sim"} 1`, "edgetag_engine_emitted_total", `edgetag_engine_bad_status_dropped_total{site="test-site"} 0`, "edgetag_nats_published_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestReload: a broken file keeps the old config running; a changed
// tag_processor changes subjects from the next sample on.
func TestReload(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, historian("before"), false)
	a := newAgent(t, cfg)
	runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")
	waitSubjectPrefix(t, got, "umh.v1.before.", 0)

	broken := *cfg
	broken.Engine = engine.Config{Defaults: engine.Snippet{Code: "return msg +;"}}
	if err := a.Reload(t.Context(), &broken); err == nil {
		t.Fatal("reload with a broken tag_processor succeeded")
	}
	// A snippet nested deep enough to overflow goja's parser is refused
	// as a compile error: the agent keeps running the old config.
	deep := *cfg
	deep.Engine = engine.Config{Defaults: engine.Snippet{Code: "var z = " + strings.Repeat("(", 1_000_000) + "1" + strings.Repeat(")", 1_000_000) + ";\nreturn msg;"}}
	if err := a.Reload(t.Context(), &deep); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("reload with a snippet nested a million levels: %v", err)
	}
	mark := got.len()
	waitSubjectPrefix(t, got, "umh.v1.before.", mark)

	next := *cfg
	next.Engine = historian("after")
	if err := a.Reload(t.Context(), &next); err != nil {
		t.Fatalf("reload: %v", err)
	}
	mark = got.len()
	waitSubjectPrefix(t, got, "umh.v1.after.", mark)
	// Per node, once the new subject appears the old one never comes back
	// (across nodes, workers may interleave a last old message).
	switched := map[string]bool{}
	for _, m := range got.snapshot()[mark:] {
		node := m.Header.Get("opcua_node_id")
		switch {
		case strings.HasPrefix(m.Subject, "umh.v1.after."):
			switched[node] = true
		case switched[node]:
			t.Fatalf("node %s: old subject %s after the new engine served it", node, m.Subject)
		}
	}
}

// TestShutdownUnderLoadLeavesNoGoroutines stops the agent while the simulator
// streams many tags: Run returns nil within the deadline, and every goroutine
// it started is gone.
func TestShutdownUnderLoadLeavesNoGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	before := runtime.NumGoroutine()
	cfg := simSite(t, historian("load"), true)
	cfg.Simulator.ExtraTags = 2000
	cfg.Simulator.Rate = 20 * time.Millisecond
	cfg.HTTPListen = ""
	a := newAgent(t, cfg)
	stop := runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")
	natstest.WaitFor(t, 60*time.Second, func() error {
		if n := got.len(); n < 5000 {
			return fmt.Errorf("%d messages so far", n)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatalf("shutdown under load: %v", err)
	}
	natstest.WaitFor(t, 15*time.Second, func() error {
		// The test's own subscriber connection holds a few goroutines.
		if n := runtime.NumGoroutine(); n > before+4 {
			buf := make([]byte, 1<<20)
			return fmt.Errorf("%d goroutines, %d before the agent:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

// TestNewRejectsBrokenScript checks that a compile error stops startup and
// names the stage.
func TestNewRejectsBrokenScript(t *testing.T) {
	cfg := simSite(t, engine.Config{Defaults: engine.Snippet{Code: "return msg +;", File: "site.yaml", Line: 12}}, false)
	_, err := New(cfg, zerolog.Nop(), Options{})
	var ce *engine.CompileError
	if !errors.As(err, &ce) || ce.Stage != engine.StageDefaults {
		t.Fatalf("New: %v, want a compile error in defaults", err)
	}
	if !strings.Contains(err.Error(), "site.yaml:") {
		t.Fatalf("error %q does not name the site file line", err)
	}
}

func TestTapShowsRateLimitedLines(t *testing.T) {
	var buf bytes.Buffer
	tp := newTap(&buf, 2)
	for i := range 5 {
		tp.show(&tag.Message{Subject: fmt.Sprintf("umh.v1.a._raw.t%d", i), Payload: []byte(`{"value":1.5,"timestamp_ms":1}`)})
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || lines[0] != "umh.v1.a._raw.t0 → 1.5" {
		t.Fatalf("tap wrote %q", buf.String())
	}
}

func waitSubjectPrefix(t *testing.T, c *collector, prefix string, from int) {
	t.Helper()
	natstest.WaitFor(t, 60*time.Second, func() error {
		for _, m := range c.snapshot()[from:] {
			if strings.HasPrefix(m.Subject, prefix) {
				return nil
			}
		}
		return fmt.Errorf("no %s* message after #%d (have %d)", prefix, from, c.len())
	})
}

func get(url string) (string, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return b.String(), resp.StatusCode, err
}

func isNumber(v json.RawMessage) error {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return fmt.Errorf("value %s is not a number", v)
	}
	return nil
}

func isBool(v json.RawMessage) error {
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return fmt.Errorf("value %s is not a bool", v)
	}
	return nil
}

func isString(v json.RawMessage) error {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return fmt.Errorf("value %s is not a string", v)
	}
	return nil
}

func sampleKeys(m map[string]bool, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

// TestErrorsSubjectCarriesFailedSamples makes the engine fail on one tag and
// checks that each failure reaches nats.errors_subject with the original
// sample and the error, while the other tags are published normally.
func TestErrorsSubjectCarriesFailedSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	eng := historian("acme.demo")
	eng.AdvancedProcessing = engine.Snippet{Code: `if (msg.meta.opcua_tag_name === "Temperature") throw new Error("sensor out of range"); return msg;`}
	cfg := simSite(t, eng, false)
	cfg.NATS.ErrorsSubject = "edgetag.errors"
	a := newAgent(t, cfg)
	runAgent(t, a)
	failures := subscribe(t, a.SinkURL(), "edgetag.errors")
	published := subscribe(t, a.SinkURL(), "umh.v1.>")

	natstest.WaitFor(t, 60*time.Second, func() error {
		if failures.len() == 0 || published.len() == 0 {
			return fmt.Errorf("%d failures, %d published so far", failures.len(), published.len())
		}
		return nil
	})
	var rec struct {
		Error, Stage, Reason, Site, Source string
		NodeID                             string `json:"node_id"`
		Value                              json.RawMessage
	}
	m := failures.snapshot()[0]
	if err := json.Unmarshal(m.Data, &rec); err != nil {
		t.Fatalf("failure record %s: %v", m.Data, err)
	}
	if rec.Stage != engine.StageAdvancedProcessing || rec.Reason != string(engine.ReasonException) ||
		!strings.Contains(rec.Error, "sensor out of range") || rec.Site != "test-site" || rec.Source != "sim" ||
		!strings.HasSuffix(rec.NodeID, ".Temperature") || isNumber(rec.Value) != nil {
		t.Fatalf("failure record %s", m.Data)
	}
	for _, m := range published.snapshot() {
		if strings.HasSuffix(m.Subject, ".Temperature") {
			t.Fatalf("failed sample published on %s", m.Subject)
		}
	}
}

// TestRunFailsCleanlyWhenHTTPPortIsTaken: a port in use fails the start with
// an error naming the listener, and what was already started is stopped.
func TestRunFailsCleanlyWhenHTTPPortIsTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	before := runtime.NumGoroutine()
	cfg := simSite(t, historian("x"), false)
	cfg.HTTPListen = taken.Addr().String()
	a := newAgent(t, cfg)
	err = a.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "http: listen "+cfg.HTTPListen) {
		t.Fatalf("Run: %v, want an http listen error", err)
	}
	natstest.WaitFor(t, 15*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before", n, before)
		}
		return nil
	})
}
