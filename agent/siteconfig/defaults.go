package siteconfig

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/sink"
)

// Defaults of the site file that are not a component's own default. Every
// default of the site file is applied in applyDefaults and nowhere else;
// reference.yaml shows them all.
const (
	DefaultLogLevel  = "info"
	DefaultLogFormat = "auto"
	// DefaultSite is the site name when the file has no site key and no
	// file name to take one from.
	DefaultSite = "edgetag"
	// DefaultWorkers of 0 means one engine worker per CPU.
	DefaultWorkers = 0
	// storeSubdir is the JetStream store below state_dir.
	storeSubdir = "jetstream"
	// simCertSubdir is the simulator's certificate directory below state_dir.
	simCertSubdir = "simulator"
)

// setDefault sets *p to v when it is absent.
func setDefault[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// applyDefaults fills every value the file leaves out. It runs on the file
// layer, so an explicit value (even "" or 0) is never replaced. Values
// derived from others (the JetStream store below state_dir, the stream's
// subjects from subject_prefix) are derived here too.
func applyDefaults(f *siteFile, file string) {
	setDefault(&f.Site, siteFromFile(file))
	setDefault(&f.StateDir, DefaultStateDir)
	setDefault(&f.Log, logFile{})
	setDefault(&f.Log.Level, DefaultLogLevel)
	setDefault(&f.Log.Format, DefaultLogFormat)
	setDefault(&f.HTTP, httpFile{})
	setDefault(&f.HTTP.Listen, DefaultHTTPListen)
	setDefault(&f.HTTP.TLS, serverTLSFile{})
	defaultServerTLS(f.HTTP.TLS)
	setDefault(&f.HTTP.Pprof, false)
	setDefault(&f.HTTP.AllowInsecureListen, false)
	setDefault(&f.Workers, DefaultWorkers)
	setDefault(&f.QueueSize, DefaultQueueSize)
	setDefault(&f.ShutdownTimeout, duration(DefaultShutdownTimeout))
	setDefault(&f.MemoryLimit, memoryLimitSetting(MemoryLimitAuto))

	if s := f.Simulator; s != nil {
		setDefault(&s.Listen, sim.DefaultListen)
		setDefault(&s.Rate, duration(sim.DefaultRate))
		setDefault(&s.ExtraTags, 0)
		setDefault(&s.Username, "")
		setDefault(&s.Password, "")
		setDefault(&s.Security, false)
		setDefault(&s.CertDir, filepath.Join(*f.StateDir, simCertSubdir))
	}

	for i := range f.Sources {
		defaultSource(&f.Sources[i])
	}

	setDefault(&f.TagProcessor, tagProcessorFile{})
	tp := f.TagProcessor
	setDefault(&tp.Defaults, script{})
	setDefault(&tp.AdvancedProcessing, script{})
	for i := range tp.Conditions {
		setDefault(&tp.Conditions[i].If, script{})
		setDefault(&tp.Conditions[i].Then, script{})
	}
	setDefault(&tp.SubjectPrefix, engine.DefaultSubjectPrefix)
	setDefault(&tp.Timeout, duration(engine.DefaultTimeout))
	setDefault(&tp.Runtimes, 0)
	setDefault(&tp.MaxPayloadBytes, byteSize(engine.DefaultMaxPayloadBytes))
	setDefault(&tp.CacheMaxBytes, byteSize(engine.DefaultCacheMaxBytes))
	setDefault(&tp.BadStatus, engine.BadStatusDrop)
	setDefault(&tp.Shortcuts, true)

	setDefault(&f.NATS, natsFile{})
	n := f.NATS
	for _, p := range []**string{&n.Credentials, &n.NKey, &n.User, &n.Password, &n.Token, &n.ErrorsSubject} {
		setDefault(p, "")
	}
	setDefault(&n.TLS, tlsFile{})
	defaultTLS(n.TLS)
	setDefault(&n.Headers, slices.Clone(defaultHeaders))
	setDefault(&n.ReconnectBuffer, byteSize(sink.DefaultReconnectBuf))
	setDefault(&n.DrainTimeout, duration(sink.DefaultDrainTimeout))
	setDefault(&n.Embedded, embeddedFile{})
	e := n.Embedded
	setDefault(&e.Listen, sink.DefaultEmbeddedListen)
	setDefault(&e.TLS, serverTLSFile{})
	defaultServerTLS(e.TLS)
	setDefault(&e.AllowInsecureListen, false)
	for i := range e.Users {
		u := &e.Users[i]
		for _, p := range []**string{&u.User, &u.Password, &u.NKey} {
			setDefault(p, "")
		}
		setDefault(&u.Role, sink.RoleConsumer)
		if pm := u.Permissions; pm != nil {
			setDefault(&pm.Publish, subjectRulesFile{})
			setDefault(&pm.Subscribe, subjectRulesFile{})
		}
	}
	setDefault(&e.StoreDir, filepath.Join(*f.StateDir, storeSubdir))
	setDefault(&e.SyncAlways, false)
	setDefault(&e.Leafnode, leafnodeFile{})
	l := e.Leafnode
	for _, p := range []**string{&l.URL, &l.Credentials, &l.User, &l.Password} {
		setDefault(p, "")
	}
	setDefault(&l.TLS, tlsFile{})
	defaultTLS(l.TLS)
	// A gateway that uplinks as a leaf node needs a JetStream domain of its
	// own so the hub can source its stream; the site name is the natural one.
	if *l.URL != "" {
		setDefault(&e.Domain, *f.Site)
	}
	setDefault(&e.Domain, "")
	setDefault(&e.MQTT, mqttFile{})
	setDefault(&e.MQTT.Listen, "")
	setDefault(&n.JetStream, jetStreamFile{})
	js := n.JetStream
	setDefault(&js.Enabled, true)
	setDefault(&js.Stream, sink.DefaultStream)
	if js.Subjects == nil {
		js.Subjects = stringList{*tp.SubjectPrefix + ".>"}
		if es := *n.ErrorsSubject; es != "" && !subjectMatches(js.Subjects[0], es) {
			js.Subjects = append(js.Subjects, es)
		}
	}
	setDefault(&js.MaxBytes, autoStreamSize)
	setDefault(&js.MaxAge, duration(0))
	setDefault(&js.AckTimeout, duration(sink.DefaultAckTimeout))
	if len(n.URL) == 0 {
		setDefault(&js.DuplicateWindow, duration(sink.EmbeddedDupeWindow(time.Duration(*js.AckTimeout))))
	}
	setDefault(&js.DuplicateWindow, duration(sink.DefaultDupeWindow))
	setDefault(&js.MaxAckPending, sink.DefaultMaxAckPending)
	setDefault(&js.Compression, sink.DefaultCompression)
}

// defaultSource fills the defaults of one source, which are the OPC UA
// package's.
func defaultSource(s *sourceFile) {
	setDefault(&s.Name, "")
	setDefault(&s.Endpoint, "")
	setDefault(&s.Security, securityFile{})
	setDefault(&s.Security.Policy, "auto")
	setDefault(&s.Security.Mode, "auto")
	setDefault(&s.Auth, authFile{})
	for _, p := range []**string{&s.Auth.Username, &s.Auth.Password, &s.Auth.Certificate, &s.Auth.Key} {
		setDefault(p, "")
	}
	setDefault(&s.Trust, trustFile{})
	setDefault(&s.Trust.AcceptAny, false)
	setDefault(&s.Mode, opcua.ModeSubscribe)
	setDefault(&s.PublishingInterval, duration(opcua.DefaultPublishingInterval))
	setDefault(&s.SamplingInterval, sampling(opcua.DefaultSamplingInterval))
	setDefault(&s.QueueSize, int64(opcua.DefaultQueueSize))
	setDefault(&s.PollInterval, duration(opcua.DefaultPollInterval))
	setDefault(&s.Deadband, deadbandFile{})
	setDefault(&s.Deadband.Type, "none")
	setDefault(&s.Deadband.Value, 0)
	for i := range s.Nodes {
		nd := &s.Nodes[i]
		setDefault(&nd.ID, "")
		setDefault(&nd.Name, "")
		setDefault(&nd.MaxDepth, opcua.DefaultMaxDepth)
		setDefault(&nd.MaxNodes, opcua.DefaultMaxNodes)
	}
	setDefault(&s.NodesFile, "")
	setDefault(&s.Limits, limitsFile{})
	setDefault(&s.Limits.Profile, "auto")
	for _, p := range []**int{&s.Limits.MaxNodesPerRead, &s.Limits.MaxNodesPerBrowse, &s.Limits.MaxMonitoredItemsPerCall,
		&s.Limits.MaxMonitoredItemsPerSubscription, &s.Limits.MaxBrowseContinuationPoints} {
		setDefault(p, 0)
	}
	setDefault(&s.Reconnect, backoffFile{})
	setDefault(&s.Reconnect.Min, duration(opcua.DefaultReconnectMin))
	setDefault(&s.Reconnect.Max, duration(opcua.DefaultReconnectMax))
	setDefault(&s.Heartbeat, duration(opcua.DefaultHeartbeat))
	setDefault(&s.KeepAlive, duration(opcua.DefaultKeepAlive))
	setDefault(&s.RequestTimeout, duration(opcua.DefaultRequestTimeout))
	setDefault(&s.ReadAfterReconnect, true)
	setDefault(&s.ReuseNodes, true)
	setDefault(&s.RetryFailedItems, duration(opcua.DefaultRetryFailedItems))
	setDefault(&s.Enums, opcua.EnumsNumber)
	defaultEvents(s)
}

func defaultServerTLS(t *serverTLSFile) {
	for _, p := range []**string{&t.Cert, &t.Key, &t.CA} {
		setDefault(p, "")
	}
}

func defaultTLS(t *tlsFile) {
	for _, p := range []**string{&t.CA, &t.Cert, &t.Key} {
		setDefault(p, "")
	}
}

// siteFromFile derives a site name from a file name: its base name without
// extension, with every character outside [A-Za-z0-9_-] replaced by '-'.
func siteFromFile(file string) string {
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if file == "" || base == "" || base == "." || base == string(filepath.Separator) {
		return DefaultSite
	}
	b := []byte(base)
	for i, c := range b {
		if !isNameByte(c) {
			b[i] = '-'
		}
	}
	return string(b)
}

// std returns d as a time.Duration.
func (d duration) std() time.Duration { return time.Duration(d) }

// defaultHeaders are the meta keys sent as headers unless nats.headers says
// otherwise: what a consumer needs that the subject (location, contract,
// virtual path, tag name) and the payload (value, timestamp) do not carry,
// which is the value's OPC UA quality. Every header is stored with every
// message, so the default keeps the store-and-forward buffer small;
// nats.headers: ["*"] sends every meta key.
var defaultHeaders = stringList{"opcua_status_code"}
