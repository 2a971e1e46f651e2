package siteconfig

import (
	"testing"
	"time"
)

func TestCommandsBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		block string
		wants []want
	}{
		{name: "absent", block: "", wants: nil},
		{name: "valid", block: `commands:
  read: true
  browse: true
  timeout: 2s
  audit_subject: edgetag.audit
  allow:
    - source: plc
      write:
        - node: "ns=2;s=Line1.*"
          min: 0
          max: 100
          rate: 10/m
        - path: "Line1/**"
      call:
        - object: "ns=2;s=Line1"
          method: "ns=2;s=Line1.Reset"
  uns_subjects: ["umh.v1.acme.*._command.>"]
  uns_contract: _historian
`},
		{name: "problems", block: `commands:
  timeout: 0s
  audit_subject: "edgetag.>"
  allow:
    - source: nope
      write:
        - node: "ns=2;s=["
        - {node: "a", path: "b"}
        - {}
        - {node: "x", min: 5, max: 1, rate: "ten per minute"}
      call:
        - object: "ns=2;s=Line1"
      endpoints:
        - {name: reset, node: "x"}
  uns_subjects: ["umh.v1.acme.>", "a..b"]
  uns_contract: "a.b"
`, wants: []want{
			{"8:12", "commands.timeout", "greater than 0"},
			{"9:18", "commands.audit_subject", "not a valid subject"},
			{"11:15", "commands.allow[0].source", `"nope" is not the name of a source`},
			{"13:17", "commands.allow[0].write[0].node", "syntax error"},
			{"14:11", "commands.allow[0].write[1]", "not both"},
			{"15:11", "commands.allow[0].write[2]", "give node"},
			{"16:36", "commands.allow[0].write[3].max", "below min"},
			{"16:45", "commands.allow[0].write[3].rate", "want <count>/s"},
			{"18:11", "commands.allow[0].call[0].method", "is required"},
			{"20:18", "commands.allow[0].endpoints[0].name", `"reset" is not an endpoint`},
			{"21:18", "commands.uns_subjects[0]", "has no _command token"},
			{"21:35", "commands.uns_subjects[1]", "not a valid subject filter"},
			{"22:17", "commands.uns_contract", "one subject token"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(minimal+"\n"+tt.block), "site.yaml", noEnv)
			checkErrors(t, err, tt.wants)
			if err != nil {
				return
			}
			if tt.block == "" && cfg.Commands != nil {
				t.Fatalf("no commands block gave a policy %+v", cfg.Commands)
			}
			if tt.name == "valid" {
				p := cfg.Commands
				r := p.Sources["plc"]
				if !p.Read || !p.Browse || p.Timeout != 2*time.Second || r == nil || len(r.Write) != 2 || r.Write[0].Rate != 10 ||
					r.Write[0].RatePer != time.Minute || r.Write[0].Max.FloatString(0) != "100" || len(r.Call) != 1 ||
					len(p.UNSSubjects) != 1 || p.UNSContract != "_historian" {
					t.Fatalf("policy %+v %+v", p, r)
				}
			}
		})
	}
}
