package siteconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/sink"
)

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(minimal), "sites/press-hall.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &Config{
		File:            "sites/press-hall.yaml",
		Site:            "press-hall",
		StateDir:        "./edgetag-state",
		Log:             LogConfig{Level: "info", Format: "auto"},
		HTTPListen:      "127.0.0.1:9450",
		QueueSize:       DefaultQueueSize,
		ShutdownTimeout: 10 * time.Second,
		MemoryLimit:     MemoryLimitAuto,
		Sources: []opcua.Config{{
			Name:               "plc",
			Site:               "press-hall",
			Endpoint:           "opc.tcp://127.0.0.1:4840",
			Security:           opcua.Security{Policy: "auto", Mode: "auto"},
			Mode:               opcua.ModeSubscribe,
			PublishingInterval: opcua.DefaultPublishingInterval,
			SamplingInterval:   opcua.DefaultSamplingInterval,
			QueueSize:          opcua.DefaultQueueSize,
			PollInterval:       opcua.DefaultPollInterval,
			Deadband:           opcua.Deadband{Type: "none"},
			Nodes:              []opcua.NodeConfig{{ID: "ns=2;s=Line1", MaxDepth: opcua.DefaultMaxDepth, MaxNodes: opcua.DefaultMaxNodes}},
			Limits:             opcua.Limits{Profile: "auto"},
			StateDir:           "./edgetag-state",
			ReconnectMin:       opcua.DefaultReconnectMin,
			ReconnectMax:       opcua.DefaultReconnectMax,
			Heartbeat:          opcua.DefaultHeartbeat,
			KeepAlive:          opcua.DefaultKeepAlive,
			RequestTimeout:     opcua.DefaultRequestTimeout,
			ReadAfterReconnect: &yes,
			ReuseNodes:         &yes,
			RetryFailedItems:   opcua.DefaultRetryFailedItems,
			Enums:              opcua.EnumsNumber,
		}},
		Engine: engine.Config{
			Defaults:           engine.Snippet{File: "sites/press-hall.yaml"},
			AdvancedProcessing: engine.Snippet{File: "sites/press-hall.yaml"},
			SubjectPrefix:      "umh.v1",
			Timeout:            100 * time.Millisecond,
			Headers:            []string{"opcua_status_code"},
			MaxPayloadBytes:    engine.DefaultMaxPayloadBytes,
			CacheMaxBytes:      engine.DefaultCacheMaxBytes,
			BadStatus:          engine.BadStatusDrop,
		},
		NATS: sink.Config{
			Name: "press-hall",
			Embedded: sink.Embedded{
				Listen:   "127.0.0.1:4222",
				StoreDir: filepath.Join("./edgetag-state", "jetstream"),
			},
			JetStream: sink.JetStream{
				Enabled:         true,
				Stream:          "EDGETAG",
				Subjects:        []string{"umh.v1.>"},
				MaxBytes:        0, // auto: derived from the disk when the sink starts
				DuplicateWindow: sink.DefaultEmbeddedDupeWindow,
				MaxAckPending:   sink.DefaultMaxAckPending,
				AckTimeout:      sink.DefaultAckTimeout,
				Compression:     sink.DefaultCompression,
			},
			ReconnectBufSize: sink.DefaultReconnectBuf,
			DrainTimeout:     sink.DefaultDrainTimeout,
		},
	}
	if diff := cmp.Diff(want, cfg, ignoreStatusName); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// ignoreStatusName leaves engine.Config.StatusName, a function, out of
// comparisons; TestStatusNamesReachTheEngine checks it.
var ignoreStatusName = cmpopts.IgnoreFields(engine.Config{}, "StatusName")

// TestStatusNamesReachTheEngine checks that the engine names statuses as
// OPC UA does.
func TestStatusNamesReachTheEngine(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("sources: [{name: a, endpoint: \"opc.tcp://h:4840\", nodes: [{id: i=85}]}]\n"), "x.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Engine.StatusName
	if f == nil {
		t.Fatal("the engine gets no status names")
	}
	if got := f(0x800A0000); got != "BadTimeout" {
		t.Errorf("status 0x800A0000 is named %q, want BadTimeout", got)
	}
}

func TestParseExplicit(t *testing.T) {
	t.Parallel()
	const site = `site: acme-berlin
state_dir: /var/lib/edgetag
log: {level: debug, format: json}
http: {listen: ""}
workers: 4
queue_size: 256
shutdown_timeout: 30s
simulator: {listen: "127.0.0.1:0", rate: 250ms, extra_tags: 100, username: op, password: pw, security: true}
sources:
  - name: press
    endpoint: opc.tcp://10.0.0.5:4840/path
    security: {policy: Basic256Sha256, mode: SignAndEncrypt}
    auth: {username: op, password: pw}
    trust: {accept_any: true}
    mode: poll
    publishing_interval: 2s
    sampling_interval: 250ms
    queue_size: 5
    poll_interval: 3s
    nodes:
      - id: ns=2;s=Line1
        include: ["**/Temp*"]
        exclude: ["**/Debug/**"]
        max_depth: 3
        max_nodes: 500
    limits: {profile: siemens-s7-1500, max_nodes_per_read: 100, max_nodes_per_browse: 50, max_monitored_items_per_call: 200,
      max_monitored_items_per_subscription: 3000}
    reconnect: {min: 2s, max: 30s}
    heartbeat: 10s
    keep_alive: 20s
    request_timeout: 5s
    read_after_reconnect: false
    reuse_nodes: false
    retry_failed_items: 5m
    enums: both
tag_processor:
  subject_prefix: acme.uns
  timeout: 50ms
  runtimes: 2
  max_payload_bytes: 512KiB
  cache_max_bytes: 8MiB
  shortcuts: false
nats:
  url: "nats://a:4222, nats://b:4222"
  credentials: /etc/edgetag/site.creds
  tls: {ca: ca.pem, cert: c.pem, key: k.pem}
  reconnect_buffer: 1MiB
  drain_timeout: 9s
  errors_subject: edgetag.errors
  jetstream: {enabled: false, stream: ACME, max_bytes: -1, max_age: 24h, duplicate_window: 5m, max_ack_pending: 100, ack_timeout: 3s}
`
	cfg, err := Parse([]byte(site), "x.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	want := &Config{
		File: "x.yaml", Site: "acme-berlin", StateDir: "/var/lib/edgetag",
		Log:     LogConfig{Level: "debug", Format: "json"},
		Workers: 4, QueueSize: 256, ShutdownTimeout: 30 * time.Second, MemoryLimit: MemoryLimitAuto,
	}
	want.Simulator = cfg.Simulator
	if s := cfg.Simulator; s == nil || s.Listen != "127.0.0.1:0" || s.Rate != 250*time.Millisecond || s.ExtraTags != 100 ||
		s.Username != "op" || s.Password != "pw" || !s.Security || s.CertDir != filepath.Join("/var/lib/edgetag", "simulator") {
		t.Errorf("simulator %+v", s)
	}
	want.Sources = []opcua.Config{{
		Name: "press", Site: "acme-berlin", Endpoint: "opc.tcp://10.0.0.5:4840/path",
		Security: opcua.Security{Policy: "Basic256Sha256", Mode: "SignAndEncrypt"},
		Auth:     opcua.Auth{Username: "op", Password: "pw"},
		Trust:    opcua.Trust{AcceptAny: true},
		Mode:     "poll", PublishingInterval: 2 * time.Second, SamplingInterval: 250 * time.Millisecond,
		QueueSize: 5, PollInterval: 3 * time.Second, Deadband: opcua.Deadband{Type: "none"},
		Nodes: []opcua.NodeConfig{{ID: "ns=2;s=Line1", Include: []string{"**/Temp*"}, Exclude: []string{"**/Debug/**"}, MaxDepth: 3, MaxNodes: 500}},
		Limits: opcua.Limits{Profile: "siemens-s7-1500", MaxNodesPerRead: 100, MaxNodesPerBrowse: 50, MaxMonitoredItemsPerCall: 200,
			MaxMonitoredItemsPerSubscription: 3000},
		StateDir: "/var/lib/edgetag", ReconnectMin: 2 * time.Second, ReconnectMax: 30 * time.Second,
		Heartbeat: 10 * time.Second, KeepAlive: 20 * time.Second, RequestTimeout: 5 * time.Second,
		ReadAfterReconnect: &no, ReuseNodes: &no, RetryFailedItems: 5 * time.Minute, Enums: opcua.EnumsBoth,
	}}
	want.Engine = engine.Config{
		Defaults: engine.Snippet{File: "x.yaml"}, AdvancedProcessing: engine.Snippet{File: "x.yaml"},
		SubjectPrefix: "acme.uns", Timeout: 50 * time.Millisecond, Runtimes: 2, BadStatus: engine.BadStatusDrop,
		Headers:         []string{"opcua_status_code"},
		MaxPayloadBytes: 512 << 10, CacheMaxBytes: 8 << 20, NoShortcuts: true,
	}
	want.NATS = sink.Config{
		Name: "acme-berlin", URL: "nats://a:4222,nats://b:4222",
		Auth:     sink.Auth{CredentialsFile: "/etc/edgetag/site.creds"},
		TLS:      sink.TLS{CA: "ca.pem", Cert: "c.pem", Key: "k.pem"},
		Embedded: sink.Embedded{Listen: "127.0.0.1:4222", StoreDir: filepath.Join("/var/lib/edgetag", "jetstream")},
		JetStream: sink.JetStream{Stream: "ACME", Subjects: []string{"acme.uns.>", "edgetag.errors"}, MaxBytes: -1,
			MaxAge: 24 * time.Hour, DuplicateWindow: 5 * time.Minute, MaxAckPending: 100, AckTimeout: 3 * time.Second,
			Compression: sink.DefaultCompression},
		ErrorsSubject: "edgetag.errors", ReconnectBufSize: 1 << 20, DrainTimeout: 9 * time.Second,
	}
	if diff := cmp.Diff(want, cfg, ignoreStatusName); diff != "" {
		t.Errorf("explicit values (-want +got):\n%s", diff)
	}
}

func TestDerivedDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, file string
		check            func(t *testing.T, cfg *Config)
	}{
		{
			name: "http listen absent, null and empty",
			yaml: minimal + "http:\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.HTTPListen != DefaultHTTPListen {
					t.Errorf("null listen: %q", cfg.HTTPListen)
				}
			},
		},
		{
			name: "explicit empty listen turns http off",
			yaml: minimal + "http: {listen: \"\"}\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.HTTPListen != "" {
					t.Errorf("listen %q, want off", cfg.HTTPListen)
				}
			},
		},
		{
			name: "site from an odd file name",
			file: "/etc/edgetag/Hall 4 (north).site.yaml",
			yaml: minimal,
			check: func(t *testing.T, cfg *Config) {
				if cfg.Site != "Hall-4--north--site" || cfg.NATS.Name != cfg.Site || cfg.Sources[0].Site != cfg.Site {
					t.Errorf("site %q", cfg.Site)
				}
			},
		},
		{
			name: "site without a file name",
			yaml: minimal,
			check: func(t *testing.T, cfg *Config) {
				if cfg.Site != DefaultSite {
					t.Errorf("site %q", cfg.Site)
				}
			},
		},
		{
			name: "state dir reaches sources and the store",
			yaml: minimal + "state_dir: /data/et\nsimulator: {}\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.Sources[0].StateDir != "/data/et" || cfg.NATS.Embedded.StoreDir != filepath.Join("/data/et", "jetstream") ||
					cfg.Simulator.CertDir != filepath.Join("/data/et", "simulator") {
					t.Errorf("state dirs %q %q %q", cfg.Sources[0].StateDir, cfg.NATS.Embedded.StoreDir, cfg.Simulator.CertDir)
				}
			},
		},
		{
			name: "stream subjects follow the prefix and errors subject",
			yaml: minimal + "tag_processor: {subject_prefix: acme}\nnats: {errors_subject: edgetag.errors}\n",
			check: func(t *testing.T, cfg *Config) {
				if diff := cmp.Diff([]string{"acme.>", "edgetag.errors"}, cfg.NATS.JetStream.Subjects); diff != "" {
					t.Errorf("subjects (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "errors subject under the prefix is not added twice",
			yaml: minimal + "nats: {errors_subject: umh.v1.errors}\n",
			check: func(t *testing.T, cfg *Config) {
				if diff := cmp.Diff([]string{"umh.v1.>"}, cfg.NATS.JetStream.Subjects); diff != "" {
					t.Errorf("subjects (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "a leafnode uplink gets the site as its jetstream domain",
			file: "gw7.yaml",
			yaml: minimal + "nats: {embedded: {leafnode: {url: \"nats-leaf://hub:7422\"}}}\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.NATS.Embedded.Domain != "gw7" {
					t.Errorf("domain %q", cfg.NATS.Embedded.Domain)
				}
			},
		},
		{
			name: "store that syncs every write",
			yaml: minimal + "nats: {embedded: {sync_always: true}}\n",
			check: func(t *testing.T, cfg *Config) {
				if !cfg.NATS.Embedded.SyncAlways {
					t.Errorf("sync_always not set")
				}
			},
		},
		{
			name: "url as a list",
			yaml: minimal + "nats:\n  url:\n    - nats://a:4222\n    - tls://b:4222\n",
			check: func(t *testing.T, cfg *Config) {
				if cfg.NATS.URL != "nats://a:4222,tls://b:4222" {
					t.Errorf("url %q", cfg.NATS.URL)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.yaml), tt.file, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}

func TestSnippetLines(t *testing.T) {
	t.Parallel()
	const site = minimal + // lines 1-5
		`tag_processor:
  defaults: |   # a comment after the indicator
    msg.meta.a = 1;
    return msg;
  conditions:
    - if: msg.meta.a === 1
      then: "return msg;"
    - if: 'true'
      then: >-
        return
        msg;
    - if: |2
          true
      then: |

        return msg;
  advancedProcessing: return msg;
`
	cfg, err := Parse([]byte(site), "s.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Engine
	got := []engine.Snippet{e.Defaults, e.Conditions[0].If, e.Conditions[0].Then, e.Conditions[1].If, e.Conditions[1].Then,
		e.Conditions[2].If, e.Conditions[2].Then, e.AdvancedProcessing}
	want := []engine.Snippet{
		{Code: "msg.meta.a = 1;\nreturn msg;\n", File: "s.yaml", Line: 8},
		{Code: "msg.meta.a === 1", File: "s.yaml", Line: 11},
		{Code: "return msg;", File: "s.yaml", Line: 12},
		{Code: "true", File: "s.yaml", Line: 13},
		{Code: "return msg;", File: "s.yaml", Line: 15},
		{Code: "  true\n", File: "s.yaml", Line: 18},
		{Code: "\nreturn msg;\n", File: "s.yaml", Line: 20},
		{Code: "return msg;", File: "s.yaml", Line: 22},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snippets (-want +got):\n%s", diff)
	}
}

func TestErrorsSortedAndAllReported(t *testing.T) {
	t.Parallel()
	const site = `site: a b
sources:
  - name: plc
    endpoint: opc.tcp://${PLC}:4840
    mode: pol
    nodes: [{id: "x=1"}]
tag_processor:
  timeout: soon
nats:
  url: ${NATS_URL}
  jetstream: {strem: X}
`
	_, err := Parse([]byte(site), "s.yaml", noEnv)
	checkErrors(t, err, []want{
		{"1:7", "site", `"a b" may contain only`},
		{"4:15", "", "missing environment variables PLC (line 4), NATS_URL (line 10)"},
		{"5:11", "sources[0].mode", `"pol" is not allowed (did you mean "poll"?)`},
		{"6:18", "sources[0].nodes[0].id", `node id "x=1": identifier must start with i=, s=, g= or b=`},
		{"8:12", "tag_processor.timeout", `got "soon"`},
		{"11:15", "nats.jetstream.strem", `did you mean "stream"?`},
	})
	want := "s.yaml:1:7: site: \"a b\" may contain only letters, digits, '_' and '-' (it is used in subjects and metric labels)\n"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error text %q does not start with %q", err.Error(), want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "line4.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != path || cfg.Site != "line4" {
		t.Errorf("file %q site %q", cfg.File, cfg.Site)
	}

	missing := filepath.Join(dir, "missing.yaml")
	_, err = Load(missing, nil)
	var ces Errors
	if !errors.As(err, &ces) || len(ces) != 1 || !errors.Is(err, fs.ErrNotExist) || ces[0].File != missing {
		t.Fatalf("want one located not-exist error, got %v", err)
	}
	if errs := Check(missing, nil); len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("Check of a missing file: %v", errs)
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 5, Path: "sources[0].name", Msg: "bad"}, "a.yaml:3:5: sources[0].name: bad"},
		{Error{File: "a.yaml", Line: 3, Path: "site", Msg: "bad"}, "a.yaml:3: site: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Error{Line: 2, Column: 1, Msg: "bad"}, "2:1: bad"},
		{Error{Path: "x", Msg: "bad"}, "x: bad"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", minimal+`tag_processor:
  defaults: |
    msg.meta.location_path = "acme.berlin";
    msg.meta.data_contract = "_historian";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
`)
	if errs := Check(good, nil); len(errs) != 0 {
		t.Fatalf("good file: %v", errs)
	}
	// A tag_processor block as UMH users write it, pasted unchanged.
	umh := write("umh.yaml", minimal+`tag_processor:
  defaults: |
    msg.meta.location_path = "enterprise.site.area.line";
    msg.meta.data_contract = "_historian";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    msg.meta.virtual_path = msg.meta.opcua_tag_group;
    return msg;
  conditions:
    - if: msg.meta.opcua_tag_group && msg.meta.opcua_tag_group.includes("temperature")
      then: |
        msg.meta.location_path += ".temperature";
        return msg;
    - if: msg.meta.opcua_attr_nodeid === "ns=2;s=Line1.Pressure"
      then: |
        msg.payload = parseFloat(msg.payload) / 1000;
        return msg;
  advancedProcessing: |
    if (msg.payload === null) {
      return null;
    }
    return msg;
`)
	if errs := Check(umh, nil); len(errs) != 0 {
		t.Fatalf("pasted UMH block: %v", errs)
	}
	bad := write("bad.yaml", minimal+`tag_processor:
  defaults: |
    msg.meta.a = 1;
    return msg +;
  conditions:
    - if: msg.meta.a ===
      then: return msg;
`)
	errs := Check(bad, nil)
	if len(errs) != 2 {
		t.Fatalf("want 2 compile errors, got %d: %v", len(errs), errs)
	}
	wantAt := []struct {
		line, column int
		path         string
	}{{9, 4, "tag_processor.defaults"}, {11, 10, "tag_processor.conditions[0].if"}}
	for i, w := range wantAt {
		var ce *Error
		var comp *engine.CompileError
		if !errors.As(errs[i], &ce) || !errors.As(errs[i], &comp) {
			t.Fatalf("error %d (%v) is not a located compile error", i, errs[i])
		}
		if ce.Line != w.line || ce.Path != w.path || ce.File != bad || ce.Column != w.column+comp.Column {
			t.Errorf("error %d = %v (column %d), want line %d, column %d+%d, path %s", i, errs[i], ce.Column, w.line, w.column, comp.Column, w.path)
		}
	}
	// A file with a broken tag_processor block is not compiled.
	broken := write("broken.yaml", minimal+"tag_processor: {defaults: [1]}\n")
	if errs := Check(broken, nil); len(errs) != 1 {
		t.Errorf("broken block: %v", errs)
	}
}

// BenchmarkParse measures parsing, expanding and validating the reference
// config (every key written), the cost of a start or a reload.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("reference.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "reference.yaml", noEnv); err != nil {
			b.Fatal(err)
		}
	}
}
