package siteconfig

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		errs  []want
		check func(t *testing.T, cfg *Config)
	}{
		{
			name: "unknown top-level key lists what is allowed",
			yaml: minimal + "colour: blue\n",
			errs: []want{{"6:1", "colour", `unknown key "colour"; allowed here: site, state_dir, log, http, workers, queue_size, shutdown_timeout, memory_limit, simulator, sources, tag_processor, nats`}},
		},
		{
			name: "misspelled key gets a hint",
			yaml: minimal + "    publishing_intervall: 1s\n    samplinginterval: 1s\n    Mode: poll\n    acceptAny: true\n",
			errs: []want{
				{"6:5", "sources[0].publishing_intervall", `(did you mean "publishing_interval"?)`},
				{"7:5", "sources[0].samplinginterval", `(did you mean "sampling_interval"?)`},
				{"8:5", "sources[0].Mode", `(did you mean "mode"?)`},
				{"9:5", "sources[0].acceptAny", `unknown key "acceptAny"; allowed here: name, endpoint`},
			},
		},
		{
			name: "umh key spelled the snake way",
			yaml: minimal + "tag_processor:\n  advanced_processing: 'return msg;'\n",
			errs: []want{{"7:3", "tag_processor.advanced_processing", `(did you mean "advancedProcessing"?)`}},
		},
		{
			name: "duplicate key",
			yaml: minimal + "site: a\nsite: b\n",
			errs: []want{{"7:1", "site", `duplicate key "site" (first set at line 6)`}},
		},
		{
			name: "wrong types",
			yaml: minimal + `workers: two
queue_size: "10"
log: info
http: {listen: [a]}
nats:
  jetstream: {enabled: "yes", max_ack_pending: 1.5}
`,
			errs: []want{
				{"6:10", "workers", `must be an integer, got the string "two"`},
				{"7:13", "queue_size", `must be an integer, got the string "10"`},
				{"8:6", "log", "must be a mapping (key: value), got the string \"info\""},
				{"9:16", "http.listen", "must be a string, got a list"},
				{"11:24", "nats.jetstream.enabled", `must be true or false, got the string "yes"`},
				{"11:48", "nats.jetstream.max_ack_pending", "must be an integer, got the number 1.5"},
			},
		},
		{
			name: "lists and mappings in the wrong place",
			yaml: "sources: {name: plc}\n",
			errs: []want{{"1:10", "sources", "must be a list, got a mapping"}},
		},
		{
			name: "integer overflow",
			yaml: minimal + "    queue_size: 99999999999999999999\n",
			errs: []want{{"6:17", "sources[0].queue_size", "must be an integer, got the number 99999999999999999999"}},
		},
		{
			name: "bad durations",
			yaml: minimal + "    publishing_interval: 1 second\n    poll_interval: 100\n    heartbeat: -5s\nshutdown_timeout: 0s\n",
			errs: []want{
				{"6:26", "sources[0].publishing_interval", `must be a duration such as 500ms, 10s, 1m30s or 7d, got "1 second"`},
				{"7:20", "sources[0].poll_interval", `got "100"`},
				{"8:16", "sources[0].heartbeat", "-5s must be greater than 0"},
				{"9:19", "shutdown_timeout", "0s must be greater than 0"},
			},
		},
		{
			name: "durations and sizes with units",
			yaml: minimal + "nats:\n  jetstream: {max_age: 7d, max_bytes: 512MiB, duplicate_window: 1m30s}\n  reconnect_buffer: 16MB\n",
			check: func(t *testing.T, cfg *Config) {
				js := cfg.NATS.JetStream
				if js.MaxAge != 7*24*time.Hour || js.MaxBytes != 512<<20 || js.DuplicateWindow != 90*time.Second || cfg.NATS.ReconnectBufSize != 16e6 {
					t.Errorf("got %+v, reconnect buffer %d", js, cfg.NATS.ReconnectBufSize)
				}
			},
		},
		{
			name: "bad size",
			yaml: minimal + "nats:\n  jetstream: {max_bytes: 1.5GB}\n",
			errs: []want{{"7:26", "nats.jetstream.max_bytes", `must be a size in bytes such as 1073741824, 512MiB or 10GB, -1 for no limit, or auto, got "1.5GB"`}},
		},
		{
			name: "max_bytes auto is left to the sink (0), by default and written",
			yaml: minimal + "nats:\n  jetstream: {max_bytes: Auto}\n",
			check: func(t *testing.T, cfg *Config) {
				if mb := cfg.NATS.JetStream.MaxBytes; mb != 0 {
					t.Errorf("max_bytes %d, want 0 (derived from the disk at start)", mb)
				}
			},
		},
		{
			name: "max_bytes -1 is no limit",
			yaml: minimal + "nats:\n  jetstream: {max_bytes: -1}\n",
			check: func(t *testing.T, cfg *Config) {
				if mb := cfg.NATS.JetStream.MaxBytes; mb != -1 {
					t.Errorf("max_bytes %d, want -1", mb)
				}
			},
		},
		{
			name: "null block turns it on with defaults",
			yaml: "simulator:\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.Simulator == nil || cfg.Simulator.Listen != "127.0.0.1:4840" {
					t.Errorf("simulator %+v", cfg.Simulator)
				}
			},
		},
		{
			name: "anchors, aliases and merge keys",
			yaml: `x-common: &common
  endpoint: opc.tcp://plc:4840
  mode: poll
  nodes: [{id: "i=85"}]
sources:
  - <<: *common
    name: a
  - <<: *common
    name: b
    mode: subscribe
`,
			errs: []want{{"1:1", "x-common", `unknown key "x-common"`}},
		},
		{
			name: "anchors inside known keys",
			yaml: `sources:
  - &plc
    name: a
    endpoint: opc.tcp://plc:4840
    mode: poll
    nodes: [{id: "i=85"}]
  - <<: *plc
    name: b
    mode: subscribe
`,
			check: func(t *testing.T, cfg *Config) {
				if len(cfg.Sources) != 2 || cfg.Sources[1].Name != "b" || cfg.Sources[1].Mode != "subscribe" || cfg.Sources[1].Endpoint != "opc.tcp://plc:4840" || cfg.Sources[0].Mode != "poll" {
					t.Errorf("sources %+v", cfg.Sources)
				}
			},
		},
		{
			name: "not a mapping",
			yaml: "- a\n- b\n",
			errs: []want{{"1:1", "", "a site file is a mapping of keys such as site, sources, tag_processor and nats; got a list"}},
		},
		{
			name: "syntax error",
			yaml: "sources:\n  - name: a\n   endpoint: x\n",
			errs: []want{{"3:4", "", "invalid YAML: did not find expected '-' indicator (check the indentation here; the enclosing block starts at line 1)"}},
		},
		{
			name: "indentation mistake far below its block",
			yaml: "site: acme\nsources:\n  - name: plc\n    endpoint: opc.tcp://h:1\n    nodes:\n      - id: i=85\n   mode: poll\n",
			errs: []want{{"7:4", "", "did not find expected '-' indicator"}},
		},
		{
			name: "key indented less than its mapping",
			yaml: "nats:\n  url: nats://h:4222\n  name: gw\n x: 1\nsources: []\n",
			errs: []want{{"4:2", "", "did not find expected key"}},
		},
		{
			name: "not UTF-8",
			yaml: "site: acme\nsources:\n  - name: pl\xe4tz\n",
			errs: []want{{"3:13", "", "byte 0xE4 is not UTF-8"}},
		},
		{
			name: "not UTF-8 after multi-byte characters",
			yaml: "site: größe\x80\n",
			errs: []want{{"1:12", "", "byte 0x80 is not UTF-8"}},
		},
		{
			name: "two documents",
			yaml: minimal + "---\nsite: b\n",
			errs: []want{{"6:1", "", "a site file holds one YAML document"}},
		},
		{
			name: "empty file",
			yaml: "",
			errs: []want{{"1:1", "sources", "at least one source is required"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.yaml), "site.yaml", noEnv)
			checkErrors(t, err, tt.errs)
			if err == nil && tt.check != nil {
				tt.check(t, cfg)
			}
		})
	}
}

// TestAliasBomb feeds an exponential alias structure: decoding is driven
// by the file structs, so aliases under unknown keys are never followed and
// aliases elsewhere are decoded once per use, not expanded exponentially.
func TestAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("sources:\n  - &s0\n    name: a\n    endpoint: opc.tcp://h:1\n    nodes: [{id: i=1}]\n")
	b.WriteString("tag_processor:\n  conditions: &c0 [{if: 'true', then: 'return msg;'}]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "  x%d: &c%d [*c%d, *c%d, *c%d, *c%d, *c%d, *c%d, *c%d, *c%d, *c%d, *c%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	_, err := Parse([]byte(b.String()), "bomb.yaml", noEnv)
	if err == nil || !strings.Contains(err.Error(), `tag_processor.x11: unknown key "x11"`) {
		t.Fatalf("want unknown-key errors, got %v", err)
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	allowed := []string{"name", "endpoint", "publishing_interval", "advancedProcessing", "max_ack_pending"}
	for key, want := range map[string]string{
		"nme":                  "name",
		"endpont":              "endpoint",
		"end_point":            "endpoint",
		"publishinginterval":   "publishing_interval",
		"publishing-interval":  "publishing_interval",
		"advanced_processing":  "advancedProcessing",
		"AdvancedProcessing":   "advancedProcessing",
		"max_acks_pending":     "max_ack_pending",
		"colour":               "",
		"nm":                   "",
		"totally_unrelated_ok": "",
	} {
		if got := closest(key, allowed); got != want {
			t.Errorf("closest(%q) = %q, want %q", key, got, want)
		}
	}
}
