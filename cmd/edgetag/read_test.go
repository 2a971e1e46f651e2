package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// readSiteFor is a site file reading the plant of the simulator at
// endpoint plus one node that does not exist.
func readSiteFor(t *testing.T, endpoint string) string {
	return writeFile(t, "read.yaml", fmt.Sprintf(`site: readtest
state_dir: %s
sources:
  - name: sim
    endpoint: %s
    trust: {accept_any: true}
    nodes:
      - id: "nsu=urn:edgetag:sim;s=Plant"
      - id: "nsu=urn:edgetag:sim;s=NoSuchNode"
tag_processor:
  defaults: |
    msg.meta.location_path = "acme.read";
    msg.meta.data_contract = "_raw";
    msg.meta.virtual_path = msg.meta.opcua_tag_path;
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
`, filepath.Join(t.TempDir(), "state"), endpoint))
}

// TestReadOnceAgainstTheSimulator reads the built-in simulator's plant
// once with read and with run --once: one message per node on stdout, in
// process's format, a summary per source on stderr, the missing node
// counted as failed, exit 0.
func TestReadOnceAgainstTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator")
	}
	t.Parallel()
	s := simtest.Start(t, sim.Config{Listen: "127.0.0.1:0"})
	site := readSiteFor(t, s.Endpoint())
	for _, args := range [][]string{{"read", "-c", site}, {"run", "--once", "--config", site}} {
		code, out, errOut := run(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		subjects := map[string]bool{}
		for _, l := range lines {
			var m struct {
				Subject string            `json:"subject"`
				Payload json.RawMessage   `json:"payload"`
				Headers map[string]string `json:"headers"`
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: stdout line %q: %v", args, l, err)
			}
			if !strings.HasPrefix(m.Subject, "umh.v1.acme.read._raw.") || !strings.Contains(string(m.Payload), `"timestamp_ms":`) || m.Headers["opcua_status_code"] == "" {
				t.Errorf("%s: unexpected message %s", args, l)
			}
			subjects[m.Subject] = true
		}
		var sum struct {
			Summary readSourceSummary `json:"summary"`
		}
		last := errOut[strings.LastIndex(strings.TrimSpace(errOut), "\n")+1:]
		if err := json.Unmarshal([]byte(last), &sum); err != nil {
			t.Fatalf("%s: last stderr line %q: %v\n%s", args, last, err, errOut)
		}
		got := sum.Summary
		if got.Source != "sim" || got.Nodes < 10 || got.Values != got.Nodes || got.Messages != len(lines) || got.Failed != 1 || got.Error != "" {
			t.Errorf("%s: summary %+v for %d lines", args, got, len(lines))
		}
		if len(subjects) != len(lines) {
			t.Errorf("%s: %d distinct subjects in %d lines", args, len(subjects), len(lines))
		}
		if !strings.Contains(errOut, "NoSuchNode") {
			t.Errorf("%s: the failed node is not named:\n%s", args, errOut)
		}
	}
}

// TestReadReportsAnUnreachableSource exits 1 and names the source.
func TestReadReportsAnUnreachableSource(t *testing.T) {
	t.Parallel()
	site := readSiteFor(t, "opc.tcp://127.0.0.1:1")
	code, out, errOut := run(t, "read", "-c", site, "--timeout", "20s")
	if code != exitFailure || out != "" || !strings.Contains(errOut, "edgetag read: source sim (opc.tcp://127.0.0.1:1)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
