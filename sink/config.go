package sink

import "time"

// Defaults for Config fields left zero.
const (
	DefaultEmbeddedListen = "127.0.0.1:4222"
	DefaultStream         = "EDGETAG"
	DefaultMaxAckPending  = 4000
	DefaultReconnectBuf   = 8 << 20
	DefaultMaxBytes       = 1 << 30
	DefaultDupeWindow     = 2 * time.Minute
)

// TLS configures client TLS: CA to verify the server, and an optional
// client certificate and key.
type TLS struct {
	CA   string
	Cert string
	Key  string
}

// Auth is how the sink (or the leafnode remote) authenticates. At most one
// method is set.
type Auth struct {
	CredentialsFile string
	NKeySeedFile    string
	User            string
	Password        string
	Token           string
}

// Leafnode is the embedded server's uplink to a hub.
type Leafnode struct {
	URL  string // nats-leaf://hub:7422; "" = no uplink
	Auth Auth
	TLS  TLS
}

// Embedded configures the in-process nats-server.
type Embedded struct {
	// Listen is host:port for clients; "" = DefaultEmbeddedListen.
	// Port 0 or -1 picks a free port (tests).
	Listen string
	// StoreDir holds the JetStream file store.
	StoreDir string
	// Domain is the JetStream domain (set one per site when using a leafnode).
	Domain   string
	Leafnode Leafnode
}

// JetStream configures store-and-forward publishing.
type JetStream struct {
	Enabled bool
	// Stream is the stream name; "" = DefaultStream. It is created (or
	// updated) to capture Subjects.
	Stream   string
	Subjects []string
	// MaxBytes and MaxAge limit the stream (discard oldest); 0 = defaults
	// (DefaultMaxBytes, unlimited age).
	MaxBytes int64
	MaxAge   time.Duration
	// DuplicateWindow is the stream's de-duplication window.
	DuplicateWindow time.Duration
	// MaxAckPending bounds async publishes awaiting an ack.
	MaxAckPending int
}

// Config is the validated nats block.
type Config struct {
	// Name is the connection name (the site name).
	Name string
	// URL is "" for the embedded server, else a comma-separated server list.
	URL       string
	Auth      Auth
	TLS       TLS
	Embedded  Embedded
	JetStream JetStream
	// ErrorsSubject receives engine failures ("" = off).
	ErrorsSubject string
	// ReconnectBufSize bounds what core NATS buffers while disconnected.
	ReconnectBufSize int
}
