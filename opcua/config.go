package opcua

import "time"

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
}

// Config is one validated source.
type Config struct {
	Name     string
	Endpoint string
	Security Security
	Auth     Auth
	Trust    Trust
	// Mode is ModeSubscribe (default) or ModePoll.
	Mode               string
	PublishingInterval time.Duration
	SamplingInterval   time.Duration
	QueueSize          uint32
	PollInterval       time.Duration
	Deadband           Deadband
	Nodes              []NodeConfig
	Limits             Limits

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
	// RetryFailedItems is how often nodes that failed are tried again.
	RetryFailedItems time.Duration
}
