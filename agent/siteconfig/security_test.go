package siteconfig

import (
	"slices"
	"strings"
	"testing"

	"github.com/edgetag/edgetag/sink"
)

// TestSecuritySettings covers the site-file keys of the embedded server's
// users, TLS and the listen policy, valid and invalid, and the warnings of
// the valid ones.
func TestSecuritySettings(t *testing.T) {
	t.Parallel()
	const userKey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
	tests := []struct {
		name     string
		yaml     string
		errs     []want
		warnings []string // paths
	}{
		{name: "defaults are loopback without auth", yaml: minimal},
		{
			name: "locked embedded server on every interface",
			yaml: minimal + `nats:
  embedded:
    listen: 0.0.0.0:4222
    users:
      - {user: historian, password: "$2a$11$abcdefghijklmnopqrstuuJ3ZR1hS5s2bVbq6ELEVXxJAcN0mW3Aa"}
      - {nkey: ` + userKey + `, role: custom, permissions: {publish: {allow: ["plant.>"]}, subscribe: {allow: ["umh.v1.>"], deny: ["umh.v1.secret.>"]}}}
    tls: {cert: server.pem, key: server-key.pem}
`,
		},
		{
			name: "plain-text password on the network without tls warns",
			yaml: minimal + `nats:
  embedded:
    listen: 0.0.0.0:4222
    users: [{user: historian, password: plain}]
`,
			warnings: []string{"nats.embedded.users[0].password", "nats.embedded.tls"},
		},
		{
			name: "insecure listens are refused",
			yaml: minimal + `http: {listen: "0.0.0.0:9450"}
nats:
  embedded: {listen: ":4222"}
`,
			errs: []want{
				{"6:16", "http.listen", `"0.0.0.0:9450" is reachable from other machines, and it serves /metrics and /readyz over plain HTTP; set http.tls`},
				{"8:22", "nats.embedded.listen", `":4222" is reachable from other machines, and any client there may read, publish and delete the stream; configure users`},
			},
		},
		{
			name: "insecure listens allowed explicitly warn",
			yaml: `http: {listen: "0.0.0.0:9450", allow_insecure_listen: true, pprof: true}
nats:
  embedded: {listen: ":4222", allow_insecure_listen: true}
sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:4840
    trust: {accept_any: true}
    nodes: [{id: i=85}]
`,
			warnings: []string{"http.allow_insecure_listen", "http.pprof", "sources[0].trust.accept_any", "nats.embedded.allow_insecure_listen"},
		},
		{
			name: "tls with a client ca secures a listen",
			yaml: minimal + `http: {listen: "10.0.0.5:9450", tls: {cert: c.pem, key: k.pem, ca: ca.pem}}
nats:
  embedded: {listen: "10.0.0.5:4222", tls: {cert: c.pem, key: k.pem, ca: ca.pem}}
`,
		},
		{
			name: "bad users",
			yaml: minimal + `nats:
  embedded:
    users:
      - {user: a}
      - {nkey: SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4}
      - {user: b, password: x, role: admin}
      - {user: c, password: x, permissions: {publish: {allow: ["a b"]}}}
      - {user: a, password: x, role: custom}
    tls: {ca: ca.pem}
`,
			errs: []want{
				{"9:9", "nats.embedded.users[0].password", `required with user "a"`},
				{"10:16", "nats.embedded.users[1].nkey", `"SUAIBDPB..." is not a public user nkey`},
				{"11:38", "nats.embedded.users[2].role", `"admin" is not a role; use one of consumer, custom`},
				{"12:45", "nats.embedded.users[3].permissions", "apply only to role custom"},
				{"12:64", "nats.embedded.users[3].permissions.publish.allow[0]", `"a b" is not a valid subject filter`},
				{"13:9", "nats.embedded.users[4]", `"a" is already nats.embedded.users[0]`},
				{"13:9", "nats.embedded.users[4].permissions", "required with role custom"},
				{"14:10", "nats.embedded.tls", "ca (verifying client certificates) needs cert and key"},
			},
		},
		{
			name: "external auth keys point at the embedded ones",
			yaml: minimal + "nats:\n  user: u\n  password: p\n",
			errs: []want{{"6:1", "nats", "the embedded server's clients are set in nats.embedded.users and nats.embedded.tls"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.yaml), "site.yaml", noEnv)
			checkErrors(t, err, tt.errs)
			if err != nil {
				return
			}
			var got []string
			for _, w := range cfg.Warnings() {
				got = append(got, w.Path)
			}
			if !slices.Equal(got, tt.warnings) {
				t.Fatalf("warnings %v, want %v", got, tt.warnings)
			}
		})
	}
}

// TestEmbeddedUsersReachTheSink checks that the users block arrives in the
// sink's config as written.
func TestEmbeddedUsersReachTheSink(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(minimal+`nats:
  embedded:
    users:
      - {user: historian, password: pw}
      - {user: ops, password: pw2, role: custom, permissions: {publish: {deny: ["$JS.API.STREAM.DELETE.>"]}}}
`), "site.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := []sink.User{
		{Name: "historian", Password: "pw", Role: sink.RoleConsumer},
		{Name: "ops", Password: "pw2", Role: sink.RoleCustom, Permissions: &sink.Permissions{
			Publish: sink.SubjectRules{Deny: []string{"$JS.API.STREAM.DELETE.>"}}}},
	}
	got := cfg.NATS.Embedded.Users
	if len(got) != 2 || got[0].Name != want[0].Name || got[0].Role != want[0].Role || got[1].Permissions == nil ||
		!slices.Equal(got[1].Permissions.Publish.Deny, want[1].Permissions.Publish.Deny) || got[1].Permissions.Subscribe.Allow != nil {
		t.Fatalf("users %+v, want %+v", got, want)
	}
	if s := strings.Join(cfg.Secrets(), ","); s != "pw,pw2" {
		t.Fatalf("secrets %q", s)
	}
}
