package agent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testlog"
)

var collisionsMetric = regexp.MustCompile(`(?m)^edgetag_engine_subject_collisions_total\{site="test-site"\} (\d+)$`)

// TestSubjectCollisionMetric runs the simulator's four machines through a
// tag engine that names subjects by tag name alone, as a pasted config
// often does: the 9 variables of each machine land on 9 subjects, so 27
// nodes publish on a subject another node publishes on. /metrics counts
// them and the log names, once per subject, the subject and both node ids.
func TestSubjectCollisionMetric(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, engine.Config{Defaults: engine.Snippet{Code: `
msg.meta.location_path = "acme.demo";
msg.meta.data_contract = "_historian";
msg.meta.tag_name = msg.meta.opcua_tag_name;
return msg;`}}, false)
	cfg.Sources[0].Nodes[0].Include = []string{"Line*/**"}
	var logs testlog.Buffer
	a, err := New(cfg, zerolog.New(&logs).Level(zerolog.WarnLevel), Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAgent(t, a)
	const want = 27
	natstest.WaitFor(t, 60*time.Second, func() error {
		body, _, err := get("http://" + cfg.HTTPListen + "/metrics")
		if err != nil {
			return err
		}
		m := collisionsMetric.FindStringSubmatch(body)
		if m == nil || m[1] != fmt.Sprint(want) {
			return fmt.Errorf("subject collisions %v, want %d", m, want)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	warned := map[string][2]string{}
	for line := range strings.SplitSeq(logs.String(), "\n") {
		var m map[string]string
		if !strings.Contains(line, "two nodes publish on one subject") || json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if _, dup := warned[m["subject"]]; dup {
			t.Errorf("subject %s warned twice", m["subject"])
		}
		warned[m["subject"]] = [2]string{m["first_node"], m["node"]}
	}
	if len(warned) != 9 {
		t.Fatalf("got %d subjects warned, want 9: %v", len(warned), warned)
	}
	ids := warned["umh.v1.acme.demo._historian.Temperature"]
	if ids[0] == ids[1] || !strings.HasSuffix(ids[0], ".Temperature") || !strings.HasSuffix(ids[1], ".Temperature") {
		t.Errorf("Temperature warning names nodes %q and %q, want two different Temperature nodes", ids[0], ids[1])
	}
}
