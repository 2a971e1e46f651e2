// Package natstest starts real, embedded nats-servers for tests: one on a
// random loopback port with JetStream in a temporary directory, or a hub with
// a leafnode port and leaves connected to it. Every server is shut down in
// t.Cleanup.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/testutil"
)

// ReadyTimeout bounds how long a started server may take to accept clients.
const ReadyTimeout = 10 * time.Second

// Options returns the options of a test server: loopback, a random client
// port, no logging, no signal handling, JetStream on a file store in a fresh
// t.TempDir(). Callers may change them before passing them to Run.
func Options(t testing.TB) *server.Options {
	t.Helper()
	return &server.Options{
		ServerName: serverName(t.Name()),
		Host:       "127.0.0.1",
		Port:       -1,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   t.TempDir(),
	}
}

// serverName makes a test name a valid server name.
func serverName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Run starts a server with opts, waits until it accepts connections and
// registers its shutdown with t.Cleanup. It fails the test if the server
// cannot start.
func Run(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("natstest: new server: %v", err)
	}
	s.Start()
	registry.Store(s, opts)
	if !s.ReadyForConnections(ReadyTimeout) {
		s.Shutdown()
		t.Fatalf("natstest: server %s not ready within %s", opts.ServerName, ReadyTimeout)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
		registry.Delete(s)
	})
	return s
}

// registry maps each server started by Run to its options, whose ports the
// server resolves when it starts.
var registry sync.Map

// Opts returns the options s was started with by Run, with the ports it
// resolved (client and leafnode). It panics for a server Run did not start.
func Opts(s *server.Server) *server.Options {
	o, ok := registry.Load(s)
	if !ok {
		panic("natstest: server not started by natstest.Run")
	}
	return o.(*server.Options)
}

// Start starts a server with Options(t), changed by each mod in order.
func Start(t testing.TB, mods ...func(*server.Options)) *server.Server {
	t.Helper()
	o := Options(t)
	for _, m := range mods {
		m(o)
	}
	return Run(t, o)
}

// FreePort is testutil.FreePort, for the tests that start servers with
// this package.
func FreePort(t testing.TB) int {
	t.Helper()
	return testutil.FreePort(t)
}

// Hub starts a JetStream server in domain with client and leafnode listeners
// on FreePorts. Use LeafURL to connect leaves; Stop and Run cut the link and
// bring the hub back.
func Hub(t testing.TB, domain string) *server.Server {
	t.Helper()
	return Start(t, func(o *server.Options) {
		o.ServerName = "hub"
		o.JetStreamDomain = domain
		o.Port = FreePort(t)
		o.LeafNode.Host = "127.0.0.1"
		o.LeafNode.Port = FreePort(t)
	})
}

// Stop shuts s down, waits for it, and returns a copy of its options with the
// ports it had resolved, so that Run(t, opts) starts a successor on the same
// client and leafnode ports and the same store directory. Leaves connected
// to s reconnect to the successor.
func Stop(s *server.Server) *server.Options {
	o := Opts(s).Clone()
	o.Port = s.Addr().(*net.TCPAddr).Port
	o.LeafNode.Port = Opts(s).LeafNode.Port
	s.Shutdown()
	s.WaitForShutdown()
	return o
}

// LeafURL returns the URL leaves use to connect to s's leafnode listener.
func LeafURL(s *server.Server) string {
	return fmt.Sprintf("nats-leaf://127.0.0.1:%d", Opts(s).LeafNode.Port)
}

// Leaf starts a JetStream server in domain whose leafnode remote is hubLeafURL
// (see LeafURL). The remote reconnects quickly so tests of a cut link stay
// short.
func Leaf(t testing.TB, hubLeafURL, domain string) *server.Server {
	t.Helper()
	u, err := url.Parse(hubLeafURL)
	if err != nil {
		t.Fatalf("natstest: leaf url %q: %v", hubLeafURL, err)
	}
	return Start(t, func(o *server.Options) {
		o.ServerName = "leaf-" + domain
		o.JetStreamDomain = domain
		o.LeafNode.ReconnectInterval = 100 * time.Millisecond
		o.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{u}}}
	})
}

// Connect connects a client to s and closes it in t.Cleanup.
func Connect(t testing.TB, s *server.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", s.ClientURL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitFor polls cond until it returns nil or timeout passes, then fails the
// test with cond's last error. It never sleeps longer than a few
// milliseconds between polls.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: condition not met within %s: %v", timeout, err)
		}
		timer := time.NewTimer(wait)
		<-timer.C
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}
