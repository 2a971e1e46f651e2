package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/opcua"
)

// TestStructureEndToEnd runs a structure described only by a legacy
// dictionary (the simulator's Batch) through source, engine and NATS: the
// message carries the decoded fields as a JSON object in definition order,
// with opcua_data_type the structure's name and opcua_tag_type object.
func TestStructureEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, historian("acme.demo"), false)
	cfg.Simulator.LegacyStructures = true
	cfg.Sources[0].Nodes = []opcua.NodeConfig{{ID: "nsu=urn:edgetag:sim;s=Plant.Legacy.Batch"}}
	a := newAgent(t, cfg)
	runAgent(t, a)
	const subject = "umh.v1.acme.demo._historian.Batch"
	got := subscribe(t, a.SinkURL(), subject)
	natstest.WaitFor(t, 60*time.Second, func() error {
		if got.len() < 2 {
			return fmt.Errorf("%d messages on %s", got.len(), subject)
		}
		return nil
	})
	for _, m := range got.snapshot() {
		var p struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(m.Data, &p); err != nil {
			t.Fatalf("payload %s: %v", m.Data, err)
		}
		var v struct {
			ID    string `json:"Id"`
			State int32
			Tick  uint64
			Doses []struct {
				Material string
				Kg       float64
			}
			Last map[string]any
			Note *string
		}
		if err := json.Unmarshal(p.Value, &v); err != nil {
			t.Fatalf("value %s: %v", p.Value, err)
		}
		if v.ID != fmt.Sprintf("B-%d", v.Tick) || v.State != int32(v.Tick%3) || len(v.Doses) != 2 ||
			v.Doses[1].Material != "salt" || v.Doses[0].Kg != float64(v.Tick)/10 || len(v.Last) != 1 ||
			(v.Note != nil) != (v.Tick%4 == 0) {
			t.Fatalf("value %s does not match the simulator's batch %d", p.Value, v.Tick)
		}
		// Keys in definition order; the optional Note last when present.
		want := fmt.Sprintf(`{"Id":"B-%d","State":%d,"Tick":%d,"Doses":[`, v.Tick, v.Tick%3, v.Tick)
		if s := string(p.Value); len(s) < len(want) || s[:len(want)] != want {
			t.Fatalf("value %s, want it to start %s", s, want)
		}
		if dt, tt := m.Header.Get("opcua_data_type"), m.Header.Get("opcua_tag_type"); dt != "Batch" || tt != "object" {
			t.Fatalf("headers opcua_data_type %q opcua_tag_type %q, want Batch and object (%v)", dt, tt, m.Header)
		}
	}
	body, _, err := get("http://" + cfg.HTTPListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if want := `edgetag_source_structures_undecoded_total{site="test-site",source="sim"} 0`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// TestStructureEnumsEndToEnd publishes the simulator's Batch with the
// source's enums set to both: its State field (the legacy dictionary's
// enumeration BatchState) arrives on NATS as {"value": n, "name": ...},
// the other fields unchanged.
func TestStructureEnumsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, historian("acme.demo"), false)
	cfg.Simulator.LegacyStructures = true
	cfg.Sources[0].Nodes = []opcua.NodeConfig{{ID: "nsu=urn:edgetag:sim;s=Plant.Legacy.Batch"}}
	cfg.Sources[0].Enums = opcua.EnumsBoth
	a := newAgent(t, cfg)
	runAgent(t, a)
	const subject = "umh.v1.acme.demo._historian.Batch"
	got := subscribe(t, a.SinkURL(), subject)
	natstest.WaitFor(t, 60*time.Second, func() error {
		if got.len() < 3 {
			return fmt.Errorf("%d messages on %s", got.len(), subject)
		}
		return nil
	})
	names := []string{"Idle", "Running", "Done"}
	for _, m := range got.snapshot() {
		var p struct {
			Value struct {
				ID    string `json:"Id"`
				State json.RawMessage
				Tick  uint64
			} `json:"value"`
		}
		if err := json.Unmarshal(m.Data, &p); err != nil {
			t.Fatalf("payload %s: %v", m.Data, err)
		}
		want := fmt.Sprintf(`{"value":%d,"name":%q}`, p.Value.Tick%3, names[p.Value.Tick%3])
		if string(p.Value.State) != want || p.Value.ID != fmt.Sprintf("B-%d", p.Value.Tick) {
			t.Fatalf("payload %s: State %s, want %s", m.Data, p.Value.State, want)
		}
		if dt := m.Header.Get("opcua_data_type"); dt != "Batch" {
			t.Fatalf("header opcua_data_type %q, want Batch", dt)
		}
	}
	body, _, err := get("http://" + cfg.HTTPListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if want := `edgetag_source_enum_values_unnamed_total{site="test-site",source="sim"} 0`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// TestStructureWriteThroughTheAgent writes a JSON object to the
// simulator's structured Plant.Legacy.Recipe by its UNS subject over the
// command service: the reply carries the written and read-back objects,
// the subject publishes the new object, and a missing required field is
// one type_mismatch naming the field, with nothing written.
func TestStructureWriteThroughTheAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	t.Parallel()
	cfg := simSite(t, historian("acme.demo"), false)
	cfg.Simulator.LegacyStructures = true
	cfg.Sources[0].Nodes = []opcua.NodeConfig{{ID: "nsu=urn:edgetag:sim;s=Plant.Legacy.Recipe"}}
	cfg.Commands = &command.Policy{Read: true, Timeout: 10 * time.Second, Sources: map[string]*command.SourceRules{
		"sim": {Write: []command.NodeRule{{Node: "nsu=urn:edgetag:sim;s=Plant.Legacy.*"}}},
	}}
	a := newAgent(t, cfg)
	runAgent(t, a)
	const subject = "umh.v1.acme.demo._historian.Recipe"
	got := subscribe(t, a.SinkURL(), subject)
	natstest.WaitFor(t, 60*time.Second, func() error {
		if got.len() == 0 {
			return fmt.Errorf("no message on %s yet", subject)
		}
		return nil
	})
	nc, err := nats.Connect(a.SinkURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ask := func(req string) (command.Reply, string) {
		t.Helper()
		m, err := nc.Request(command.Subject(cfg.Site, "write"), []byte(req), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep command.Reply
		if err := json.Unmarshal(m.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep, string(m.Data)
	}
	const recipe = `{"Id":"R-7","State":"Done","Tick":7,"Doses":[{"Material":"sugar","Kg":1.25}],"Last":{"Count":3}}`
	const want = `{"Id":"R-7","State":2,"Tick":7,"Doses":[{"Material":"sugar","Kg":1.25}],"Last":{"Count":3}}`

	// Missing a required field: refused, nothing written.
	rep, raw := ask(`{"subject":"` + subject + `","value":{"Id":"R-0","State":0}}`)
	if rep.OK || rep.Error == nil || rep.Error.Code != opcua.CodeTypeMismatch || !strings.Contains(rep.Error.Message, "$.Tick: missing required field") {
		t.Fatalf("write without Tick: %s", raw)
	}
	from := got.len()
	rep, raw = ask(`{"subject":"` + subject + `","value":` + recipe + `,"verify":true}`)
	if !rep.OK || rep.Results[0].DataType != "Batch" {
		t.Fatalf("write: %s", raw)
	}
	for _, part := range []string{`"value":` + want, `"read_back":` + want} {
		if !strings.Contains(raw, part) {
			t.Fatalf("reply %s lacks %s", raw, part)
		}
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		for _, m := range got.snapshot()[from:] {
			if strings.Contains(string(m.Data), `"value":`+want) {
				return nil
			}
		}
		return fmt.Errorf("the written recipe not published on %s yet (%d messages)", subject, got.len()-from)
	})
	for _, m := range got.snapshot() {
		if strings.Contains(string(m.Data), `"R-0"`) {
			t.Fatalf("the refused value was published: %s", m.Data)
		}
	}
}
