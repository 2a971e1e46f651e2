package siteconfig

import (
	"testing"
)

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"HOST":  "plc1",
		"PORT":  "4841",
		"EMPTY": "",
		"JS":    "false",
		"SIZE":  "2GiB",
		"USER":  "op$er",
	}
	tests := []struct {
		name string
		yaml string
		// check inspects the parsed config when no error is expected.
		check func(t *testing.T, cfg *Config)
		errs  []want
	}{
		{
			name: "plain and default",
			yaml: `sources:
  - name: plc
    endpoint: opc.tcp://${HOST}:${PORT}
    auth: {username: "${USER}", password: "${PASS:secret}"}
    nodes: [{id: "ns=2;s=${TAG:Line1}"}]
`,
			check: func(t *testing.T, cfg *Config) {
				s := cfg.Sources[0]
				if s.Endpoint != "opc.tcp://plc1:4841" || s.Auth.Username != "op$er" || s.Auth.Password != "secret" || s.Nodes[0].ID != "ns=2;s=Line1" {
					t.Errorf("got endpoint %q user %q password %q node %q", s.Endpoint, s.Auth.Username, s.Auth.Password, s.Nodes[0].ID)
				}
			},
		},
		{
			name: "empty variable takes the default, empty default allowed",
			yaml: minimal + `nats: {errors_subject: "${EMPTY:edgetag.errors}", url: "${NONE:}"}`,
			check: func(t *testing.T, cfg *Config) {
				if cfg.NATS.ErrorsSubject != "edgetag.errors" || cfg.NATS.URL != "" {
					t.Errorf("errors_subject %q url %q", cfg.NATS.ErrorsSubject, cfg.NATS.URL)
				}
			},
		},
		{
			name: "escape",
			yaml: minimal + `nats: {password: "p$${HOST}w$$", url: "nats://h:4222", user: u}`,
			check: func(t *testing.T, cfg *Config) {
				if got := cfg.NATS.Auth.Password; got != "p${HOST}w$$" {
					t.Errorf("password %q", got)
				}
			},
		},
		{
			name: "typed keys take expanded text",
			yaml: minimal + `queue_size: ${QS:2048}
nats:
  jetstream:
    enabled: ${JS}
    max_bytes: ${SIZE}
    max_ack_pending: ${MAP:100}
`,
			check: func(t *testing.T, cfg *Config) {
				js := cfg.NATS.JetStream
				if cfg.QueueSize != 2048 || js.Enabled || js.MaxBytes != 2<<30 || js.MaxAckPending != 100 {
					t.Errorf("queue_size %d jetstream %+v", cfg.QueueSize, js)
				}
			},
		},
		{
			name: "expanded text must still fit the type",
			yaml: minimal + `queue_size: ${HOST}`,
			errs: []want{{"6:13", "queue_size", `must be an integer that fits 64 bits, got "plc1"`}},
		},
		{
			name: "keys are not expanded",
			yaml: minimal + `${HOST}: 1`,
			errs: []want{{"6:1", "${HOST}", `unknown key "${HOST}"`}},
		},
		{
			name: "javascript is not expanded",
			yaml: minimal + "tag_processor:\n  defaults: |\n    msg.meta.tag_name = `${msg.meta.opcua_tag_name}_${HOST}`;\n    return msg;\n  conditions:\n    - if: '`${HOST}` != \"\"'\n      then: 'return msg;'\n",
			check: func(t *testing.T, cfg *Config) {
				if got := cfg.Engine.Defaults.Code; got != "msg.meta.tag_name = `${msg.meta.opcua_tag_name}_${HOST}`;\nreturn msg;\n" {
					t.Errorf("defaults %q", got)
				}
				if got := cfg.Engine.Conditions[0].If.Code; got != "`${HOST}` != \"\"" {
					t.Errorf("if %q", got)
				}
			},
		},
		{
			name: "all missing variables in one error with their lines",
			yaml: `sources:
  - name: plc
    endpoint: opc.tcp://${PLC_HOST}:4840
    auth: {username: "${S7_USER}", password: "${S7_PASS}"}
    nodes: [{id: "ns=2;s=${TAG}"}]
  - name: plc2
    endpoint: opc.tcp://${PLC_HOST}:4840
    nodes: [{id: "i=85"}]
`,
			errs: []want{{"3:15", "", "missing environment variables PLC_HOST (lines 3, 7), S7_USER (line 4), S7_PASS (line 4), TAG (line 5)"}},
		},
		{
			name: "unterminated and invalid references",
			yaml: minimal + `site: "${SITE"
state_dir: "${1DIR}"
`,
			errs: []want{
				{"6:7", "site", "unterminated variable reference"},
				{"7:12", "state_dir", "invalid variable reference ${1DIR}"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.yaml), "site.yaml", env(vars))
			checkErrors(t, err, tt.errs)
			if err == nil && tt.check != nil {
				tt.check(t, cfg)
			}
		})
	}
}

func TestIsScriptPath(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"tag_processor.defaults":           true,
		"tag_processor.advancedProcessing": true,
		"tag_processor.conditions[3].if":   true,
		"tag_processor.conditions[0].then": true,
		"tag_processor.subject_prefix":     false,
		"tag_processor.timeout":            false,
		"sources[0].name":                  false,
		"defaults":                         false,
	} {
		if got := isScriptPath(path); got != want {
			t.Errorf("isScriptPath(%q) = %v, want %v", path, got, want)
		}
	}
}
