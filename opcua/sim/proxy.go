package sim

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/rs/zerolog"
)

// proxy forwards the public listener to gopcua's server on a private
// loopback port.
//
// Why: gopcua's server never closes the TCP connections of its secure
// channels. On Close it sends CloseSecureChannel and then waits up to 10 s
// for the per-channel goroutines, which sit in a blocking read until the
// client hangs up, and clients stay "connected" to a server that is gone.
// Owning the client-facing sockets lets the simulator close them: the
// server-side reads end at once, Close returns immediately, and clients see
// the connection drop as they would with a real server. It also lets tests
// cut every connection (DropConnections) to exercise reconnects.
type proxy struct {
	ln     net.Listener
	target string
	log    zerolog.Logger

	wg sync.WaitGroup // one per forwarding goroutine and the accept loop

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
}

func newProxy(ln net.Listener, target string, log zerolog.Logger) *proxy {
	return &proxy{ln: ln, target: target, log: log, conns: map[net.Conn]struct{}{}}
}

// start runs the accept loop until close.
func (p *proxy) start() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := p.ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					p.log.Warn().Err(err).Msg("simulator accept failed; listener stops")
				}
				return
			}
			p.forward(c)
		}
	}()
}

// forward dials the server and copies both ways until either side ends.
func (p *proxy) forward(client net.Conn) {
	var d net.Dialer
	server, err := d.DialContext(context.Background(), "tcp", p.target)
	if err != nil {
		p.log.Warn().Err(err).Msg("simulator cannot reach its own server")
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		// Either direction ending ends the connection.
		p.untrack(client, server)
	}
	go pipe(server, client)
	go pipe(client, server)
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	for _, c := range cs {
		delete(p.conns, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}

// drop closes every forwarded connection and returns how many client
// connections it closed.
func (p *proxy) drop() int {
	p.mu.Lock()
	cs := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return len(cs) / 2
}

// close stops accepting, closes every connection and waits for the
// forwarding goroutines.
func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.drop()
	p.wg.Wait()
}
