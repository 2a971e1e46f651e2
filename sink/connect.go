package sink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Reconnect policy for an external server: forever, every reconnectWait plus
// up to reconnectJitter (more with TLS, whose handshakes are costly for a
// recovering server).
const (
	reconnectWait      = time.Second
	reconnectJitter    = time.Second
	reconnectJitterTLS = 2 * time.Second
	// pingInterval and maxPingsOut detect a half-open connection (the server
	// or the path to it gone without a TCP reset) within about a minute.
	pingInterval = 20 * time.Second
	maxPingsOut  = 3
	// writeBufferSize is how much the client gathers before it writes to
	// the connection: nats-server's largest read buffer. With nats.go's
	// default of half that, the server reading the connection grew and
	// shrank its read buffer over and over, which made 60% of the bytes
	// allocated per message on the pipeline with the embedded server, and
	// cost about a tenth of its CPU.
	writeBufferSize = 64 << 10
)

// LoadCertPool reads the PEM certificates of the CA file path into a pool;
// the error names the file.
func LoadCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca %s: no pem certificate found", path)
	}
	return pool, nil
}

// tlsConfig builds a client TLS config: the CA that verifies the server and
// an optional client certificate.
func tlsConfig(t TLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pool, err := LoadCertPool(t.CA)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s / key %s: %w", t.Cert, t.Key, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// connOptions returns the client options: identity, reconnect policy, the
// bounded reconnect buffer and the state handlers. srv is the embedded
// server to connect to in-process, or nil for an external URL.
func (s *Sink) connOptions(srv *server.Server) ([]nats.Option, error) {
	c := s.cfg
	opts := []nats.Option{
		nats.Name(c.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(reconnectJitter, reconnectJitterTLS),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(c.ReconnectBufSize),
		nats.WriteBufferSize(writeBufferSize),
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(maxPingsOut),
		nats.DrainTimeout(c.DrainTimeout),
		nats.ConnectHandler(func(nc *nats.Conn) {
			s.log.Info().Str("server", nc.ConnectedUrlRedacted()).Msg("nats connected")
			s.state.set(true)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.log.Info().Str("server", nc.ConnectedUrlRedacted()).Msg("nats reconnected")
			s.buffered.Store(0) // the reconnect buffer has been flushed
			s.state.set(true)
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			s.state.set(false)
			if nc.IsClosed() || nc.IsDraining() {
				return // our own Close, not an outage
			}
			if s.fl != nil {
				// The replies to what is in flight are lost with the
				// connection: retry it now (the same ids de-duplicate
				// whatever was stored) rather than after the ack timeout.
				s.expire(time.Now(), true, nats.ErrDisconnected)
			}
			s.log.Warn().Err(err).Msg("nats disconnected; publishing is buffered until it reconnects")
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			s.reconnLog.log(func() {
				s.log.Warn().Err(err).Msg("nats reconnect attempt failed; retrying")
			})
		}),
		nats.ClosedHandler(func(_ *nats.Conn) {
			s.log.Debug().Msg("nats connection closed")
			s.state.set(false)
			s.state.close()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			ev := s.log.Error().Err(err)
			if sub != nil {
				ev = ev.Str("subject", sub.Subject)
			}
			ev.Msg("nats asynchronous error")
		}),
	}
	if srv != nil {
		return append(opts, nats.InProcessServer(srv), s.agent.connOption(), nats.CustomInboxPrefix(AgentInboxPrefix)), nil
	}
	if c.TLS.enabled() {
		tc, err := tlsConfig(c.TLS)
		if err != nil {
			return nil, fmt.Errorf("nats tls: %w", err)
		}
		opts = append(opts, nats.Secure(tc))
	}
	a := c.Auth
	switch {
	case a.CredentialsFile != "":
		opts = append(opts, nats.UserCredentials(a.CredentialsFile))
	case a.NKeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(a.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed %s: %w", a.NKeySeedFile, err)
		}
		opts = append(opts, o)
	case a.User != "":
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	case a.Token != "":
		opts = append(opts, nats.Token(a.Token))
	}
	return opts, nil
}

// connState tracks whether the connection is up and lets publishers wait
// for it to come back.
type connState struct {
	// upFast mirrors up for the publish path, which reads it per message.
	upFast atomic.Bool

	mu     sync.Mutex
	up     bool
	closed bool
	// wake is closed (and replaced) whenever the state changes, waking
	// every waiter.
	wake chan struct{}
}

func newConnState() *connState { return &connState{wake: make(chan struct{})} }

func (c *connState) set(up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up == up {
		return
	}
	c.up = up
	c.upFast.Store(up)
	close(c.wake)
	c.wake = make(chan struct{})
}

// close marks the connection closed for good and wakes every waiter.
func (c *connState) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	close(c.wake)
	c.wake = make(chan struct{})
}

func (c *connState) connected() bool { return c.upFast.Load() }

// wait blocks until the connection is up (nil), closed
// (nats.ErrConnectionClosed) or ctx is done (ctx.Err()).
func (c *connState) wait(ctx context.Context) error {
	for {
		c.mu.Lock()
		up, closed, wake := c.up, c.closed, c.wake
		c.mu.Unlock()
		switch {
		case closed:
			return nats.ErrConnectionClosed
		case up:
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
