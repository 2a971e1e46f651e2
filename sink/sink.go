package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/tag"
)

const (
	// logEvery is the interval of rate-limited log lines.
	logEvery = 5 * time.Second
	// coreFlushTimeout bounds a core flush when the caller's ctx has no
	// deadline (the client requires one).
	coreFlushTimeout = 10 * time.Second
)

// Sink publishes messages to NATS. Publish is safe for concurrent use; the
// messages of one caller goroutine are published in call order.
//
// The lifecycle is New, Start, any number of Publish calls, Flush, Close.
type Sink struct {
	cfg Config
	log zerolog.Logger

	srv   *server.Server // embedded server; nil with an external URL
	agent nkeyIdentity   // the identity of the connection to srv
	nc    *nats.Conn
	// publish is how messages reach nc (see choosePublish); linked tells
	// which one.
	publish publishFunc
	linked  bool
	js      jetstream.JetStream // nil with JetStream disabled
	state   *connState
	c       counters

	// fl holds the JetStream messages accepted and not yet acked or lost;
	// nil with JetStream disabled.
	fl     *inflight
	retryq chan retryItem

	streamReady atomic.Bool
	// publishFailing is set by a failed JetStream publish attempt and
	// cleared by the next ack: readiness is false meanwhile.
	publishFailing atomic.Bool
	// maxAcked is the highest stream sequence acked to the sink since the
	// stream was (re)created: what a stream that vanishes took with it
	// reaches up to there.
	maxAcked atomic.Uint64
	// problem says why the stream cannot take messages (nil when it can).
	problem atomic.Pointer[string]
	// watch reads the stream's state (streamwatch.go); nil with JetStream
	// disabled. recovering and lastRecovery belong to its goroutine.
	watch        *streamWatch
	recovering   bool
	lastRecovery time.Time
	// buffered counts core messages published while disconnected since the
	// last (re)connect: what Close loses if the connection never comes back.
	buffered atomic.Uint64

	errLog, lossLog, bufFullLog, reconnLog, dupLog, discardLog, watchLog rateLog

	stop      chan struct{} // closed by Close
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg (with defaults applied) and reports every problem at
// once; it starts nothing.
func New(cfg Config, log zerolog.Logger) (*Sink, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sink config: %w", err)
	}
	s := &Sink{
		cfg:        cfg,
		log:        log,
		state:      newConnState(),
		stop:       make(chan struct{}),
		errLog:     rateLog{every: logEvery},
		lossLog:    rateLog{every: logEvery},
		bufFullLog: rateLog{every: logEvery},
		reconnLog:  rateLog{every: logEvery},
		dupLog:     rateLog{every: logEvery},
		discardLog: rateLog{every: logEvery},
		watchLog:   rateLog{every: logEvery},
	}
	s.publish, s.linked = choosePublish(nats.Version)
	if cfg.JetStream.Enabled {
		s.watch = newStreamWatch()
		s.fl = newInflight(cfg.JetStream.MaxAckPending)
		s.retryq = make(chan retryItem, cfg.JetStream.MaxAckPending)
	}
	return s, nil
}

// Start starts the embedded server (when URL is ""), connects, and creates
// or updates the JetStream stream. With an external URL a broker that is not
// reachable yet does not fail Start (RetryOnFailedConnect): the client keeps
// connecting in the background, Publish buffers or blocks meanwhile, and the
// stream is set up once connected. Start must be called once; after an
// error the caller still calls Close.
func (s *Sink) Start(ctx context.Context) error {
	if s.cfg.URL == "" {
		id, err := newNKeyIdentity()
		if err != nil {
			return fmt.Errorf("sink: %w", err)
		}
		s.agent = id
		srv, err := startEmbedded(s.cfg, id, s.log)
		if err != nil {
			return fmt.Errorf("sink: %w", err)
		}
		s.srv = srv
		s.log.Info().Str("url", srv.ClientURL()).Bool("jetstream", s.cfg.JetStream.Enabled).
			Str("domain", s.cfg.Embedded.Domain).Str("leafnode", redact.URLs(s.cfg.Embedded.Leafnode.URL)).
			Msg("embedded nats-server started")
	}
	s.logPublishPath()
	opts, err := s.connOptions(s.srv)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	url := s.cfg.URL
	if s.srv != nil {
		// In-process: no TLS even when the client port serves it, and a
		// tls:// URL would make the client start a handshake.
		url = "nats://" + s.srv.Addr().String()
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("sink: connect %s: %w", redact.URLs(url), err)
	}
	s.nc = nc
	if nc.IsConnected() {
		s.state.set(true)
	} else {
		s.log.Warn().Str("url", redact.URLs(url)).Msg("nats not reachable yet; retrying in the background")
	}
	if !s.cfg.JetStream.Enabled {
		return nil
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("sink: jetstream: %w", err)
	}
	s.js = js
	s.fl.prefix = nc.NewInbox() + "."
	if _, err := nc.Subscribe(s.fl.prefix+"*.*", s.onReply); err != nil {
		return fmt.Errorf("sink: subscribe to jetstream acks: %w", err)
	}
	s.wg.Add(2)
	go s.retryLoop()
	go s.ackTimeoutLoop()
	if s.srv != nil {
		s.sizeFromDisk()
		if err := s.ensureStream(ctx); err != nil {
			return fmt.Errorf("sink: %w", err)
		}
		// The first reading is the baseline of the discard accounting:
		// taken before anything is published, it misses no removal.
		s.checkStream(ctx)
		s.wg.Add(1)
		go s.watchLoop()
		return nil
	}
	s.wg.Add(1)
	go s.streamSetupLoop()
	return nil
}

// Publish sends one message. With JetStream it blocks while MaxAckPending
// messages await their ack (backpressure) and retries a failed publish with
// the same Nats-Msg-Id until it is acked; the ack arrives after Publish
// returns (see Flush). With core NATS it blocks while disconnected with a
// full reconnect buffer. A nil error means the sink has taken the message
// over. A non-nil error means the message was not delivered and has already
// been counted in Stats.Lost and logged: ctx.Err() (wrapped) when ctx ended
// first, or the reason the server can never take it.
func (s *Sink) Publish(ctx context.Context, m *tag.Message) error {
	if s.nc == nil {
		return s.lose(LostClosed, m.Subject, errors.New("sink not started"))
	}
	o, err := newOutMsg(m, s.js != nil)
	if err != nil {
		o.put()
		s.c.publishErrors.Add(1)
		return s.lose(LostRejected, m.Subject, err)
	}
	if s.js != nil {
		return s.publishJS(ctx, o)
	}
	return s.publishCore(ctx, o)
}

// Flush waits until every published message is acknowledged (JetStream:
// in flight and awaiting a retry) or flushed to the server (core), or ctx is
// done. Messages still unacknowledged when ctx ends are not counted as lost
// yet: the sink keeps retrying them until Close.
func (s *Sink) Flush(ctx context.Context) error {
	if s.nc == nil {
		return nil
	}
	if s.js == nil {
		if !s.nc.IsConnected() {
			if err := s.state.wait(ctx); err != nil {
				return fmt.Errorf("sink flush: waiting for the connection: %w", err)
			}
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, coreFlushTimeout)
			defer cancel()
		}
		if err := s.nc.FlushWithContext(ctx); err != nil {
			return fmt.Errorf("sink flush: %w", err)
		}
		return nil
	}
	if !s.fl.waitIdle(ctx.Done()) {
		return fmt.Errorf("sink flush: %d messages still awaiting acks: %w", s.fl.pending(), ctx.Err())
	}
	return nil
}

// Close stops retrying, counts every message not yet acked (JetStream) or
// still in the reconnect buffer without a connection (core) as lost, drains
// the connection (bounded by DrainTimeout) and shuts the embedded server
// down, waiting for it. Call Flush first to deliver what is pending. Close
// is idempotent.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		var errs []error
		if s.nc != nil {
			if !s.nc.IsConnected() {
				if n := s.buffered.Load(); n > 0 {
					s.c.addLost(LostBufferedAtClose, n)
					s.log.Error().Uint64("messages", n).Str("reason", LostBufferedAtClose).
						Msg("nats messages lost: still in the reconnect buffer at close")
				}
			}
			// Acks still arrive while the connection drains; what holds a
			// slot once it is closed was never acked.
			errs = append(errs, s.drain())
			if n := s.acksPending(); n > 0 {
				s.c.addLost(LostUnackedAtClose, uint64(n))
				s.log.Error().Int("messages", n).Str("reason", LostUnackedAtClose).
					Msg("nats messages lost: not acked by the stream at close")
			}
		}
		if s.srv != nil {
			s.srv.Shutdown()
			s.srv.WaitForShutdown()
			s.log.Info().Msg("embedded nats-server stopped")
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// drain drains the connection and waits for it to close, at most
// DrainTimeout (plus a margin); a connection that is not connected is
// closed directly.
func (s *Sink) drain() error {
	if !s.nc.IsConnected() {
		s.nc.Close()
		return nil
	}
	closed := s.nc.StatusChanged(nats.CLOSED)
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
		return fmt.Errorf("sink drain: %w", err)
	}
	timer := time.NewTimer(s.cfg.DrainTimeout + time.Second)
	defer timer.Stop()
	select {
	case <-closed:
	case <-timer.C:
		s.nc.Close()
		return fmt.Errorf("sink drain: not closed within %s", s.cfg.DrainTimeout)
	}
	return nil
}

// Ready reports whether the sink can publish now: connected, and with
// JetStream, the stream exists, its store takes messages and publishes are
// acked (see NotReady).
func (s *Sink) Ready() bool { return len(s.NotReady()) == 0 }

// ClientURL is the URL local clients use: the embedded server's TCP URL, or
// the configured one without credentials.
func (s *Sink) ClientURL() string {
	if s.srv != nil {
		return s.srv.ClientURL()
	}
	return redact.URLs(s.cfg.URL)
}

// Stats returns a snapshot of the counters.
func (s *Sink) Stats() Stats {
	st := Stats{
		Published:     s.c.published.Load(),
		PublishErrors: s.c.publishErrors.Load(),
		Retried:       s.c.retried.Load(),
		Lost:          s.c.lostSnapshot(),
		AcksPending:   s.acksPending(),
	}
	if s.watch != nil {
		st.Stream = s.watch.snapshot()
	}
	if s.srv != nil && s.cfg.Embedded.Leafnode.URL != "" {
		st.Leafnode = true
		st.LeafnodeConnected = s.srv.NumLeafNodes() > 0
	}
	if s.nc != nil {
		st.Connected = s.nc.IsConnected()
		if b, err := s.nc.Buffered(); err == nil {
			st.BufferedBytes = b
		}
	}
	return st
}

// acksPending is the number of JetStream messages accepted and not yet acked
// or lost.
func (s *Sink) acksPending() int {
	if s.fl == nil {
		return 0
	}
	return s.fl.pending()
}
