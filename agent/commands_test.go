package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/opcua"
)

// TestCommandsThroughTheAgent runs the demo with a writable simulator
// variable added and a commands: block, writes to it by its UNS subject
// over NATS and sees the value come back on that subject.
func TestCommandsThroughTheAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the OPC UA simulator")
	}
	t.Parallel()
	cfg := demoOnFreePorts(t)
	cfg.Sources[0].Nodes = append(cfg.Sources[0].Nodes, opcua.NodeConfig{ID: "nsu=urn:edgetag:sim;s=Plant.Commands.Double"})
	cfg.Commands = &command.Policy{Read: true, Timeout: 5 * time.Second, Sources: map[string]*command.SourceRules{
		"sim": {Write: []command.NodeRule{{Node: "nsu=urn:edgetag:sim;s=Plant.Commands.*"}},
			Guarded: map[string][]command.NodeRule{"ack": {{Node: "nsu=urn:edgetag:sim;s=Plant.Commands.*"}}}},
	}}
	a := newAgent(t, cfg)
	runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")
	var subject string
	natstest.WaitFor(t, 60*time.Second, func() error {
		for _, m := range got.snapshot() {
			if strings.HasSuffix(m.Subject, ".Double") {
				subject = m.Subject
				return nil
			}
		}
		return fmt.Errorf("no message of Plant.Commands.Double yet (%d messages)", got.len())
	})
	nc, err := nats.Connect(a.SinkURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ask := func(endpoint, req string) command.Reply {
		t.Helper()
		m, err := nc.Request(command.Subject("demo", endpoint), []byte(req), 30*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
		var rep command.Reply
		if err := json.Unmarshal(m.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	from := got.len()
	rep := ask("write", `{"subject":"`+subject+`","value":42.5,"verify":true}`)
	if !rep.OK || rep.Results[0].Source != "sim" || rep.Results[0].ReadBack != 42.5 {
		t.Fatalf("write by subject %s: %+v %+v", subject, rep, rep.Error)
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		for _, m := range got.snapshot()[from:] {
			if m.Subject == subject && strings.Contains(string(m.Data), "42.5") {
				return nil
			}
		}
		return fmt.Errorf("42.5 not published on %s yet", subject)
	})
	rep = ask("write", `{"source":"sim","node":"nsu=urn:edgetag:sim;s=Plant.Line1.Press.Temperature","value":1}`)
	if rep.OK || rep.Error.Code != opcua.CodeNotAllowed {
		t.Fatalf("write outside the allow-list: %+v", rep)
	}
	// The alarm endpoints reach the source through the allow-list; the
	// simulator has no conditions, so an allowed node is unknown to it
	// (acknowledging a real alarm is tested against node-opcua in opcua).
	for _, tc := range []struct {
		endpoint, req string
		code          opcua.ErrorCode
	}{
		{"ack", `{"source":"sim","node":"nsu=urn:edgetag:sim;s=Plant.Commands.Double","event_id":"AQI="}`, opcua.CodeUnknownNode},
		{"ack", `{"source":"sim","node":"nsu=urn:edgetag:sim;s=Plant.Commands.Double","event_id":"not base64"}`, opcua.CodeInvalidRequest},
		{"ack", `{"source":"sim","node":"nsu=urn:edgetag:sim;s=Plant.Line1.Press.Temperature","event_id":"AQI="}`, opcua.CodeNotAllowed},
		{"confirm", `{"source":"sim","node":"nsu=urn:edgetag:sim;s=Plant.Commands.Double","event_id":"AQI="}`, opcua.CodeNotAllowed},
	} {
		if rep := ask(tc.endpoint, tc.req); rep.OK || rep.Error == nil || rep.Error.Code != tc.code {
			t.Errorf("%s %s: %+v %+v, want code %s", tc.endpoint, tc.req, rep, rep.Error, tc.code)
		}
	}
	rep = ask("status", ``)
	if !rep.OK || len(rep.Sources) != 1 || rep.Sources[0].Name != "sim" || !rep.Commands.Writes {
		t.Fatalf("status %+v", rep)
	}
	svc := a.commands.Load()
	n := uint64(0)
	for _, c := range svc.Counts() {
		if c.Op == "write" {
			n += c.N
		}
	}
	if n != 2 {
		t.Fatalf("write counts %+v", svc.Counts())
	}
}

// TestReloadKeepsCommands: the commands: block changes only on restart,
// and a reload that changes it says so.
func TestReloadKeepsCommands(t *testing.T) {
	t.Parallel()
	old, err := siteconfig.Parse([]byte(minimal), "site.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	next, err := siteconfig.Parse([]byte(minimal+"commands:\n  read: true\n"), "site.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	keys := restartOnly(old, next)
	if len(keys) != 1 || keys[0] != "commands" {
		t.Fatalf("restart-only keys %v, want [commands]", keys)
	}
	if keys := restartOnly(next, next); len(keys) != 0 {
		t.Fatalf("unchanged config: %v", keys)
	}
}
