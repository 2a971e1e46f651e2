package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	cmdsvc "github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/internal/natstest"
)

// TestWriteAndCallSendServiceRequests checks what the thin clients send
// and how they map replies to exit codes; the service itself is tested
// against real servers in package command.
func TestWriteAndCallSendServiceRequests(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	got := make(chan *nats.Msg, 4)
	for _, ep := range []string{"write", "call"} {
		if _, err := nc.Subscribe(cmdsvc.Subject("s1", ep), func(m *nats.Msg) {
			got <- m
			ok := !strings.Contains(string(m.Data), "Bad")
			rep := cmdsvc.Reply{OK: ok}
			if !ok {
				rep.Error = &cmdsvc.Error{Code: "not_allowed", Message: "no"}
			}
			b, _ := json.Marshal(rep)
			_ = m.Respond(b)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	url := srv.ClientURL()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"by subject", []string{"write", "-s", url, "--site", "s1", "umh.v1.a.b", "42.5"}, exitOK, `{"subject":"umh.v1.a.b","value":42.5,"timeout":"5s"}`},
		{"by node", []string{"write", "-s", url, "--site", "s1", "--source", "plc", "--verify", "ns=2;s=X", "Line1"}, exitOK,
			`{"source":"plc","node":"ns=2;s=X","value":"Line1","verify":true,"timeout":"5s"}`},
		{"structure", []string{"write", "-s", url, "--site", "s1", "umh.v1.a.r", `{"Id":"R-1","Tick":2}`}, exitOK,
			`{"subject":"umh.v1.a.r","value":{"Id":"R-1","Tick":2},"timeout":"5s"}`},
		{"refused", []string{"write", "-s", url, "--site", "s1", "umh.v1.Bad", "1"}, exitFailure, `"umh.v1.Bad"`},
		{"call", []string{"call", "-s", url, "--site", "s1", "--source", "plc", "ns=1;s=O", "ns=1;s=M", "2", "3.5"}, exitOK,
			`{"source":"plc","object":"ns=1;s=O","method":"ns=1;s=M","args":[2,3.5],"timeout":"5s"}`},
		{"node without source", []string{"write", "-s", url, "--site", "s1", "ns=2;s=X", "1"}, exitUsage, ""},
		{"no site", []string{"write", "-s", url, "umh.v1.a", "1"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			if tt.want == "" {
				return
			}
			m := <-got
			if !strings.Contains(string(m.Data), tt.want) {
				t.Fatalf("sent %s, want %s", m.Data, tt.want)
			}
			if m.Header.Get(cmdsvc.ClientHeader) == "" {
				t.Fatal("no client header")
			}
			if !strings.Contains(stdout.String(), `"ok"`) {
				t.Fatalf("reply not printed: %q", stdout.String())
			}
		})
	}
}
