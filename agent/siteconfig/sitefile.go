package siteconfig

// The file layer: the site file exactly as written. Every optional value is
// a pointer (or a nil slice) so that "absent" is distinct from an explicit
// zero value, e.g. http.listen: "" (off) versus no http.listen (default).
// applyDefaults fills the absent values, and convert turns the result into
// the validated Config. The yaml tags are the key names of the site file;
// DESIGN §6 names are a contract: keys may be added, never renamed.

// siteFile is the root of a site file.
type siteFile struct {
	Site            *string             `yaml:"site"`
	StateDir        *string             `yaml:"state_dir"`
	Log             *logFile            `yaml:"log"`
	HTTP            *httpFile           `yaml:"http"`
	Workers         *int                `yaml:"workers"`
	QueueSize       *int                `yaml:"queue_size"`
	ShutdownTimeout *duration           `yaml:"shutdown_timeout"`
	MemoryLimit     *memoryLimitSetting `yaml:"memory_limit"`
	Simulator       *simulatorFile      `yaml:"simulator"`
	Sources         []sourceFile        `yaml:"sources"`
	TagProcessor    *tagProcessorFile   `yaml:"tag_processor"`
	NATS            *natsFile           `yaml:"nats"`
	Commands        *commandsFile       `yaml:"commands"`
}

type logFile struct {
	Level  *string `yaml:"level"`
	Format *string `yaml:"format"`
}

type httpFile struct {
	Listen              *string        `yaml:"listen"`
	TLS                 *serverTLSFile `yaml:"tls"`
	Pprof               *bool          `yaml:"pprof"`
	AllowInsecureListen *bool          `yaml:"allow_insecure_listen"`
}

// serverTLSFile is the TLS of a listener: its certificate and key, and a CA
// that client certificates must be signed by.
type serverTLSFile struct {
	Cert *string `yaml:"cert"`
	Key  *string `yaml:"key"`
	CA   *string `yaml:"ca"`
}

type simulatorFile struct {
	Listen    *string   `yaml:"listen"`
	Rate      *duration `yaml:"rate"`
	ExtraTags *int      `yaml:"extra_tags"`
	Username  *string   `yaml:"username"`
	Password  *string   `yaml:"password"`
	Security  *bool     `yaml:"security"`
	CertDir   *string   `yaml:"cert_dir"`
}

type sourceFile struct {
	Name               *string       `yaml:"name"`
	Endpoint           *string       `yaml:"endpoint"`
	Security           *securityFile `yaml:"security"`
	Auth               *authFile     `yaml:"auth"`
	Trust              *trustFile    `yaml:"trust"`
	Mode               *string       `yaml:"mode"`
	PublishingInterval *duration     `yaml:"publishing_interval"`
	SamplingInterval   *sampling     `yaml:"sampling_interval"`
	QueueSize          *int64        `yaml:"queue_size"`
	PollInterval       *duration     `yaml:"poll_interval"`
	Deadband           *deadbandFile `yaml:"deadband"`
	Nodes              []nodeFile    `yaml:"nodes"`
	NodesFile          *string       `yaml:"nodes_file"`
	Limits             *limitsFile   `yaml:"limits"`
	Reconnect          *backoffFile  `yaml:"reconnect"`
	Heartbeat          *duration     `yaml:"heartbeat"`
	KeepAlive          *duration     `yaml:"keep_alive"`
	RequestTimeout     *duration     `yaml:"request_timeout"`
	ReadAfterReconnect *bool         `yaml:"read_after_reconnect"`
	ReuseNodes         *bool         `yaml:"reuse_nodes"`
	RetryFailedItems   *duration     `yaml:"retry_failed_items"`
	Events             []eventFile   `yaml:"events"`
	Enums              *string       `yaml:"enums"`
}

type securityFile struct {
	Policy *string `yaml:"policy"`
	Mode   *string `yaml:"mode"`
}

type authFile struct {
	Username    *string `yaml:"username"`
	Password    *string `yaml:"password"`
	Certificate *string `yaml:"certificate"`
	Key         *string `yaml:"key"`
}

type trustFile struct {
	AcceptAny *bool `yaml:"accept_any"`
}

type deadbandFile struct {
	Type  *string  `yaml:"type"`
	Value *float64 `yaml:"value"`
}

type nodeFile struct {
	ID       *string  `yaml:"id"`
	Name     *string  `yaml:"name"`
	Include  []string `yaml:"include"`
	Exclude  []string `yaml:"exclude"`
	MaxDepth *int     `yaml:"max_depth"`
	MaxNodes *int     `yaml:"max_nodes"`
}

type limitsFile struct {
	Profile                  *string `yaml:"profile"`
	MaxNodesPerRead          *int    `yaml:"max_nodes_per_read"`
	MaxNodesPerBrowse        *int    `yaml:"max_nodes_per_browse"`
	MaxMonitoredItemsPerCall *int    `yaml:"max_monitored_items_per_call"`
	// MaxMonitoredItemsPerSubscription caps one subscription; more items
	// are spread over more subscriptions.
	MaxMonitoredItemsPerSubscription *int `yaml:"max_monitored_items_per_subscription"`
	// MaxBrowseContinuationPoints overrides the browse continuation points
	// the server announces per session.
	MaxBrowseContinuationPoints *int `yaml:"max_browse_continuation_points"`
}

type backoffFile struct {
	Min *duration `yaml:"min"`
	Max *duration `yaml:"max"`
}

// tagProcessorFile accepts a UMH tag_processor block pasted unchanged
// (defaults, conditions, advancedProcessing) plus edgetag's own keys.
type tagProcessorFile struct {
	Defaults           *script         `yaml:"defaults"`
	Conditions         []conditionFile `yaml:"conditions"`
	AdvancedProcessing *script         `yaml:"advancedProcessing"`
	SubjectPrefix      *string         `yaml:"subject_prefix"`
	Timeout            *duration       `yaml:"timeout"`
	Runtimes           *int            `yaml:"runtimes"`
	MaxPayloadBytes    *byteSize       `yaml:"max_payload_bytes"`
	CacheMaxBytes      *byteSize       `yaml:"cache_max_bytes"`
	BadStatus          *string         `yaml:"bad_status"`
	Shortcuts          *bool           `yaml:"shortcuts"`
}

type conditionFile struct {
	If   *script `yaml:"if"`
	Then *script `yaml:"then"`
}

type natsFile struct {
	URL             stringList     `yaml:"url"`
	Credentials     *string        `yaml:"credentials"`
	NKey            *string        `yaml:"nkey"`
	User            *string        `yaml:"user"`
	Password        *string        `yaml:"password"`
	Token           *string        `yaml:"token"`
	TLS             *tlsFile       `yaml:"tls"`
	ReconnectBuffer *byteSize      `yaml:"reconnect_buffer"`
	DrainTimeout    *duration      `yaml:"drain_timeout"`
	Embedded        *embeddedFile  `yaml:"embedded"`
	JetStream       *jetStreamFile `yaml:"jetstream"`
	ErrorsSubject   *string        `yaml:"errors_subject"`
	Headers         *stringList    `yaml:"headers"`
}

type tlsFile struct {
	CA   *string `yaml:"ca"`
	Cert *string `yaml:"cert"`
	Key  *string `yaml:"key"`
}

type embeddedFile struct {
	Listen              *string        `yaml:"listen"`
	Users               []embeddedUser `yaml:"users"`
	TLS                 *serverTLSFile `yaml:"tls"`
	AllowInsecureListen *bool          `yaml:"allow_insecure_listen"`
	StoreDir            *string        `yaml:"store_dir"`
	Domain              *string        `yaml:"domain"`
	SyncAlways          *bool          `yaml:"sync_always"`
	Leafnode            *leafnodeFile  `yaml:"leafnode"`
	MQTT                *mqttFile      `yaml:"mqtt"`
}

// mqttFile is nats.embedded.mqtt, the embedded server's MQTT listener.
type mqttFile struct {
	Listen *string `yaml:"listen"`
}

// embeddedUser is one client identity of the embedded server, as in
// nats-server's authorization block.
type embeddedUser struct {
	User        *string          `yaml:"user"`
	Password    *string          `yaml:"password"`
	NKey        *string          `yaml:"nkey"`
	Role        *string          `yaml:"role"`
	Permissions *permissionsFile `yaml:"permissions"`
}

type permissionsFile struct {
	Publish   *subjectRulesFile `yaml:"publish"`
	Subscribe *subjectRulesFile `yaml:"subscribe"`
}

type subjectRulesFile struct {
	Allow stringList `yaml:"allow"`
	Deny  stringList `yaml:"deny"`
}

type leafnodeFile struct {
	URL         *string  `yaml:"url"`
	Credentials *string  `yaml:"credentials"`
	User        *string  `yaml:"user"`
	Password    *string  `yaml:"password"`
	TLS         *tlsFile `yaml:"tls"`
}

type jetStreamFile struct {
	Enabled         *bool       `yaml:"enabled"`
	Stream          *string     `yaml:"stream"`
	Subjects        stringList  `yaml:"subjects"`
	MaxBytes        *streamSize `yaml:"max_bytes"`
	MaxAge          *duration   `yaml:"max_age"`
	DuplicateWindow *duration   `yaml:"duplicate_window"`
	MaxAckPending   *int        `yaml:"max_ack_pending"`
	AckTimeout      *duration   `yaml:"ack_timeout"`
	Compression     *string     `yaml:"compression"`
}
