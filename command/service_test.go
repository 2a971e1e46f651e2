package command

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

func policy() *Policy {
	return &Policy{
		Read: true, Browse: true, AuditSubject: "edgetag.audit",
		Sources: map[string]*SourceRules{"plc": {
			Write: []NodeRule{
				{Node: "ns=1;s=Plant.Commands.Double", Min: rat("-100"), Max: rat("100")},
				{Node: "ns=1;s=Plant.Commands.UInt16", Rate: 2, RatePer: time.Hour},
				{Path: "Byte"},
				{Node: "nsu=urn:edgetag:sim;s=Plant.Commands.*Array"},
				{Node: "ns=1;s=Plant.Commands.ReadOnly"},
				{Node: "ns=1;s=Plant.Commands.Int32"},
				{Node: "ns=1;s=Plant.Commands.Nope"},
			},
			Call:    []MethodRule{{Object: "ns=1;s=Plant.Commands", Method: "ns=1;s=Plant.Commands.Add"}},
			Guarded: map[string][]NodeRule{"ack": {{Node: "ns=1;s=Plant.Commands.Boolean"}}},
		}},
	}
}

// TestServiceFailsClosed: without a commands: block nothing but status is
// executed.
func TestServiceFailsClosed(t *testing.T) {
	src, _ := runSimSource(t, "Double")
	nc, _ := startNATS(t)
	runService(t, nc, Config{Site: site, Sources: sourceMap{"plc": src}}, zerolog.Nop(), nil)
	for _, tt := range []struct{ endpoint, req string }{
		{"write", `{"source":"plc","node":"` + simNode("Double") + `","value":1}`},
		{"call", `{"source":"plc","object":"ns=1;s=Plant.Commands","method":"ns=1;s=Plant.Commands.Add","args":[1,2]}`},
		{"read", `{"source":"plc","node":"` + simNode("Double") + `"}`},
		{"browse", `{"source":"plc"}`},
	} {
		rep := request(t, nc, tt.endpoint, tt.req)
		if rep.OK || rep.Error == nil || rep.Error.Code != opcua.CodeNotAllowed {
			t.Errorf("%s without commands block: %+v", tt.endpoint, rep)
		}
	}
	got, _ := src.Read(t.Context(), []string{simNode("Double")})
	if got[0].Value != float64(0) {
		t.Fatalf("the value changed: %v", got[0].Value)
	}
	rep := request(t, nc, "status", "")
	if !rep.OK || rep.Site != site || len(rep.Sources) != 1 || rep.Sources[0].State != "connected" || rep.Commands.Writes {
		t.Fatalf("status %+v", rep)
	}
}

// TestServiceWrite checks the allow-list, limits and error codes through
// real NATS and the simulator, and the audit record on the audit subject.
func TestServiceWrite(t *testing.T) {
	src, vals := runSimSource(t, "Double", "Byte")
	nc, _ := startNATS(t)
	var logs testlog.Buffer
	svc := runService(t, nc, Config{Site: site, Sources: sourceMap{"plc": src}, Policy: policy(),
		Resolve: func(subject string) (*tag.Node, bool) {
			if subject == "umh.v1.acme._historian.line1.byte" {
				return vals.node("Plant.Commands.Byte")
			}
			return nil, false
		}}, zerolog.New(&logs), nil)
	audit, err := nc.SubscribeSync("edgetag.audit")
	if err != nil {
		t.Fatal(err)
	}

	rep := request(t, nc, "write", `{"source":"plc","node":"`+simNode("Double")+`","value":42.5,"verify":true}`)
	if !rep.OK || len(rep.Results) != 1 || rep.Results[0].ReadBack != 42.5 || rep.Results[0].Old != float64(0) || rep.Results[0].DataType != "Double" {
		t.Fatalf("write: %+v", rep)
	}
	testutil.WaitUntil(t, 30*time.Second, "the subscription delivering 42.5", func() bool {
		s, ok := vals.get("ns=1;s=Plant.Commands.Double")
		return ok && s.Value == 42.5
	})
	m, err := audit.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var rec AuditRecord
	if err := json.Unmarshal(m.Data, &rec); err != nil || rec.Op != "write" || rec.Result != ResultOK || rec.New != 42.5 || rec.Old != float64(0) || rec.Node != simNode("Double") {
		t.Fatalf("audit record %s (%v)", m.Data, err)
	}
	if !strings.Contains(logs.String(), `"op":"write"`) || !strings.Contains(logs.String(), `"new":42.5`) {
		t.Fatalf("no audit log line: %s", logs.String())
	}

	// By subject (a path rule: Byte), and the Byte range.
	rep = request(t, nc, "write", `{"subject":"umh.v1.acme._historian.line1.byte","value":7}`)
	if !rep.OK || rep.Results[0].Source != "plc" || rep.Results[0].Node != "ns=1;s=Plant.Commands.Byte" {
		t.Fatalf("write by subject: %+v", rep)
	}

	tests := []struct {
		name   string
		req    string
		code   opcua.ErrorCode
		status string
	}{
		{"above max", `{"source":"plc","node":"` + simNode("Double") + `","value":100.5}`, opcua.CodeOutOfRange, ""},
		{"byte out of range", `{"subject":"umh.v1.acme._historian.line1.byte","value":300}`, opcua.CodeOutOfRange, ""},
		{"fraction to int32", `{"source":"plc","node":"ns=1;s=Plant.Commands.Int32","value":1.5}`, opcua.CodeTypeMismatch, ""},
		{"not writable", `{"source":"plc","node":"ns=1;s=Plant.Commands.ReadOnly","value":1}`, opcua.CodeBadStatus, "BadNotWritable"},
		{"unknown node", `{"source":"plc","node":"ns=1;s=Plant.Commands.Nope","value":1}`, opcua.CodeUnknownNode, "BadNodeIDUnknown"},
		{"not in allow-list", `{"source":"plc","node":"ns=1;s=Plant.Commands.Int16","value":1}`, opcua.CodeNotAllowed, ""},
		{"unknown subject", `{"subject":"umh.v1.nope","value":1}`, opcua.CodeUnknownNode, ""},
		{"unknown source", `{"source":"nope","node":"ns=1;s=X","value":1}`, opcua.CodeUnknownNode, ""},
		{"unknown key", `{"source":"plc","node":"ns=1;s=X","value":1,"verfy":true}`, opcua.CodeInvalidRequest, ""},
		{"no value", `{"source":"plc","node":"ns=1;s=Plant.Commands.Int32"}`, opcua.CodeInvalidRequest, ""},
		{"not json", `{`, opcua.CodeInvalidRequest, ""},
		{"bad timeout", `{"source":"plc","node":"ns=1;s=Plant.Commands.Int32","value":1,"timeout":"soon"}`, opcua.CodeInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := request(t, nc, "write", tt.req)
			if rep.OK || rep.Error == nil || rep.Error.Code != tt.code || tt.status != "" && rep.Error.Status != tt.status {
				t.Fatalf("got %+v (error %+v), want %s %s", rep, rep.Error, tt.code, tt.status)
			}
		})
	}

	// Rate: two writes per hour to UInt16, the third is refused.
	for i := range 3 {
		rep := request(t, nc, "write", fmt.Sprintf(`{"source":"plc","node":"ns=1;s=Plant.Commands.UInt16","value":%d}`, i))
		if want := i < 2; rep.OK != want || !want && rep.Error.Code != opcua.CodeRateLimited {
			t.Fatalf("write %d: %+v %+v", i, rep, rep.Error)
		}
	}

	// A batch: one good, one refused; the good one is written.
	rep = request(t, nc, "write", `{"items":[{"source":"plc","node":"ns=1;s=Plant.Commands.DoubleArray","value":[1,2]},{"source":"plc","node":"ns=1;s=Plant.Commands.Int16","value":1}]}`)
	if rep.OK || len(rep.Results) != 2 || !rep.Results[0].OK || rep.Results[1].Error.Code != opcua.CodeNotAllowed || rep.Error.Code != opcua.CodeNotAllowed {
		t.Fatalf("batch: %+v", rep)
	}

	counts := map[string]uint64{}
	for _, c := range svc.Counts() {
		counts[c.Op+"/"+c.Result] = c.N
	}
	if counts["write/ok"] != 5 || counts["write/not_allowed"] != 2 || counts["write/rate_limited"] != 1 {
		t.Fatalf("counts %v", counts)
	}
}

func TestServiceCallReadBrowse(t *testing.T) {
	src, _ := runSimSource(t, "Double")
	nc, _ := startNATS(t)
	acked := ""
	runService(t, nc, Config{Site: site, Sources: sourceMap{"plc": src}, Policy: policy()}, zerolog.Nop(), func(s *Service) {
		if err := s.AddGuarded("ack", func(_ context.Context, _ Source, node string, req json.RawMessage) (any, error) {
			acked = node
			return map[string]string{"acked": node}, nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	rep := request(t, nc, "call", `{"source":"plc","object":"ns=1;s=Plant.Commands","method":"nsu=urn:edgetag:sim;s=Plant.Commands.Add","args":[2, 3.5]}`)
	if !rep.OK || len(rep.Outputs) != 1 || rep.Outputs[0].Value != 5.5 {
		t.Fatalf("call: %+v %+v", rep, rep.Error)
	}
	for _, tt := range []struct {
		name, req string
		code      opcua.ErrorCode
	}{
		{"not allowed", `{"source":"plc","object":"ns=1;s=Plant","method":"ns=1;s=Plant.Commands.Add","args":[1,2]}`, opcua.CodeNotAllowed},
		{"wrong type", `{"source":"plc","object":"ns=1;s=Plant.Commands","method":"ns=1;s=Plant.Commands.Add","args":["a",2]}`, opcua.CodeTypeMismatch},
		{"argument count", `{"source":"plc","object":"ns=1;s=Plant.Commands","method":"ns=1;s=Plant.Commands.Add","args":[1]}`, opcua.CodeInvalidRequest},
	} {
		rep := request(t, nc, "call", tt.req)
		if rep.OK || rep.Error.Code != tt.code {
			t.Errorf("call %s: %+v %+v", tt.name, rep, rep.Error)
		}
	}
	rep = request(t, nc, "read", `{"source":"plc","nodes":["ns=1;s=Plant.Commands.ReadOnly","ns=1;s=Plant.Commands.Nope"]}`)
	if rep.OK || len(rep.Results) != 2 || rep.Results[0].Value != 1.5 || rep.Results[0].Status != "Good" || rep.Results[0].SourceTS == nil ||
		rep.Results[1].Error.Code != opcua.CodeUnknownNode {
		t.Fatalf("read: %+v", rep)
	}
	rep = request(t, nc, "browse", `{"source":"plc","node":"ns=1;s=Plant.Commands"}`)
	found := false
	for _, v := range rep.Variables {
		found = found || v.Node == "ns=1;s=Plant.Commands.Int32" && v.DataType == "Int32" && v.Access == "rw"
	}
	if !rep.OK || !found {
		t.Fatalf("browse: %+v", rep)
	}
	rep = request(t, nc, "ack", `{"source":"plc","node":"ns=1;s=Plant.Commands.Boolean","comment":"seen"}`)
	if !rep.OK || string(rep.Result) != `{"acked":"ns=1;s=Plant.Commands.Boolean"}` || acked == "" {
		t.Fatalf("ack: %+v %s", rep, rep.Result)
	}
	rep = request(t, nc, "ack", `{"source":"plc","node":"ns=1;s=Plant.Commands.Double"}`)
	if rep.OK || rep.Error.Code != opcua.CodeNotAllowed {
		t.Fatalf("ack outside the allow-list: %+v", rep)
	}
}

// TestServiceQueueGroupExecutesOnce runs two services for one site: every
// write is executed by exactly one of them.
func TestServiceQueueGroupExecutesOnce(t *testing.T) {
	src, _ := runSimSource(t, "Double")
	nc, url := startNATS(t)
	cfg := Config{Site: site, Sources: sourceMap{"plc": src}, Policy: policy()}
	a := runService(t, nc, cfg, zerolog.Nop(), nil)
	b := runService(t, connect(t, url), cfg, zerolog.Nop(), nil)
	const n = 40
	for i := range n {
		rep := request(t, nc, "write", fmt.Sprintf(`{"source":"plc","node":"ns=1;s=Plant.Commands.Double","value":%d}`, i))
		if !rep.OK {
			t.Fatalf("write %d: %+v", i, rep.Error)
		}
	}
	writes := func(s *Service) uint64 {
		for _, c := range s.Counts() {
			if c.Op == "write" && c.Result == ResultOK {
				return c.N
			}
		}
		return 0
	}
	if wa, wb := writes(a), writes(b); wa+wb != n {
		t.Fatalf("agents executed %d + %d writes for %d requests", wa, wb, n)
	}
}

// TestServiceSourceDown: a source that cannot connect answers source_down
// without waiting for the request's timeout.
func TestServiceSourceDown(t *testing.T) {
	cfg := opcua.Config{Name: "plc", Site: site, Endpoint: "opc.tcp://127.0.0.1:1", Security: opcua.Security{Policy: "None", Mode: "None"},
		StateDir: t.TempDir(), ReconnectMin: 50 * time.Millisecond, ReconnectMax: 500 * time.Millisecond,
		Nodes: []opcua.NodeConfig{{ID: "ns=1;s=X"}}}
	src, err := opcua.NewSource(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	nc, _ := startNATS(t)
	runService(t, nc, Config{Site: site, Sources: sourceMap{"plc": src}, Policy: policy()}, zerolog.Nop(), nil)
	// The policy caps the request at DefaultTimeout: a source_down (not a
	// timeout) shows it did not wait for a connection.
	rep := request(t, nc, "write", `{"source":"plc","node":"ns=1;s=Plant.Commands.Double","value":1,"timeout":"1m"}`)
	if rep.OK || rep.Error.Code != opcua.CodeSourceDown {
		t.Fatalf("write to a source without session: %+v", rep)
	}
}

// TestServiceUNSCommandSubjects: a message on a UNS command subject
// writes the node publishing on the matching _historian subject, with the
// allow-list of writes; a request is answered like a write.
func TestServiceUNSCommandSubjects(t *testing.T) {
	src, vals := runSimSource(t, "Byte", "Int16")
	nc, _ := startNATS(t)
	p := policy()
	p.UNSSubjects = []string{"umh.v1.acme.*._command.>"}
	subjects := map[string]string{
		"umh.v1.acme.line1._historian.byte":  "Plant.Commands.Byte",
		"umh.v1.acme.line1._historian.int16": "Plant.Commands.Int16",
	}
	runService(t, nc, Config{Site: site, Sources: sourceMap{"plc": src}, Policy: p,
		Resolve: func(subject string) (*tag.Node, bool) {
			if suffix, ok := subjects[subject]; ok {
				return vals.node(suffix)
			}
			return nil, false
		}}, zerolog.Nop(), nil)
	m, err := nc.Request("umh.v1.acme.line1._command.byte", []byte(`7`), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var rep Reply
	if err := json.Unmarshal(m.Data, &rep); err != nil || !rep.OK || rep.Results[0].Subject != "umh.v1.acme.line1._historian.byte" {
		t.Fatalf("reply %s", m.Data)
	}
	if err := nc.Publish("umh.v1.acme.line1._command.byte", []byte(`{"value": 9}`)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitUntil(t, 30*time.Second, "9 written by a plain publish", func() bool {
		s, ok := vals.get("ns=1;s=Plant.Commands.Byte")
		return ok && s.Value == uint8(9)
	})
	m, err = nc.Request("umh.v1.acme.line1._command.int16", []byte(`1`), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m.Data, &rep); err != nil || rep.OK || rep.Error.Code != opcua.CodeNotAllowed {
		t.Fatalf("write outside the allow-list by UNS subject: %s", m.Data)
	}
}
