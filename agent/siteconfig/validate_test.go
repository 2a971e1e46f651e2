package siteconfig

import (
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		errs []want
	}{
		{name: "minimal is valid", yaml: minimal},
		{name: "simulator alone is valid", yaml: "simulator: {}\n"},
		{
			name: "a 20 KB site name is refused by check, not first by the NATS server",
			yaml: "site: " + strings.Repeat("a", 20<<10) + "\nsimulator: {}\n",
			errs: []want{{"1:7", "site", "is 20480 bytes long: at most 128"}},
		},
		{
			name: "payload and cache limits",
			yaml: "simulator: {}\ntag_processor:\n  max_payload_bytes: 100MiB\n  cache_max_bytes: 0\n",
			errs: []want{
				{"3", "tag_processor.max_payload_bytes", "must be a size from 1 to 67108864"},
				{"4", "tag_processor.cache_max_bytes", "must be a size greater than 0"},
			},
		},
		{name: "a site name of 128 bytes is valid", yaml: "site: " + strings.Repeat("a", 128) + "\nsimulator: {}\n"},
		{
			name: "no sources",
			yaml: "site: a\n",
			errs: []want{{"1:1", "sources", "at least one source is required (or a simulator block, as in the demo)"}},
		},
		{
			name: "names must be subject-safe and unique",
			yaml: `site: acme.berlin
sources:
  - name: press line
    endpoint: opc.tcp://h:4840
    nodes: [{id: i=85}]
  - name: plc
    endpoint: opc.tcp://h:4840
    nodes: [{id: i=85}]
  - name: plc
    endpoint: opc.tcp://h:4841
    nodes: [{id: i=85}]
  - endpoint: opc.tcp://h:4842
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"1:7", "site", `"acme.berlin" may contain only letters, digits, '_' and '-'`},
				{"3:11", "sources[0].name", `"press line" may contain only`},
				{"9:11", "sources[2].name", `duplicate source name "plc" (first used by sources[1], line 6)`},
				{"12:5", "sources[3].name", "is required"},
			},
		},
		{
			name: "bad endpoints",
			yaml: `sources:
  - name: a
    endpoint: http://h:4840
    nodes: [{id: i=85}]
  - name: b
    endpoint: opc.tcp://:4840
    nodes: [{id: i=85}]
  - name: c
    endpoint: opc.tcp://h:99999
    nodes: [{id: i=85}]
  - name: d
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"3:15", "sources[0].endpoint", `"http://h:4840" is not an OPC UA endpoint: use opc.tcp://host:port[/path]`},
				{"6:15", "sources[1].endpoint", "is not an OPC UA endpoint"},
				{"9:15", "sources[2].endpoint", `port "99999" must be a number from 1 to 65535`},
				{"11:5", "sources[3].endpoint", "is required: opc.tcp://host:port"},
			},
		},
		{
			name: "bad enums",
			yaml: `log: {level: verbose, format: text}
sources:
  - name: a
    endpoint: opc.tcp://h:4840
    security: {policy: Basic256Sha265, mode: signandencrypt}
    mode: pull
    deadband: {type: relative, value: 1}
    limits: {profile: siemens}
    nodes: [{id: i=85}]
tag_processor: {bad_status: show, shortcuts: maybe}
`,
			errs: []want{
				{"1:14", "log.level", `"verbose" is not allowed; use one of trace, debug, info, warn, error, disabled`},
				{"1:31", "log.format", `"text" is not allowed; use one of auto, json, console`},
				{"5:24", "sources[0].security.policy", `"Basic256Sha265" is not allowed (did you mean "Basic256Sha256"?)`},
				{"5:46", "sources[0].security.mode", `(did you mean "SignAndEncrypt"?)`},
				{"6:11", "sources[0].mode", `(did you mean "poll"?); use one of subscribe, poll`},
				{"7:22", "sources[0].deadband.type", `"relative" is not allowed; use one of none, absolute, percent`},
				{"8:23", "sources[0].limits.profile", `"siemens" is not allowed`},
				{"10:29", "tag_processor.bad_status", `"show" is not allowed; use one of drop, keep`},
				{"10:46", "tag_processor.shortcuts", "true or false"},
			},
		},
		{
			name: "enumeration form",
			yaml: `sources:
  - name: a
    endpoint: opc.tcp://h:4840
    enums: names
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"4:12", "sources[0].enums", `"names" is not allowed (did you mean "name"?); use one of number, name, both`},
			},
		},
		{
			name: "security pair, auth, deadband",
			yaml: `sources:
  - name: a
    endpoint: opc.tcp://h:4840
    security: {policy: None, mode: Sign}
    auth: {password: x, certificate: c.pem}
    mode: poll
    deadband: {type: percent, value: 101}
    nodes: [{id: i=85}]
  - name: b
    endpoint: opc.tcp://h:4840
    deadband: {value: 2}
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"4:15", "sources[0].security", "policy None with mode Sign is not a valid pair"},
				{"5:11", "sources[0].auth", "certificate and key go together"},
				{"5:22", "sources[0].auth.password", "is set without auth.username"},
				{"7:15", "sources[0].deadband", "applies only to mode subscribe"},
				{"7:38", "sources[0].deadband.value", "101 is not a percentage from 0 to 100"},
				{"11:23", "sources[1].deadband.value", "2 has no effect with type none"},
			},
		},
		{
			name: "nodes",
			yaml: `sources:
  - name: a
    endpoint: opc.tcp://h:4840
    queue_size: 0
    reconnect: {min: 2m, max: 1m}
    nodes:
      - id: ns=2;Line1
      - id: i=abc
      - id: nsu=urn:acme:plc;s=Motor.Speed
      - id: nsu=urn:acme:plc;s=Motor.Speed
      - id: ns=3;g=1234
      - include: ["[a-"]
        max_depth: 0
  - name: b
    endpoint: opc.tcp://h:4840
`,
			errs: []want{
				{"4:17", "sources[0].queue_size", "0 must be from 1 to 4294967295"},
				{"5:16", "sources[0].reconnect", "min 2m0s is longer than max 1m0s"},
				{"7:13", "sources[0].nodes[0].id", `node id "ns=2;Line1": identifier must start with i=, s=, g= or b=`},
				{"8:13", "sources[0].nodes[1].id", `numeric identifier "abc"`},
				{"10:13", "sources[0].nodes[3].id", `duplicate node "nsu=urn:acme:plc;s=Motor.Speed" (already nodes[2], line 9)`},
				{"11:13", "sources[0].nodes[4].id", `guid identifier "1234" is not of the form`},
				{"12:9", "sources[0].nodes[5].id", "is required"},
				{"12:19", "sources[0].nodes[5].include[0]", `"[a-" is not a valid glob`},
				{"13:20", "sources[0].nodes[5].max_depth", "0 must be at least 1"},
				{"14:5", "sources[1].nodes", "at least one node is required"},
			},
		},
		{
			name: "agent keys",
			yaml: minimal + `workers: -1
queue_size: 0
http: {listen: "localhost"}
state_dir: ""
`,
			errs: []want{
				{"6:10", "workers", "-1 must be at least 0"},
				{"7:13", "queue_size", "0 must be at least 1"},
				{"8:16", "http.listen", `"localhost" is not host:port`},
				{"9:12", "state_dir", "must not be empty"},
			},
		},
		{
			name: "limits",
			yaml: `sources:
  - name: a
    endpoint: opc.tcp://h:4840
    limits: {max_monitored_items_per_subscription: -1}
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"4:52", "sources[0].limits.max_monitored_items_per_subscription", "-1 must be at least 0"},
			},
		},
		{
			name: "browse continuation points",
			yaml: `sources:
  - name: a
    endpoint: opc.tcp://h:4840
    limits: {max_browse_continuation_points: -1}
    nodes: [{id: i=85}]
`,
			errs: []want{
				{"4:46", "sources[0].limits.max_browse_continuation_points", "-1 must be at least 0"},
			},
		},
		{
			name: "tag processor",
			yaml: minimal + `tag_processor:
  conditions:
    - if: ""
      then: "return msg;"
    - then: "return msg;"
  subject_prefix: "umh.v1."
  timeout: 0s
`,
			errs: []want{
				{"8:11", "tag_processor.conditions[0].if", "is required: a JavaScript expression"},
				{"10:7", "tag_processor.conditions[1].if", "is required"},
				{"11:19", "tag_processor.subject_prefix", `"umh.v1.": `},
				{"12:12", "tag_processor.timeout", "0s must be greater than 0"},
			},
		},
		{
			name: "subject prefix token starting with _",
			yaml: minimal + "tag_processor: {subject_prefix: umh._v1}\n",
			errs: []want{{"6:33", "tag_processor.subject_prefix", `"umh._v1": `}},
		},
		{
			name: "nats external",
			yaml: minimal + `nats:
  url: [nats://a:4222, "http://b:4222", "nats://:4222"]
  user: u
  token: t
  tls: {cert: c.pem}
  errors_subject: "edgetag errors.>"
  embedded: {listen: 127.0.0.1:4222}
  jetstream: {stream: "EDGE.TAG", subjects: ["a.>.b"], max_bytes: 0, max_age: 1m, duplicate_window: 2m}
`,
			errs: []want{
				{"6:1", "nats", "user, token are all set: use one way to authenticate"},
				{"7:24", "nats.url[1]", `scheme "http" is not allowed; use one of nats, tls, ws, wss`},
				{"7:41", "nats.url[2]", "is not a server URL such as nats://host:4222"},
				{"10:8", "nats.tls", "cert and key go together"},
				{"11:19", "nats.errors_subject", `"edgetag errors.>" is not a valid subject`},
				{"12:13", "nats.embedded", "applies only to the embedded server, but nats.url is set"},
				{"13:23", "nats.jetstream.stream", `"EDGE.TAG" is not a stream name`},
				{"13:46", "nats.jetstream.subjects[0]", `"a.>.b" is not a valid subject filter`},
				{"13:67", "nats.jetstream.max_bytes", "0 must be a size greater than 0, -1 for no limit, or auto"},
				{"13:101", "nats.jetstream.duplicate_window", "2m0s is longer than max_age 1m0s"},
			},
		},
		{
			name: "nats embedded",
			yaml: minimal + `nats:
  password: p
  embedded:
    listen: 127.0.0.1:x
    domain: "a.b"
    leafnode: {url: "http://hub:7422", credentials: a.creds, user: u}
`,
			errs: []want{
				{"6:1", "nats", "credentials, nkey, user, password, token and tls apply to an external server"},
				{"7:13", "nats.password", "is set without user"},
				{"9:13", "nats.embedded.listen", `port "x" must be a number from 0 to 65535`},
				{"10:13", "nats.embedded.domain", `"a.b" may contain only`},
				{"11:15", "nats.embedded.leafnode", "credentials, user are all set"},
				{"11:21", "nats.embedded.leafnode.url", `scheme "http" is not allowed; use one of nats-leaf, nats, tls, ws, wss`},
			},
		},
		{
			name: "nats headers",
			yaml: minimal + "nats:\n  headers: [opcua_node_id, \"bad key\", Nats-Msg-Id, opcua_node_id, \"*\"]\n",
			errs: []want{{"7:12", "nats.headers", `"*" sends every meta key, so it stands alone`}},
		},
		{
			name: "nats header names",
			yaml: minimal + "nats:\n  headers: [opcua_node_id, \"bad key\", Nats-Msg-Id, opcua_node_id, \"a:b\"]\n",
			errs: []want{
				{"7:28", "nats.headers[1]", `"bad key" is not a valid header name`},
				{"7:39", "nats.headers[2]", "Nats-Msg-Id is set by the sink with JetStream"},
				{"7:52", "nats.headers[3]", `"opcua_node_id" is listed twice`},
				{"7:67", "nats.headers[4]", `"a:b" is not a valid header name`},
			},
		},
		{
			name: "nats header names the sink refuses",
			yaml: minimal + "nats:\n  headers: [\"unit(C)\", a/b]\n",
			errs: []want{
				{"7:13", "nats.headers[0]", `"unit(C)" is not a valid header name`},
				{"7:24", "nats.headers[1]", `"a/b" is not a valid header name`},
			},
		},
		{
			name: "leafnode credentials without url",
			yaml: minimal + "nats:\n  embedded:\n    leafnode: {credentials: a.creds}\n",
			errs: []want{{"8:15", "nats.embedded.leafnode", "credentials, user, password or tls are set but url is empty"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml), "site.yaml", noEnv)
			checkErrors(t, err, tt.errs)
		})
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		subject   string
		wildcards bool
		want      bool
	}{
		{"umh.v1.acme", false, true},
		{"umh.v1.>", false, false},
		{"umh.v1.>", true, true},
		{"umh.*.acme", true, true},
		{"umh.>.acme", true, false},
		{"umh..acme", false, false},
		{"umh.v1 acme", false, false},
		{"umh.a*", true, false},
		{"", false, false},
	} {
		if got := validSubject(tt.subject, tt.wildcards); got != tt.want {
			t.Errorf("validSubject(%q, %v) = %v, want %v", tt.subject, tt.wildcards, got, tt.want)
		}
	}
	for _, tt := range []struct {
		filter, subject string
		want            bool
	}{
		{"umh.v1.>", "umh.v1.errors", true},
		{"umh.v1.>", "umh.v1", false},
		{"umh.*.x", "umh.v1.x", true},
		{"umh.*.x", "umh.v1.y", false},
		{"umh.v1.>", "edgetag.errors", false},
		{"a.b", "a.b", true},
		{"a.b", "a.b.c", false},
	} {
		if got := subjectMatches(tt.filter, tt.subject); got != tt.want {
			t.Errorf("subjectMatches(%q, %q) = %v, want %v", tt.filter, tt.subject, got, tt.want)
		}
	}
}

// TestNATSHeaders checks how nats.headers reaches the engine: the default is
// the value's quality alone, "*" is every key (nil), [] is none, a list is
// those keys.
func TestNATSHeaders(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		yaml string
		want []string
	}{
		{"", []string{"opcua_status_code"}},
		{"nats: {headers: [\"*\"]}\n", nil},
		{"nats: {headers: \"*\"}\n", nil},
		{"nats: {headers: []}\n", []string{}},
		{"nats: {headers: [opcua_node_id, location_path]}\n", []string{"opcua_node_id", "location_path"}},
	} {
		cfg, err := Parse([]byte(minimal+tt.yaml), "site.yaml", noEnv)
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := cfg.Engine.Headers; (got == nil) != (tt.want == nil) || !slices.Equal(got, tt.want) {
			t.Errorf("%q: engine headers %#v, want %#v", tt.yaml, got, tt.want)
		}
	}
}
