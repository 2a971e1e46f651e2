package opcua

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Acquisition modes.
const (
	ModeSubscribe = "subscribe"
	ModePoll      = "poll"
)

// Defaults for Config fields left zero.
const (
	DefaultPublishingInterval = time.Second
	DefaultSamplingInterval   = 500 * time.Millisecond
	DefaultQueueSize          = 10
	DefaultPollInterval       = time.Second
	DefaultMaxDepth           = 10
	DefaultMaxNodes           = 100000
	DefaultReconnectMin       = time.Second
	DefaultReconnectMax       = time.Minute
	DefaultHeartbeat          = 5 * time.Second
	DefaultRequestTimeout     = 10 * time.Second
	DefaultRetryFailedItems   = time.Minute
	// DefaultKeepAlive is the target time between keep-alive messages of a
	// quiet subscription; a subscription silent for three times that is
	// probed and, if gone, recreated.
	DefaultKeepAlive = 10 * time.Second
)

// Security selects the endpoint. Policy is auto or a policy short name
// (None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss,
// Basic256, Basic128Rsa15); Mode is auto, None, Sign or SignAndEncrypt.
type Security struct {
	Policy string
	Mode   string
}

// Auth is the user identity: anonymous when all fields are empty,
// username/password, or an X.509 user certificate (PEM or DER files).
type Auth struct {
	Username    string
	Password    string
	Certificate string
	Key         string
}

// Trust controls server-certificate checks.
type Trust struct {
	// AcceptAny accepts every server certificate (logged loudly).
	AcceptAny bool
}

// Deadband is a data-change filter for numeric nodes. Type is none,
// absolute or percent.
type Deadband struct {
	Type  string
	Value float64
}

// NodeConfig is one entry of sources[].nodes: a variable read as it is, or a
// folder/object browsed recursively.
type NodeConfig struct {
	ID string
	// Name, when set, names a variable in place of its browse name: its
	// last dot-separated part is the tag's name and the parts before it
	// its group (as folders would be), so "Line1.Press.Speed" is Speed in
	// group Line1.Press. It applies to a variable; a folder or object
	// root is browsed as usual and its Name is not used.
	Name string
	// Include and Exclude are globs on the browse path below the root
	// ("**" matches any number of path elements, "*" within one).
	Include []string
	Exclude []string
	// MaxDepth bounds the browse depth (0 = DefaultMaxDepth).
	MaxDepth int
	// MaxNodes bounds how many variables one root may yield (0 = DefaultMaxNodes).
	MaxNodes int
}

// Limits override the batch sizes learned from the server's OperationLimits
// and vendor profile; 0 keeps the learned value.
type Limits struct {
	// Profile forces a vendor profile (auto, default, siemens-s7-1200,
	// siemens-s7-1500, kepware, ignition, prosys, open62541).
	Profile                  string
	MaxNodesPerRead          int
	MaxNodesPerBrowse        int
	MaxMonitoredItemsPerCall int
	// MaxMonitoredItemsPerSubscription caps the monitored items of one
	// subscription; a source with more items creates more subscriptions.
	MaxMonitoredItemsPerSubscription int
	// MaxBrowseContinuationPoints overrides the browse continuation points
	// the server announces per session (for a server that enforces fewer
	// than it announces, or announces none).
	MaxBrowseContinuationPoints int
}

// Config is one validated source.
type Config struct {
	Name string
	// Site is the site name; the client certificate's application URI is
	// urn:edgetag:<hostname>:<Site> (the source Name when Site is empty).
	Site     string
	Endpoint string
	Security Security
	Auth     Auth
	Trust    Trust
	// Mode is ModeSubscribe (default) or ModePoll.
	Mode               string
	PublishingInterval time.Duration
	SamplingInterval   time.Duration // a duration, SamplingFastest or SamplingPublishingInterval (0 = default)
	QueueSize          uint32
	PollInterval       time.Duration
	Deadband           Deadband
	Nodes              []NodeConfig
	// Events are the events entries: events and alarms delivered beside
	// the values (mode subscribe only).
	Events []EventConfig
	Limits Limits

	// StateDir holds the client certificate (pki/own) and the trust list
	// (pki/trusted, pki/rejected). Shared by all sources of a site.
	StateDir string
	// ReconnectMin and ReconnectMax bound the capped exponential backoff.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// Heartbeat is how often the server's CurrentTime is read to detect a
	// dead connection; a failed read reconnects.
	Heartbeat      time.Duration
	RequestTimeout time.Duration
	// ReadAfterReconnect reads every node's current value once after a
	// (re)connect so consumers see the state after a gap. Default true.
	ReadAfterReconnect *bool
	// ReuseNodes lets a reconnect to a server with the same NamespaceArray
	// and build skip browsing and reuse the last session's nodes (see
	// resolvedSet). Default true; false browses on every connect.
	ReuseNodes *bool
	// RetryFailedItems is how often nodes that failed are tried again.
	RetryFailedItems time.Duration
	// KeepAlive is the requested time between keep-alive messages of a
	// quiet subscription (0 = DefaultKeepAlive).
	KeepAlive time.Duration
	// Enums is how values of enumerated DataTypes (nodes, and fields of
	// structures) are published: EnumsNumber ("" = default), EnumsName
	// or EnumsBoth.
	Enums string
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Mode == "" {
		cfg.Mode = ModeSubscribe
	}
	if cfg.Security.Policy == "" {
		cfg.Security.Policy = "auto"
	}
	if cfg.Security.Mode == "" {
		cfg.Security.Mode = "auto"
	}
	if cfg.Deadband.Type == "" {
		cfg.Deadband.Type = "none"
	}
	if cfg.Limits.Profile == "" {
		cfg.Limits.Profile = "auto"
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&cfg.PublishingInterval, DefaultPublishingInterval)
	if cfg.SamplingInterval == 0 {
		cfg.SamplingInterval = DefaultSamplingInterval
	}
	setDur(&cfg.PollInterval, DefaultPollInterval)
	setDur(&cfg.ReconnectMin, DefaultReconnectMin)
	setDur(&cfg.ReconnectMax, DefaultReconnectMax)
	setDur(&cfg.Heartbeat, DefaultHeartbeat)
	setDur(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDur(&cfg.RetryFailedItems, DefaultRetryFailedItems)
	setDur(&cfg.KeepAlive, DefaultKeepAlive)
	if cfg.ReconnectMax < cfg.ReconnectMin {
		cfg.ReconnectMax = cfg.ReconnectMin
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.ReadAfterReconnect == nil {
		t := true
		cfg.ReadAfterReconnect = &t
	}
	if cfg.ReuseNodes == nil {
		t := true
		cfg.ReuseNodes = &t
	}
	if cfg.Enums == "" {
		cfg.Enums = EnumsNumber
	}
	return cfg
}

// validate reports every problem of a defaulted cfg at once. Acquisition
// settings (name, nodes) are checked only when forSource is set; Connect
// alone (as used by `edgetag browse`) needs only the connection settings.
func (cfg Config) validate(forSource bool) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if forSource && cfg.Name == "" {
		bad("name is empty")
	}
	if u, err := url.Parse(cfg.Endpoint); err != nil || u.Scheme != "opc.tcp" || u.Host == "" {
		bad("endpoint %q: want opc.tcp://host:port", cfg.Endpoint)
	}
	if cfg.Security.Policy != "auto" {
		if _, ok := policyURIs[cfg.Security.Policy]; !ok {
			bad("security.policy %q: want auto, None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, Basic256 or Basic128Rsa15", cfg.Security.Policy)
		}
	}
	switch cfg.Security.Mode {
	case "auto", "None", "Sign", "SignAndEncrypt":
	default:
		bad("security.mode %q: want auto, None, Sign or SignAndEncrypt", cfg.Security.Mode)
	}
	if (cfg.Security.Policy == "None") != (cfg.Security.Mode == "None") &&
		cfg.Security.Policy != "auto" && cfg.Security.Mode != "auto" {
		bad("security: policy %s with mode %s is not a valid pair", cfg.Security.Policy, cfg.Security.Mode)
	}
	if (cfg.Auth.Certificate == "") != (cfg.Auth.Key == "") {
		bad("auth: certificate and key go together")
	}
	if cfg.Auth.Certificate != "" && cfg.Auth.Username != "" {
		bad("auth: username and certificate are exclusive")
	}
	if _, err := parseEnumForm(cfg.Enums); err != nil {
		errs = append(errs, err)
	}
	if cfg.Auth.Password != "" && cfg.Auth.Username == "" {
		bad("auth: password without username")
	}
	switch cfg.Mode {
	case ModeSubscribe, ModePoll:
	default:
		bad("mode %q: want subscribe or poll", cfg.Mode)
	}
	if cfg.SamplingInterval < 0 && cfg.SamplingInterval != SamplingFastest && cfg.SamplingInterval != SamplingPublishingInterval {
		bad("sampling_interval %s: want a positive duration, SamplingFastest or SamplingPublishingInterval", cfg.SamplingInterval)
	}
	switch cfg.Deadband.Type {
	case "none":
	case "absolute", "percent":
		if cfg.Deadband.Value < 0 {
			bad("deadband.value %v: must not be negative", cfg.Deadband.Value)
		}
	default:
		bad("deadband.type %q: want none, absolute or percent", cfg.Deadband.Type)
	}
	if _, ok := profiles[cfg.Limits.Profile]; !ok && cfg.Limits.Profile != "auto" {
		bad("limits.profile %q: unknown", cfg.Limits.Profile)
	}
	if cfg.Limits.MaxNodesPerRead < 0 || cfg.Limits.MaxNodesPerBrowse < 0 || cfg.Limits.MaxMonitoredItemsPerCall < 0 ||
		cfg.Limits.MaxMonitoredItemsPerSubscription < 0 || cfg.Limits.MaxBrowseContinuationPoints < 0 {
		bad("limits: negative batch size")
	}
	if forSource && len(cfg.Nodes) == 0 && len(cfg.Events) == 0 {
		bad("nodes: empty")
	}
	if len(cfg.Events) > 0 && cfg.Mode == ModePoll {
		bad("events: %v", errEventsPoll)
	}
	for i, e := range cfg.Events {
		for _, err := range ValidateEvent(e) {
			bad("events[%d].%v", i, err)
		}
	}
	for i, n := range cfg.Nodes {
		if n.ID == "" {
			bad("nodes[%d].id is empty", i)
		}
	}
	if cfg.StateDir == "" {
		bad("state_dir is empty")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("opcua source %q: %w", cfg.Name, err)
	}
	return nil
}
