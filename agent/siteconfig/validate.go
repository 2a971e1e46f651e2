package siteconfig

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/sink"
)

// Allowed values of the enums, in the order messages list them.
var (
	logLevels        = []string{"trace", "debug", "info", "warn", "error", "disabled"}
	logFormats       = []string{"auto", "json", "console"}
	securityPolicies = []string{"auto", "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss", "Basic256", "Basic128Rsa15"}
	securityModes    = []string{"auto", "None", "Sign", "SignAndEncrypt"}
	sourceModes      = []string{opcua.ModeSubscribe, opcua.ModePoll}
	deadbandTypes    = []string{"none", "absolute", "percent"}
	profiles         = []string{"auto", "default", "siemens-s7-1200", "siemens-s7-1500", "kepware", "ignition", "prosys", "open62541"}
	natsSchemes      = []string{"nats", "tls", "ws", "wss"}
	leafnodeSchemes  = []string{"nats-leaf", "nats", "tls", "ws", "wss"}
)

// converter turns a defaulted file into a Config, validating as it goes
// and reporting every problem at the place it was written.
type converter struct {
	d    *decoder
	file string
	// nodesFiles are the nodes files read, as opened.
	nodesFiles []string
}

// at returns the node written at path, or at its closest written ancestor
// when the value was defaulted (nil when nothing is known). A block mapping
// or list is located by its key, the line a reader looks for.
func (c *converter) at(p string) *yaml.Node {
	for {
		if n, ok := c.d.nodes[p]; ok {
			if k, ok := c.d.keys[p]; ok && n.Kind != yaml.ScalarNode && n.Style&yaml.FlowStyle == 0 {
				return k
			}
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return c.d.nodes[""]
		}
		p = p[:i]
	}
}

// written reports whether path was written in the file (not defaulted).
func (c *converter) written(p string) bool {
	_, ok := c.d.nodes[p]
	return ok
}

// errorf records a problem at path, unless the value there (or around it)
// already has one: a value that could not be decoded, or whose variable is
// missing, is not reported again as empty or invalid.
func (c *converter) errorf(p, format string, args ...any) {
	for q := p; ; {
		if c.d.failed[q] {
			return
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	c.d.add(c.at(p), p, fmt.Sprintf(format, args...))
}

// oneOf checks an enum value.
func (c *converter) oneOf(p, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		hint := ""
		if best := closest(v, allowed); best != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", best)
		}
		c.errorf(p, "%q is not allowed%s; use one of %s", v, hint, strings.Join(allowed, ", "))
	}
}

// positive checks a duration that must be greater than zero.
func (c *converter) positive(p string, d duration) time.Duration {
	if d <= 0 {
		c.errorf(p, "%s must be greater than 0", d.std())
	}
	return d.std()
}

// nonNegative checks a duration that may be zero.
func (c *converter) nonNegative(p string, d duration) time.Duration {
	if d < 0 {
		c.errorf(p, "%s must not be negative", d.std())
	}
	return d.std()
}

// atLeast checks an integer's lower bound.
func (c *converter) atLeast(p string, v, lo int) int {
	if v < lo {
		c.errorf(p, "%d must be at least %d", v, lo)
	}
	return v
}

// maxNameLength bounds a site or source name: the site is also the NATS
// connection name, the JetStream domain and a metric label, and a long one
// makes the server refuse the connection ("maximum control line
// exceeded") only when run starts.
const maxNameLength = 128

// payloadBytes checks tag_processor.max_payload_bytes: 1 byte to the
// engine's hard maximum (NATS refuses more than 64 MiB in any case).
func (c *converter) payloadBytes(p string, v int64) int {
	if v < 1 || v > engine.HardMaxPayloadBytes {
		c.errorf(p, "%d must be a size from 1 to %d (64MiB)", v, engine.HardMaxPayloadBytes)
		return engine.DefaultMaxPayloadBytes
	}
	return int(v)
}

// positiveSize checks a size that must be greater than 0.
func (c *converter) positiveSize(p string, v int64) int64 {
	if v < 1 {
		c.errorf(p, "%d must be a size greater than 0", v)
	}
	return v
}

// streamMaxBytes converts nats.jetstream.max_bytes: auto is 0 for the sink
// (derived from the free disk, see sink.JetStream.MaxBytes); a written size
// must be greater than 0, or -1 for no limit.
func (c *converter) streamMaxBytes(v streamSize) int64 {
	if v == autoStreamSize {
		return 0
	}
	if v == 0 || v < -1 {
		c.errorf("nats.jetstream.max_bytes", "%d must be a size greater than 0, -1 for no limit, or auto", v)
	}
	return int64(v)
}

// name checks a site or source name: it ends up in subjects, message ids
// and metric labels.
func (c *converter) name(p, v string) {
	if v == "" {
		c.errorf(p, "is required: a name of letters, digits, '_' and '-'")
		return
	}
	if len(v) > maxNameLength {
		c.errorf(p, "is %d bytes long: at most %d are allowed (it names the NATS connection and metric labels)", len(v), maxNameLength)
		return
	}
	if !isSafeName(v) {
		c.errorf(p, "%q may contain only letters, digits, '_' and '-' (it is used in subjects and metric labels)", v)
	}
}

// listen checks a host:port listen address; allowRandom admits port -1.
// It reports whether the address is valid.
func (c *converter) listen(p, v string, allowRandom bool) bool {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		c.errorf(p, "%q is not host:port (such as 127.0.0.1:4222 or :4222)", v)
		return false
	}
	n, err := strconv.Atoi(port)
	lo := 0
	if allowRandom {
		lo = -1
	}
	if err != nil || n < lo || n > 65535 {
		c.errorf(p, "%q: port %q must be a number from 0 to 65535", v, port)
		return false
	}
	return true
}

// Exposure and remedy of a plain HTTP listener, for sink.CheckListen.
const (
	httpExposed = "it serves /metrics and /readyz over plain HTTP"
	httpRemedy  = "set http.tls (cert and key)"
)

// http converts the http block: the listener, its TLS and the listen
// policy (sink.CheckListen), and whether /debug/pprof is served.
func (c *converter) http(h *httpFile, cfg *Config) {
	cfg.HTTPListen = *h.Listen
	cfg.HTTPTLS = c.serverTLS("http.tls", h.TLS)
	cfg.HTTPPprof = *h.Pprof
	cfg.HTTPAllowInsecureListen = *h.AllowInsecureListen
	if cfg.HTTPListen == "" || !c.listen("http.listen", cfg.HTTPListen, false) {
		return
	}
	if err := sink.CheckListen(cfg.HTTPListen, httpExposed, httpRemedy, cfg.HTTPTLS.Enabled(), cfg.HTTPAllowInsecureListen); err != nil {
		c.errorf("http.listen", "%v", err)
	}
}

// serverTLS converts and checks the TLS block of a listener.
func (c *converter) serverTLS(p string, t *serverTLSFile) sink.ServerTLS {
	st := sink.ServerTLS{Cert: *t.Cert, Key: *t.Key, CA: *t.CA}
	if err := st.Check(); err != nil {
		c.errorf(p, "%v", err)
	}
	return st
}

// convert validates the defaulted file f and builds the Config.
func (c *converter) convert(f *siteFile) *Config {
	cfg := &Config{
		File:     c.file,
		Site:     *f.Site,
		StateDir: *f.StateDir,
		Log:      LogConfig{Level: *f.Log.Level, Format: *f.Log.Format},
	}
	c.name("site", cfg.Site)
	if cfg.StateDir == "" {
		c.errorf("state_dir", "must not be empty: generated certificates, trust lists and the JetStream store live there")
	}
	c.oneOf("log.level", cfg.Log.Level, logLevels)
	c.oneOf("log.format", cfg.Log.Format, logFormats)
	c.http(f.HTTP, cfg)
	cfg.Workers = c.atLeast("workers", *f.Workers, 0)
	cfg.QueueSize = c.atLeast("queue_size", *f.QueueSize, 1)
	cfg.ShutdownTimeout = c.positive("shutdown_timeout", *f.ShutdownTimeout)
	cfg.MemoryLimit = int64(*f.MemoryLimit)
	if cfg.MemoryLimit > 0 && cfg.MemoryLimit < minMemoryLimit {
		c.errorf("memory_limit", "%d bytes is below the smallest useful limit, 32MiB (0 = no limit, auto = derived)", cfg.MemoryLimit)
	}

	if s := f.Simulator; s != nil {
		cfg.Simulator = c.simulator(s)
	}
	if len(f.Sources) == 0 && f.Simulator == nil {
		c.errorf("sources", "at least one source is required (or a simulator block, as in the demo)")
	}
	firstName := map[string]int{}
	for i := range f.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		sc := c.source(p, &f.Sources[i], cfg)
		if first, dup := firstName[sc.Name]; dup && sc.Name != "" {
			c.errorf(p+".name", "duplicate source name %q (first used by sources[%d], line %d)", sc.Name, first, lineOf(c.at(fmt.Sprintf("sources[%d].name", first))))
		} else {
			firstName[sc.Name] = i
		}
		cfg.Sources = append(cfg.Sources, sc)
	}
	cfg.NodesFiles = c.nodesFiles
	cfg.Engine = c.engine(f.TagProcessor)
	cfg.NATS = c.nats(f.NATS, cfg)
	cfg.Engine.Headers = c.headers("nats.headers", *f.NATS.Headers)
	cfg.Commands = c.commands(f.Commands, cfg)
	return cfg
}

// allHeaders in nats.headers sends every meta key as a header.
const allHeaders = "*"

// headers checks nats.headers and returns engine.Config.Headers: nil for
// every meta key ("*"), else the keys listed (none for an empty list).
func (c *converter) headers(p string, keys stringList) []string {
	if slices.Contains(keys, allHeaders) {
		if len(keys) > 1 {
			c.errorf(p, "%q sends every meta key, so it stands alone", allHeaders)
		}
		return nil
	}
	out := make([]string, 0, len(keys))
	for i, k := range keys {
		kp := fmt.Sprintf("%s[%d]", p, i)
		if !c.written(kp) {
			kp = p
		}
		switch {
		case !sink.ValidHeaderKey(k):
			c.errorf(kp, "%q is not a valid header name: printable ASCII without spaces or \"(),/:;<=>?@[\\]{}", k)
		case strings.EqualFold(k, sink.MsgIDHeader):
			c.errorf(kp, "%s is set by the sink with JetStream; it is not a meta key", sink.MsgIDHeader)
		case slices.Contains(out, k):
			c.errorf(kp, "%q is listed twice", k)
		default:
			out = append(out, k)
		}
	}
	return out
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func (c *converter) simulator(s *simulatorFile) *sim.Config {
	c.listen("simulator.listen", *s.Listen, false)
	return &sim.Config{
		Listen:    *s.Listen,
		Rate:      c.positive("simulator.rate", *s.Rate),
		ExtraTags: c.atLeast("simulator.extra_tags", *s.ExtraTags, 0),
		Username:  *s.Username,
		Password:  *s.Password,
		Security:  *s.Security,
		CertDir:   *s.CertDir,
	}
}

// source validates and converts sources[i].
func (c *converter) source(p string, s *sourceFile, cfg *Config) opcua.Config {
	sc := opcua.Config{
		Name:     *s.Name,
		Site:     cfg.Site,
		Endpoint: *s.Endpoint,
		Security: opcua.Security{Policy: *s.Security.Policy, Mode: *s.Security.Mode},
		Auth: opcua.Auth{Username: *s.Auth.Username, Password: *s.Auth.Password,
			Certificate: *s.Auth.Certificate, Key: *s.Auth.Key},
		Trust:              opcua.Trust{AcceptAny: *s.Trust.AcceptAny},
		Mode:               *s.Mode,
		PublishingInterval: c.positive(p+".publishing_interval", *s.PublishingInterval),
		SamplingInterval:   s.SamplingInterval.std(),
		PollInterval:       c.positive(p+".poll_interval", *s.PollInterval),
		Deadband:           opcua.Deadband{Type: *s.Deadband.Type, Value: *s.Deadband.Value},
		Limits: opcua.Limits{
			Profile:                  *s.Limits.Profile,
			MaxNodesPerRead:          c.atLeast(p+".limits.max_nodes_per_read", *s.Limits.MaxNodesPerRead, 0),
			MaxNodesPerBrowse:        c.atLeast(p+".limits.max_nodes_per_browse", *s.Limits.MaxNodesPerBrowse, 0),
			MaxMonitoredItemsPerCall: c.atLeast(p+".limits.max_monitored_items_per_call", *s.Limits.MaxMonitoredItemsPerCall, 0),
			MaxMonitoredItemsPerSubscription: c.atLeast(p+".limits.max_monitored_items_per_subscription",
				*s.Limits.MaxMonitoredItemsPerSubscription, 0),
			MaxBrowseContinuationPoints: c.atLeast(p+".limits.max_browse_continuation_points",
				*s.Limits.MaxBrowseContinuationPoints, 0),
		},
		StateDir:           cfg.StateDir,
		ReconnectMin:       c.positive(p+".reconnect.min", *s.Reconnect.Min),
		ReconnectMax:       c.positive(p+".reconnect.max", *s.Reconnect.Max),
		Heartbeat:          c.positive(p+".heartbeat", *s.Heartbeat),
		KeepAlive:          c.positive(p+".keep_alive", *s.KeepAlive),
		RequestTimeout:     c.positive(p+".request_timeout", *s.RequestTimeout),
		ReadAfterReconnect: s.ReadAfterReconnect,
		ReuseNodes:         s.ReuseNodes,
		RetryFailedItems:   c.positive(p+".retry_failed_items", *s.RetryFailedItems),
		Enums:              *s.Enums,
	}
	c.oneOf(p+".enums", sc.Enums, opcua.EnumForms)
	c.name(p+".name", sc.Name)
	c.endpoint(p+".endpoint", sc.Endpoint)
	c.oneOf(p+".security.policy", sc.Security.Policy, securityPolicies)
	c.oneOf(p+".security.mode", sc.Security.Mode, securityModes)
	if pol, mode := sc.Security.Policy, sc.Security.Mode; pol != "auto" && mode != "auto" && (pol == "None") != (mode == "None") {
		c.errorf(p+".security", "policy %s with mode %s is not a valid pair: None goes with None, every other policy with Sign or SignAndEncrypt", pol, mode)
	}
	a := sc.Auth
	if a.Password != "" && a.Username == "" {
		c.errorf(p+".auth.password", "is set without auth.username")
	}
	if a.Username != "" && a.Certificate != "" {
		c.errorf(p+".auth", "username and certificate are exclusive: a user signs in with one identity")
	}
	if (a.Certificate == "") != (a.Key == "") {
		c.errorf(p+".auth", "certificate and key go together (PEM or DER files of the X.509 user identity)")
	}
	c.oneOf(p+".mode", sc.Mode, sourceModes)
	if q := *s.QueueSize; q < 1 || q > math.MaxUint32 {
		c.errorf(p+".queue_size", "%d must be from 1 to %d", q, uint32(math.MaxUint32))
	} else {
		sc.QueueSize = uint32(q)
	}
	c.deadband(p, sc)
	c.oneOf(p+".limits.profile", sc.Limits.Profile, profiles)
	if sc.ReconnectMin > sc.ReconnectMax {
		c.errorf(p+".reconnect", "min %s is longer than max %s", sc.ReconnectMin, sc.ReconnectMax)
	}
	c.nodes(p, s, &sc)
	c.events(p, s, &sc)
	return sc
}

// nodes converts the nodes of source p: its nodes: entries, then the ids
// its nodes_file lists. A node id is listed once across both.
func (c *converter) nodes(p string, s *sourceFile, sc *opcua.Config) {
	seen := nodeIndex{first: make(map[string]int, len(s.Nodes)), yamlNodes: len(s.Nodes)}
	sc.Nodes = make([]opcua.NodeConfig, 0, len(s.Nodes))
	for i := range s.Nodes {
		np := p + ".nodes[" + strconv.Itoa(i) + "]"
		nc := c.node(np, &s.Nodes[i])
		if where, dup := seen.add(c, p, nc.ID, len(sc.Nodes)); dup {
			c.errorf(np+".id", "duplicate node %q (already %s)", nc.ID, where)
		}
		sc.Nodes = append(sc.Nodes, nc)
	}
	switch {
	case *s.NodesFile != "":
		c.nodesFile(p, *s.NodesFile, sc, &seen)
	case len(sc.Nodes) == 0 && len(s.Events) == 0:
		c.errorf(p+".nodes", "at least one node is required (in nodes or nodes_file): a variable, or a folder or object to browse; or an events entry")
	}
}

func (c *converter) deadband(p string, sc opcua.Config) {
	db := sc.Deadband
	c.oneOf(p+".deadband.type", db.Type, deadbandTypes)
	switch {
	case db.Value < 0:
		c.errorf(p+".deadband.value", "%v must not be negative", db.Value)
	case db.Type == "percent" && db.Value > 100:
		c.errorf(p+".deadband.value", "%v is not a percentage from 0 to 100", db.Value)
	case db.Type == "none" && db.Value != 0:
		c.errorf(p+".deadband.value", "%v has no effect with type none; set deadband.type to absolute or percent", db.Value)
	}
	if db.Type != "none" && sc.Mode == opcua.ModePoll {
		c.errorf(p+".deadband", "applies only to mode subscribe (a server-side filter); this source polls")
	}
}

// endpoint checks an OPC UA endpoint URL: opc.tcp://host[:port][/path].
func (c *converter) endpoint(p, v string) {
	if v == "" {
		c.errorf(p, "is required: opc.tcp://host:port")
		return
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "opc.tcp" || u.Hostname() == "" {
		c.errorf(p, "%q is not an OPC UA endpoint: use opc.tcp://host:port[/path]", v)
		return
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.errorf(p, "%q: port %q must be a number from 1 to 65535", v, port)
		}
	}
}

func (c *converter) node(p string, n *nodeFile) opcua.NodeConfig {
	nc := opcua.NodeConfig{
		ID:       strings.TrimSpace(*n.ID),
		Name:     *n.Name,
		Include:  n.Include,
		Exclude:  n.Exclude,
		MaxDepth: *n.MaxDepth,
		MaxNodes: *n.MaxNodes,
	}
	if nc.MaxDepth < 1 { // the path is built only for a problem: a tag list has 100,000s of nodes
		c.atLeast(p+".max_depth", nc.MaxDepth, 1)
	}
	if nc.MaxNodes < 1 {
		c.atLeast(p+".max_nodes", nc.MaxNodes, 1)
	}
	if nc.ID == "" {
		c.errorf(p+".id", "is required: a node id such as ns=2;s=Line1, i=85 or nsu=urn:acme:plc;s=Motor")
	} else if err := checkNodeID(nc.ID); err != nil {
		c.errorf(p+".id", "%v", err)
	}
	if nc.Name != "" {
		if err := checkNodeName(nc.Name); err != nil {
			c.errorf(p+".name", "%v", err)
		}
	}
	for _, list := range []struct {
		key      string
		patterns []string
	}{{"include", nc.Include}, {"exclude", nc.Exclude}} {
		for i, g := range list.patterns {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				c.errorf(fmt.Sprintf("%s.%s[%d]", p, list.key, i), "%q is not a valid glob (\"**\" spans path elements, \"*\" and \"?\" match within one, [...] a class)", g)
			}
		}
	}
	return nc
}

// engine converts the tag_processor block.
func (c *converter) engine(tp *tagProcessorFile) engine.Config {
	snip := func(s *script) engine.Snippet {
		return engine.Snippet{Code: s.Code, File: c.file, Line: s.Line}
	}
	ec := engine.Config{
		Defaults:           snip(tp.Defaults),
		AdvancedProcessing: snip(tp.AdvancedProcessing),
		SubjectPrefix:      *tp.SubjectPrefix,
		Timeout:            c.positive("tag_processor.timeout", *tp.Timeout),
		Runtimes:           c.atLeast("tag_processor.runtimes", *tp.Runtimes, 0),
		MaxPayloadBytes:    c.payloadBytes("tag_processor.max_payload_bytes", int64(*tp.MaxPayloadBytes)),
		CacheMaxBytes:      c.positiveSize("tag_processor.cache_max_bytes", int64(*tp.CacheMaxBytes)),
		BadStatus:          *tp.BadStatus,
		NoShortcuts:        !*tp.Shortcuts,
		StatusName:         opcua.StatusName,
	}
	c.oneOf("tag_processor.bad_status", ec.BadStatus, engine.BadStatuses)
	for i, cond := range tp.Conditions {
		p := fmt.Sprintf("tag_processor.conditions[%d]", i)
		if strings.TrimSpace(cond.If.Code) == "" {
			c.errorf(p+".if", "is required: a JavaScript expression such as msg.meta.opcua_tag_group.startsWith(\"axis\")")
		}
		if strings.TrimSpace(cond.Then.Code) == "" {
			c.errorf(p+".then", "is required: a JavaScript function body that returns msg")
		}
		ec.Conditions = append(ec.Conditions, engine.Condition{If: snip(cond.If), Then: snip(cond.Then)})
	}
	var se *engine.SubjectError
	if err := engine.ValidateSubjectPrefix(ec.SubjectPrefix); errors.As(err, &se) {
		c.errorf("tag_processor.subject_prefix", "%q: %s; use dot-separated tokens of letters, digits, '_' and '-', none starting with '_' (such as umh.v1)", ec.SubjectPrefix, se.Problem)
	} else if err != nil {
		c.errorf("tag_processor.subject_prefix", "%q: %v", ec.SubjectPrefix, err)
	}
	return ec
}

// nats converts the nats block.
func (c *converter) nats(n *natsFile, cfg *Config) sink.Config {
	sc := sink.Config{
		Name: cfg.Site,
		URL:  strings.Join(n.URL, ","),
		Auth: sink.Auth{CredentialsFile: *n.Credentials, NKeySeedFile: *n.NKey,
			User: *n.User, Password: *n.Password, Token: *n.Token},
		TLS:           sink.TLS{CA: *n.TLS.CA, Cert: *n.TLS.Cert, Key: *n.TLS.Key},
		ErrorsSubject: *n.ErrorsSubject,
		DrainTimeout:  c.positive("nats.drain_timeout", *n.DrainTimeout),
	}
	for i, u := range n.URL {
		p := "nats.url"
		if c.written(fmt.Sprintf("nats.url[%d]", i)) {
			p = fmt.Sprintf("nats.url[%d]", i)
		}
		c.serverURL(p, u, natsSchemes, "nats://host:4222")
	}
	if rb := int64(*n.ReconnectBuffer); rb < 0 || rb > math.MaxInt32 {
		c.errorf("nats.reconnect_buffer", "%d must be from 0 to 2GiB", rb)
	} else {
		sc.ReconnectBufSize = int(rb)
	}
	c.auth("nats", sc.Auth)
	c.tls("nats.tls", sc.TLS)
	if sc.URL == "" && (sc.Auth != sink.Auth{} || sc.TLS != sink.TLS{}) {
		c.errorf("nats", "credentials, nkey, user, password, token and tls apply to an external server (nats.url); "+
			"the embedded server's clients are set in nats.embedded.users and nats.embedded.tls")
	}
	if sc.ErrorsSubject != "" && !validSubject(sc.ErrorsSubject, false) {
		c.errorf("nats.errors_subject", "%q is not a valid subject: dot-separated tokens without spaces or wildcards", sc.ErrorsSubject)
	}

	e := n.Embedded
	l := e.Leafnode
	sc.Embedded = sink.Embedded{
		Listen:              *e.Listen,
		Users:               c.embeddedUsers(e.Users),
		TLS:                 c.serverTLS("nats.embedded.tls", e.TLS),
		AllowInsecureListen: *e.AllowInsecureListen,
		StoreDir:            *e.StoreDir,
		Domain:              *e.Domain,
		SyncAlways:          *e.SyncAlways,
		Leafnode: sink.Leafnode{
			URL:  *l.URL,
			Auth: sink.Auth{CredentialsFile: *l.Credentials, User: *l.User, Password: *l.Password},
			TLS:  sink.TLS{CA: *l.TLS.CA, Cert: *l.TLS.Cert, Key: *l.TLS.Key},
		},
	}
	if sc.URL != "" && c.written("nats.embedded") {
		c.errorf("nats.embedded", "applies only to the embedded server, but nats.url is set: remove one of them")
	}
	if c.listen("nats.embedded.listen", sc.Embedded.Listen, true) && sc.URL == "" {
		em := sc.Embedded
		if err := sink.CheckListen(em.Listen, sink.EmbeddedExposed, sink.EmbeddedRemedy, em.Secured(), em.AllowInsecureListen); err != nil {
			c.errorf("nats.embedded.listen", "%v", err)
		}
	}
	if sc.Embedded.StoreDir == "" {
		c.errorf("nats.embedded.store_dir", "must not be empty: it holds the JetStream file store")
	}
	if d := sc.Embedded.Domain; d != "" && !isSafeName(d) {
		c.errorf("nats.embedded.domain", "%q may contain only letters, digits, '_' and '-'", d)
	}
	ln := sc.Embedded.Leafnode
	if ln.URL != "" {
		c.serverURL("nats.embedded.leafnode.url", ln.URL, leafnodeSchemes, "nats-leaf://hub:7422")
	} else if (ln.Auth != sink.Auth{} || ln.TLS != sink.TLS{}) {
		c.errorf("nats.embedded.leafnode", "credentials, user, password or tls are set but url is empty")
	}
	c.auth("nats.embedded.leafnode", ln.Auth)
	c.tls("nats.embedded.leafnode.tls", ln.TLS)

	js := n.JetStream
	sc.JetStream = sink.JetStream{
		Enabled:         *js.Enabled,
		Stream:          *js.Stream,
		Subjects:        js.Subjects,
		MaxBytes:        c.streamMaxBytes(*js.MaxBytes),
		MaxAge:          c.nonNegative("nats.jetstream.max_age", *js.MaxAge),
		DuplicateWindow: c.positive("nats.jetstream.duplicate_window", *js.DuplicateWindow),
		MaxAckPending:   c.atLeast("nats.jetstream.max_ack_pending", *js.MaxAckPending, 1),
		AckTimeout:      c.positive("nats.jetstream.ack_timeout", *js.AckTimeout),
		Compression:     *js.Compression,
	}
	c.oneOf("nats.jetstream.compression", *js.Compression, []string{sink.CompressionS2, sink.CompressionNone})
	if !validStreamName(sc.JetStream.Stream) {
		c.errorf("nats.jetstream.stream", "%q is not a stream name: no spaces, '.', '*', '>', '/' or '\\'", sc.JetStream.Stream)
	}
	if len(sc.JetStream.Subjects) == 0 {
		c.errorf("nats.jetstream.subjects", "must not be empty")
	}
	for i, s := range sc.JetStream.Subjects {
		if !c.written("nats.jetstream.subjects") {
			break // derived from subject_prefix and errors_subject, checked there
		}
		p := "nats.jetstream.subjects"
		if c.written(fmt.Sprintf("%s[%d]", p, i)) {
			p = fmt.Sprintf("%s[%d]", p, i)
		}
		if !validSubject(s, true) {
			c.errorf(p, "%q is not a valid subject filter: dot-separated tokens, '*' for one token, '>' last", s)
		}
	}
	if es := sc.ErrorsSubject; es != "" && sc.JetStream.Enabled && c.written("nats.jetstream.subjects") && validSubject(es, false) &&
		!slices.ContainsFunc(sc.JetStream.Subjects, func(f string) bool { return subjectMatches(f, es) }) {
		c.errorf("nats.errors_subject", "%q is not captured by nats.jetstream.subjects, so publishing there would fail: add it to the list", es)
	}
	if ma, dw := sc.JetStream.MaxAge, sc.JetStream.DuplicateWindow; ma > 0 && dw > ma {
		c.errorf("nats.jetstream.duplicate_window", "%s is longer than max_age %s", dw, ma)
	}
	sc.Embedded.MQTT = c.mqtt(n.Embedded.MQTT, sc)
	return sc
}

// embeddedUsers converts and checks nats.embedded.users: each user alone
// (sink.User.Check), and that no name or nkey is given twice.
func (c *converter) embeddedUsers(users []embeddedUser) []sink.User {
	var out []sink.User
	first := map[string]int{}
	for i, f := range users {
		p := fmt.Sprintf("nats.embedded.users[%d]", i)
		u := sink.User{Name: *f.User, Password: *f.Password, NKey: *f.NKey, Role: *f.Role}
		if pm := f.Permissions; pm != nil {
			u.Permissions = &sink.Permissions{
				Publish:   c.subjectRules(p+".permissions.publish", pm.Publish),
				Subscribe: c.subjectRules(p+".permissions.subscribe", pm.Subscribe),
			}
		}
		for _, fe := range u.Check() {
			fp := p
			if fe.Field != "" {
				fp += "." + fe.Field
			}
			c.errorf(fp, "%s", fe.Msg)
		}
		id := u.Name + u.NKey
		if j, dup := first[id]; dup && id != "" {
			c.errorf(p, "%q is already nats.embedded.users[%d]", id, j)
		} else {
			first[id] = i
		}
		out = append(out, u)
	}
	return out
}

// subjectRules converts and checks one allow/deny block of permissions.
func (c *converter) subjectRules(p string, r *subjectRulesFile) sink.SubjectRules {
	for _, l := range []struct {
		key      string
		subjects stringList
	}{{"allow", r.Allow}, {"deny", r.Deny}} {
		for i, s := range l.subjects {
			sp := fmt.Sprintf("%s.%s[%d]", p, l.key, i)
			if !c.written(sp) {
				sp = p + "." + l.key
			}
			if !validSubject(s, true) {
				c.errorf(sp, "%q is not a valid subject filter: dot-separated tokens, '*' for one token, '>' last", s)
			}
		}
	}
	return sink.SubjectRules{Allow: r.Allow, Deny: r.Deny}
}

// serverURL checks one NATS server URL. Messages quote it without its
// credentials.
func (c *converter) serverURL(p, v string, schemes []string, example string) {
	shown := redact.URLs(v)
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		c.errorf(p, "%q is not a server URL such as %s", shown, example)
		return
	}
	if !slices.Contains(schemes, u.Scheme) {
		c.errorf(p, "%q: scheme %q is not allowed; use one of %s", shown, u.Scheme, strings.Join(schemes, ", "))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.errorf(p, "%q: port %q must be a number from 1 to 65535", shown, port)
		}
	}
}

// auth checks that at most one authentication method is given.
func (c *converter) auth(p string, a sink.Auth) {
	var set []string
	for _, m := range []struct {
		key string
		on  bool
	}{{"credentials", a.CredentialsFile != ""}, {"nkey", a.NKeySeedFile != ""}, {"user", a.User != ""}, {"token", a.Token != ""}} {
		if m.on {
			set = append(set, m.key)
		}
	}
	if len(set) > 1 {
		c.errorf(p, "%s are all set: use one way to authenticate", strings.Join(set, ", "))
	}
	if a.Password != "" && a.User == "" {
		c.errorf(p+".password", "is set without user")
	}
}

func (c *converter) tls(p string, t sink.TLS) {
	if (t.Cert == "") != (t.Key == "") {
		c.errorf(p, "cert and key go together (a client certificate and its private key)")
	}
}

// isSafeName reports whether s is one or more of [A-Za-z0-9_-].
func isSafeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validSubject reports whether s is a NATS subject: dot-separated non-empty
// tokens without white space; with wildcards, '*' may be a whole token and
// '>' the whole last token.
func validSubject(s string, wildcards bool) bool {
	if s == "" {
		return false
	}
	toks := strings.Split(s, ".")
	for i, tok := range toks {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
		if strings.ContainsAny(tok, "*>") {
			if !wildcards || !(tok == "*" || tok == ">" && i == len(toks)-1) {
				return false
			}
		}
	}
	return true
}

// subjectMatches reports whether the subject filter matches subject.
func subjectMatches(filter, subject string) bool {
	ft, st := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, f := range ft {
		if f == ">" {
			return len(st) > i
		}
		if i >= len(st) || f != "*" && f != st[i] {
			return false
		}
	}
	return len(ft) == len(st)
}

func validStreamName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\r\n.*>/\\")
}

// checkNodeID checks the syntax of a node id with the OPC UA package's
// parser (i=, s=, g=, b=, optionally after ns=<index>; or nsu=<uri>;). The
// namespace URI of an nsu= id is resolved only once connected, so here it
// stands in as a namespace of its own.
func checkNodeID(id string) error {
	var namespaces []string
	if rest, ok := strings.CutPrefix(id, "nsu="); ok {
		uri, _, _ := strings.Cut(rest, ";")
		namespaces = []string{uri}
	}
	if _, err := opcua.ParseNodeID(id, namespaces); err != nil {
		return errors.New(strings.TrimSuffix(err.Error(), ": "+opcua.ErrInvalidNodeID.Error()))
	}
	return nil
}
