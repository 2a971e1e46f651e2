package sink

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/redact"
)

// embeddedReadyTimeout bounds how long the embedded server may take to accept
// clients (JetStream recovers its store before that).
const embeddedReadyTimeout = 30 * time.Second

// serverOptions builds the embedded nats-server's options from the config:
// clients on Embedded.Listen (TLS when configured) with the users of
// Embedded.Users and the agent's identity, JetStream on a file store in
// Embedded.StoreDir in Embedded.Domain, and the optional leafnode remote.
func serverOptions(c Config, agent nkeyIdentity) (*server.Options, error) {
	host, port, err := splitListen(c.Embedded.Listen)
	if err != nil {
		return nil, fmt.Errorf("embedded listen: %w", err)
	}
	o := &server.Options{
		ServerName: strings.ReplaceAll(c.Name, " ", "_"), // server names cannot contain spaces
		Host:       host,
		Port:       port,
		NoSigs:     true,
	}
	if err := applyAuth(o, c, agent); err != nil {
		return nil, err
	}
	if t := c.Embedded.TLS; t.Enabled() {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: t.Cert, KeyFile: t.Key, CaFile: t.CA, Verify: t.CA != ""})
		if err != nil {
			return nil, fmt.Errorf("embedded tls (cert %s, key %s, ca %q): %w", t.Cert, t.Key, t.CA, err)
		}
		o.TLS = true
		o.TLSConfig = tc
		o.TLSVerify = t.CA != ""
	}
	if err := applyMQTT(o, c); err != nil {
		return nil, err
	}
	if c.JetStream.Enabled {
		o.JetStream = true
		o.StoreDir = c.Embedded.StoreDir
		o.JetStreamDomain = c.Embedded.Domain
		o.SyncAlways = c.Embedded.SyncAlways
	}
	l := c.Embedded.Leafnode
	if l.URL == "" {
		return o, nil
	}
	remote := &server.RemoteLeafOpts{
		Credentials: l.Auth.CredentialsFile,
		DenyImports: leafDenyImports(c),
		DenyExports: []string{AgentInboxPrefix + ".>"},
	}
	for _, raw := range strings.Split(l.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			// The parse error quotes the URL, credentials included.
			return nil, fmt.Errorf("leafnode url %q: not a valid URL", redact.URLs(raw))
		}
		switch {
		case l.Auth.User != "":
			u.User = url.UserPassword(l.Auth.User, l.Auth.Password)
		case l.Auth.Token != "":
			u.User = url.User(l.Auth.Token)
		}
		remote.URLs = append(remote.URLs, u)
	}
	if l.TLS.enabled() {
		tc, err := tlsConfig(l.TLS)
		if err != nil {
			return nil, fmt.Errorf("leafnode tls: %w", err)
		}
		remote.TLS = true
		remote.TLSConfig = tc
	}
	o.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
	o.LeafNode.ReconnectInterval = time.Second
	o.ConnectErrorReports, o.ReconnectErrorReports = uplinkErrorReports, uplinkErrorReports
	return o, nil
}

// startEmbedded starts the in-process nats-server, which admits agent as
// its fully privileged client, and waits until it accepts clients. Its log
// goes to log.
func startEmbedded(c Config, agent nkeyIdentity, log zerolog.Logger) (*server.Server, error) {
	o, err := serverOptions(c, agent)
	if err != nil {
		return nil, err
	}
	if o.Port != -1 {
		// The server only reports a failed listen by not becoming ready;
		// check the address first so that a port in use is a clear,
		// immediate error.
		l, err := net.Listen("tcp", net.JoinHostPort(o.Host, strconv.Itoa(o.Port)))
		if err != nil {
			return nil, fmt.Errorf("embedded nats-server: listen %s: %w", c.Embedded.Listen, err)
		}
		if err := l.Close(); err != nil {
			return nil, fmt.Errorf("embedded nats-server: listen %s: %w", c.Embedded.Listen, err)
		}
	}
	if o.MQTT.Port != 0 {
		if err := checkFree("mqtt", o.MQTT.Host, o.MQTT.Port); err != nil {
			return nil, err
		}
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server on %s: %w", c.Embedded.Listen, err)
	}
	srv.SetLoggerV2(serverLogger{log: log.With().Str("subsystem", "nats-server").Logger()}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(embeddedReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats-server on %s: not ready within %s (port in use or store dir %q unusable?)",
			c.Embedded.Listen, embeddedReadyTimeout, c.Embedded.StoreDir)
	}
	return srv, nil
}

// serverLogger adapts zerolog to server.Logger. The server's notices are
// mostly start-up banners, so they go to debug, except those about leafnode
// connections, which an operator wants to see at info. Warnings and errors
// keep their level; fatal errors are logged as errors (the server shuts
// itself down; the sink reports that through its connection state).
type serverLogger struct{ log zerolog.Logger }

// Noticef implements server.Logger.
func (l serverLogger) Noticef(format string, v ...any) {
	ev := l.log.Debug()
	if strings.Contains(format, "eafnode") || strings.Contains(format, "JetStream domain") {
		ev = l.log.Info()
	}
	ev.Msgf(format, v...)
}

// Warnf implements server.Logger.
func (l serverLogger) Warnf(format string, v ...any) { l.log.Warn().Msgf(format, v...) }

// Fatalf implements server.Logger.
func (l serverLogger) Fatalf(format string, v ...any) { l.log.Error().Msgf(format, v...) }

// Errorf implements server.Logger.
func (l serverLogger) Errorf(format string, v ...any) { l.log.Error().Msgf(format, v...) }

// Debugf implements server.Logger.
func (l serverLogger) Debugf(format string, v ...any) { l.log.Debug().Msgf(format, v...) }

// Tracef implements server.Logger.
func (l serverLogger) Tracef(format string, v ...any) { l.log.Trace().Msgf(format, v...) }
