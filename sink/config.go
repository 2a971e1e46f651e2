package sink

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultEmbeddedListen = "127.0.0.1:4222"
	DefaultStream         = "EDGETAG"
	DefaultSubject        = "umh.v1.>"
	DefaultMaxAckPending  = 4000
	DefaultReconnectBuf   = 8 << 20
	DefaultMaxBytes       = 1 << 30
	// DefaultDupeWindow is the duplicate window of a stream on an external
	// server; DefaultEmbeddedDupeWindow that of the embedded server's
	// stream, which holds its message ids in the gateway's memory (about
	// 150 bytes each, see JetStream.DuplicateWindow) and loses no ack in
	// transit: an attempt is unsure only when its ack is late (the store
	// stalled). It is EmbeddedDupeWindow(DefaultAckTimeout): it covers the
	// first retry after such an ack timeout (at most 6.2 s after the first
	// attempt) with room to spare; a retry later than the window is
	// logged. At 10,000 messages/s 8 s hold 80,000 ids, about 15 MB (15 s
	// held 30 MB).
	DefaultDupeWindow         = 2 * time.Minute
	DefaultEmbeddedDupeWindow = 8 * time.Second
	DefaultAckTimeout         = 5 * time.Second
	// DefaultCompression leaves the stream's blocks uncompressed: S2 cuts
	// the disk a message takes by more than half, but compressing each
	// sealed block costs the gateway's memory, and max_bytes counts
	// messages uncompressed either way.
	DefaultCompression  = CompressionNone
	DefaultDrainTimeout = 5 * time.Second
)

// TLS configures client TLS: CA to verify the server, and an optional
// client certificate and key.
type TLS struct {
	CA   string
	Cert string
	Key  string
}

// enabled reports whether any TLS setting is given.
func (t TLS) enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" }

func (t TLS) validate(where string) error {
	if (t.Cert == "") != (t.Key == "") {
		return fmt.Errorf("%s.tls: cert and key must be given together", where)
	}
	return nil
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

func (a Auth) validate(where string) error {
	n := 0
	for _, set := range []bool{a.CredentialsFile != "", a.NKeySeedFile != "", a.User != "", a.Token != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%s.auth: set at most one of credentials file, nkey seed file, user/password, token", where)
	}
	if a.Password != "" && a.User == "" {
		return fmt.Errorf("%s.auth: password given without user", where)
	}
	return nil
}

// Leafnode is the embedded server's uplink to a hub.
type Leafnode struct {
	URL  string // nats-leaf://hub:7422; "" = no uplink
	Auth Auth
	TLS  TLS
}

// ServerTLS is the TLS of a listener: its certificate and key, and an
// optional CA that client certificates must be signed by (mutual TLS).
type ServerTLS struct {
	Cert string
	Key  string
	CA   string
}

// Enabled reports whether the listener serves TLS.
func (t ServerTLS) Enabled() bool { return t.Cert != "" }

// Check returns the problem of an incomplete setting, or nil.
func (t ServerTLS) Check() error {
	switch {
	case (t.Cert == "") != (t.Key == ""):
		return errors.New("cert and key go together (the listener's certificate and its private key)")
	case t.CA != "" && t.Cert == "":
		return errors.New("ca (verifying client certificates) needs cert and key")
	}
	return nil
}

func (t ServerTLS) validate(where string) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("%s.tls: %w", where, err)
	}
	return nil
}

// Embedded configures the in-process nats-server.
type Embedded struct {
	// Listen is host:port for clients; "" = DefaultEmbeddedListen.
	// Port 0 or -1 picks a free port (tests).
	Listen string
	// Users may connect to the client port, each with its permissions
	// (see Role). With none, clients connect without credentials and may
	// do anything except touch the agent's inboxes; with any, every client
	// must authenticate. The agent's own connection has a generated
	// identity of its own either way.
	Users []User
	// TLS, when its certificate is set, makes the client port TLS-only
	// (the agent's in-process connection needs none).
	TLS ServerTLS
	// AllowInsecureListen lets Listen be a non-loopback address without
	// Users (see CheckListen).
	AllowInsecureListen bool
	// StoreDir holds the JetStream file store.
	StoreDir string
	// Domain is the JetStream domain (set one per site when using a leafnode).
	Domain string
	// SyncAlways makes the JetStream store fsync every write, so acked
	// messages survive a power loss too (not only a crash of the process),
	// at a large cost in throughput. Off, the store syncs periodically
	// (nats-server's default, every two minutes).
	SyncAlways bool
	Leafnode   Leafnode
	// MQTT is the optional MQTT listener (see MQTT).
	MQTT MQTT
}

// JetStream configures store-and-forward publishing.
type JetStream struct {
	Enabled bool
	// Stream is the stream name; "" = DefaultStream. It is created (or
	// updated) to capture Subjects.
	Stream string
	// Subjects the stream captures; empty = DefaultSubject plus the
	// errors subject when one is set.
	Subjects []string
	// MaxBytes and MaxAge limit the stream (discard oldest); MaxAge 0 =
	// unlimited age. MaxBytes 0 is derived at Start from the disk under the
	// embedded server's store directory (BufferFromDisk), or is
	// DefaultMaxBytes with an external server.
	MaxBytes int64
	MaxAge   time.Duration
	// DuplicateWindow is the stream's de-duplication window; 0 =
	// EmbeddedDupeWindow(AckTimeout) with the embedded server, else
	// DefaultDupeWindow. The server holds the id of every message of the
	// window in memory, about 150 bytes each with 16-character ids (the
	// map, its entries, the ids and the expiry list, in a heap profile at
	// 31,700 messages/s with a 15 s window: 72 MB for 475,000 ids): at
	// 20,000 messages/s a 2-minute window is 2.4 million ids, some 360 MB,
	// in this process with the embedded server. A retry more than the
	// window after its message's first attempt is no longer de-duplicated;
	// the sink logs it.
	DuplicateWindow time.Duration
	// MaxAckPending bounds messages accepted by Publish and not yet acked
	// (in flight or waiting for a retry); 0 = DefaultMaxAckPending.
	MaxAckPending int
	// AckTimeout is how long an ack is awaited before the publish is
	// retried; 0 = DefaultAckTimeout.
	AckTimeout time.Duration
	// Compression is how the stream's file store compresses its blocks on
	// disk: CompressionS2 or CompressionNone; "" = DefaultCompression.
	// max_bytes counts messages uncompressed either way.
	Compression string
	// WatchInterval is how often the stream's state is read (gauges,
	// discards, a missing stream, store errors); 0 = DefaultWatchInterval.
	WatchInterval time.Duration
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
	// ReconnectBufSize bounds what core NATS buffers while disconnected;
	// 0 = DefaultReconnectBuf.
	ReconnectBufSize int
	// DrainTimeout bounds Close's drain of the connection; 0 =
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "edgetag"
	}
	if c.Embedded.Listen == "" {
		c.Embedded.Listen = DefaultEmbeddedListen
	}
	js := &c.JetStream
	if js.Stream == "" {
		js.Stream = DefaultStream
	}
	if len(js.Subjects) == 0 {
		js.Subjects = []string{DefaultSubject}
		if c.ErrorsSubject != "" {
			js.Subjects = append(js.Subjects, c.ErrorsSubject)
		}
	}
	if js.MaxBytes == 0 && c.URL != "" {
		js.MaxBytes = DefaultMaxBytes
	}
	if js.AckTimeout == 0 {
		js.AckTimeout = DefaultAckTimeout
	}
	if js.DuplicateWindow == 0 {
		js.DuplicateWindow = DefaultDupeWindow
		if c.URL == "" {
			js.DuplicateWindow = EmbeddedDupeWindow(js.AckTimeout)
		}
	}
	if js.MaxAckPending == 0 {
		js.MaxAckPending = DefaultMaxAckPending
	}
	if js.Compression == "" {
		js.Compression = DefaultCompression
	}
	if js.WatchInterval <= 0 {
		js.WatchInterval = DefaultWatchInterval
	}
	if c.ReconnectBufSize == 0 {
		c.ReconnectBufSize = DefaultReconnectBuf
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	return c
}

// validate reports every problem of a defaulted config at once.
func (c Config) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Auth.validate("nats"))
	add(c.TLS.validate("nats"))
	if c.URL == "" {
		if _, _, err := splitListen(c.Embedded.Listen); err != nil {
			add(fmt.Errorf("nats.embedded.listen: %w", err))
		}
		if err := CheckListen(c.Embedded.Listen, EmbeddedExposed, EmbeddedRemedy, c.Embedded.Secured(), c.Embedded.AllowInsecureListen); err != nil {
			add(fmt.Errorf("nats.embedded.listen: %w", err))
		}
		add(c.Embedded.TLS.validate("nats.embedded"))
		for i, u := range c.Embedded.Users {
			add(u.validate(fmt.Sprintf("nats.embedded.users[%d]", i)))
		}
		if c.JetStream.Enabled && c.Embedded.StoreDir == "" {
			add(errors.New("nats.embedded.store_dir: required when jetstream is enabled"))
		}
		l := c.Embedded.Leafnode
		add(l.Auth.validate("nats.embedded.leafnode"))
		add(l.TLS.validate("nats.embedded.leafnode"))
		if l.Auth.NKeySeedFile != "" {
			add(errors.New("nats.embedded.leafnode.auth: nkey seed files are not supported for a leafnode, use a credentials file"))
		}
		if l.URL != "" && c.JetStream.Enabled && c.Embedded.Domain == "" {
			add(errors.New("nats.embedded.domain: required with a leafnode and jetstream, so the gateway's JetStream API does not clash with the hub's (use one domain per site)"))
		}
		if l.URL == "" && (l.Auth != Auth{} || l.TLS.enabled()) {
			add(errors.New("nats.embedded.leafnode: auth or tls given without url"))
		}
	}
	js := c.JetStream
	if js.MaxBytes < -1 {
		add(fmt.Errorf("nats.jetstream.max_bytes: %d is negative", js.MaxBytes))
	}
	if js.MaxAge < 0 {
		add(fmt.Errorf("nats.jetstream.max_age: %s is negative", js.MaxAge))
	}
	if js.DuplicateWindow < 0 {
		add(fmt.Errorf("nats.jetstream.duplicate_window: %s is negative", js.DuplicateWindow))
	}
	if js.MaxAge > 0 && js.DuplicateWindow > js.MaxAge {
		add(fmt.Errorf("nats.jetstream.duplicate_window: %s is longer than max_age %s", js.DuplicateWindow, js.MaxAge))
	}
	if js.Compression != CompressionS2 && js.Compression != CompressionNone {
		add(fmt.Errorf("nats.jetstream.compression: %q is not %s or %s", js.Compression, CompressionS2, CompressionNone))
	}
	if js.MaxAckPending < 1 {
		add(fmt.Errorf("nats.jetstream.max_ack_pending: %d must be at least 1", js.MaxAckPending))
	}
	if js.AckTimeout < 0 {
		add(fmt.Errorf("nats.jetstream.ack_timeout: %s is negative", js.AckTimeout))
	}
	if c.ReconnectBufSize < 0 {
		add(fmt.Errorf("nats.reconnect_buf_size: %d is negative", c.ReconnectBufSize))
	}
	return errors.Join(errs...)
}

// splitListen parses host:port; a port of 0 or -1 means a random port and is
// returned as -1 (the server's convention).
func splitListen(listen string) (string, int, error) {
	host, ps, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", listen, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port must be a number from 0 to 65535", listen)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}
