package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultWatchInterval is how often the stream's state is read when
// JetStream.WatchInterval is zero.
const DefaultWatchInterval = 2 * time.Second

// watchTimeout bounds one reading of the stream.
const watchTimeout = 5 * time.Second

// recoverEvery spaces the in-process restarts of JetStream while its store
// keeps failing (the disk still full).
const recoverEvery = 5 * time.Second

// StreamStats is the stream as the sink's watch last read it: its content,
// how far its consumers (a hub's source included) have been delivered it,
// what left it unsent, and its health.
type StreamStats struct {
	// Watched is false until the first reading (and with JetStream off).
	Watched bool
	// Exists reports whether the stream was found at the last reading.
	Exists bool
	// Messages, Bytes, FirstSeq and LastSeq are the stream's state; Bytes
	// is what counts against MaxBytes.
	Messages, Bytes   uint64
	FirstSeq, LastSeq uint64
	// MaxBytes is the stream's configured limit (-1: none).
	MaxBytes int64
	// Consumers is the number of consumers of the stream, sourcing
	// consumers of a hub included.
	Consumers int
	// SentSeq is the highest sequence any consumer has been delivered.
	SentSeq uint64
	// Unsent is the number of messages in the stream above SentSeq; with a
	// hub attached, how far behind it is.
	Unsent uint64
	// UnsentAge is how old the oldest unsent message is (0 when none).
	UnsentAge time.Duration
	// BufferSeconds is how long an outage MaxBytes rides out at the rate
	// the stream stored bytes over about the last minute (rateHalfLife);
	// 0 while unknown, without a limit or with nothing stored.
	BufferSeconds float64
	// Discarded counts messages that left the stream before any consumer
	// was delivered them, by reason (the Discard* constants).
	Discarded map[string]uint64
	// Recreated counts the times the stream was found missing and created
	// again with its configured limits.
	Recreated uint64
	// StoreRecoveries counts in-process restarts of the embedded server's
	// JetStream after a store error.
	StoreRecoveries uint64
	// Problem says why the stream cannot take messages now ("" when it
	// can): missing, a store write error, JetStream disabled.
	Problem string
}

// streamReading is one reading of the stream.
type streamReading struct {
	exists    bool
	pos       streamPosition
	msgs      uint64
	bytes     uint64
	maxBytes  int64
	consumers int
	sent      uint64
	// jsOff is set when the embedded server's JetStream is disabled (it
	// disables itself when the disk is full).
	jsOff bool
	// storeErr is the store's write error, "" when none.
	storeErr string
}

// streamWatch holds the watch's state; the watch goroutine is its only
// writer.
type streamWatch struct {
	poke chan struct{} // a publish failed: read the stream now

	tracker discardTracker
	rate    storeRate

	mu sync.Mutex
	// Guarded by mu.
	stats StreamStats
}

func newStreamWatch() *streamWatch {
	return &streamWatch{poke: make(chan struct{}, 1), stats: StreamStats{Discarded: map[string]uint64{}}}
}

// snapshot returns a copy of the last stats.
func (w *streamWatch) snapshot() StreamStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.stats
	st.Discarded = make(map[string]uint64, len(w.stats.Discarded))
	for k, v := range w.stats.Discarded {
		st.Discarded[k] = v
	}
	return st
}

// pokeWatch asks the watch for a reading now; it never blocks.
func (s *Sink) pokeWatch() {
	select {
	case s.watch.poke <- struct{}{}:
	default:
	}
}

// watchLoop reads the stream every WatchInterval (and at once after a
// publish failed) until Close: it exports the stream's state, counts and
// logs what left the stream unsent, creates the stream again when it is
// missing and restarts the embedded server's JetStream after a store error.
func (s *Sink) watchLoop() {
	defer s.wg.Done()
	ctx, cancel := s.untilClose()
	defer cancel()
	s.watchLoopInline(ctx)
}

// watchLoopInline is watchLoop's body on the caller's goroutine, until ctx
// is done.
func (s *Sink) watchLoopInline(ctx context.Context) {
	ticker := time.NewTicker(s.cfg.JetStream.WatchInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-s.watch.poke:
		case <-ctx.Done():
			return
		}
		s.checkStream(ctx)
	}
}

// checkStream takes one reading of the stream and acts on it.
func (s *Sink) checkStream(ctx context.Context) {
	if !s.state.connected() {
		return // the reading would fail; the connection state says why
	}
	// Read before the stream: every sequence acked by then is at or below
	// the last sequence the reading sees (a stream acks after it stored).
	acked := s.maxAcked.Load()
	rctx, cancel := context.WithTimeout(ctx, watchTimeout)
	r, err := s.readStream(rctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.watchLog.log(func() {
				s.log.Warn().Err(err).Str("stream", s.cfg.JetStream.Stream).Msg("jetstream stream state not readable")
			})
		}
		return
	}
	w := s.watch
	now := time.Now()
	switch {
	case r.jsOff || r.storeErr != "":
		problem := "jetstream disabled"
		if r.storeErr != "" {
			problem = "store write error: " + r.storeErr
		}
		s.setProblem(problem)
		s.recoverStore(ctx, problem)
		return
	case !r.exists:
		s.setProblem("stream missing")
		if rg, ok := w.tracker.lost(DiscardStreamDeleted, s.maxAcked.Load()); ok {
			s.countDiscard(rg)
		}
		w.tracker.reset()
		s.maxAcked.Store(0)
		s.log.Error().Str("stream", s.cfg.JetStream.Stream).
			Msg("jetstream stream missing (deleted behind the agent's back?); creating it again with its configured limits")
		if err := s.ensureStream(ctx); err != nil {
			s.log.Error().Err(err).Msg("jetstream stream not created again; retrying")
			return
		}
		// The new stream is empty: every sequence it ever removes counts.
		w.tracker = discardTracker{primed: true}
		w.mu.Lock()
		w.stats.Recreated++
		w.mu.Unlock()
		return
	}
	if rg, ok := w.tracker.observe(r.pos, r.sent, acked, s.cfg.JetStream.MaxAge, now, s.goneReason()); ok {
		s.countDiscard(rg)
	}
	var age time.Duration
	if unsent := w.tracker.unsent(); unsent > 0 {
		age = s.unsentAge(ctx, w.tracker.unsentFrom(), r.pos, now)
	}
	w.rate.observe(r.pos.last, r.msgs, r.bytes, now)
	if secs := w.rate.bufferSeconds(r.maxBytes); secs > 0 && w.rate.logDue(now) {
		s.log.Info().Int64("max_bytes", r.maxBytes).Float64("stored_bytes_per_second", w.rate.bytesPerSec).
			Float64("buffer_hours", secs/3600).Msg("jetstream buffer at the observed rate")
	}
	w.mu.Lock()
	st := &w.stats
	st.BufferSeconds = w.rate.bufferSeconds(r.maxBytes)
	st.Watched, st.Exists, st.Problem = true, true, ""
	st.Messages, st.Bytes, st.FirstSeq, st.LastSeq = r.msgs, r.bytes, r.pos.first, r.pos.last
	st.MaxBytes, st.Consumers = r.maxBytes, r.consumers
	st.SentSeq, st.Unsent, st.UnsentAge = w.tracker.sent, w.tracker.unsent(), age
	w.mu.Unlock()
	s.problem.Store(nil)
	s.streamReady.Store(true)
	s.recovering = false
}

// goneReason names what took the messages of a stream whose sequence went
// back: a store recovery that lost unwritten messages, else a deletion.
func (s *Sink) goneReason() string {
	if s.recovering {
		return DiscardStoreError
	}
	return DiscardStreamDeleted
}

// setProblem marks the stream as unable to take messages, for readiness.
func (s *Sink) setProblem(problem string) {
	s.problem.Store(&problem)
	s.streamReady.Store(false)
	w := s.watch
	w.mu.Lock()
	w.stats.Watched = true
	w.stats.Exists = problem != "stream missing" && w.stats.Exists
	w.stats.Problem = problem
	w.mu.Unlock()
}

// countDiscard counts and logs (rate-limited) a run of messages that left
// the stream unsent.
func (s *Sink) countDiscard(r discardRange) {
	w := s.watch
	w.mu.Lock()
	w.stats.Discarded[r.reason] += r.n()
	w.mu.Unlock()
	s.discardLog.logN(func(suppressed int) {
		s.log.Error().Str("stream", s.cfg.JetStream.Stream).Str("reason", r.reason).
			Uint64("first_seq", r.from).Uint64("last_seq", r.to).Uint64("messages", r.n()).
			Int("suppressed", suppressed).
			Msg("jetstream messages discarded before they were sent upstream")
	})
}

// unsentAge is how old the stream's oldest unsent message (sequence from)
// is: the stream's first message's time when that is the one, else the
// message's own time, read from the stream (0 if it cannot be read).
func (s *Sink) unsentAge(ctx context.Context, from uint64, pos streamPosition, now time.Time) time.Duration {
	t := pos.firstTime
	if from > pos.first {
		ctx, cancel := context.WithTimeout(ctx, watchTimeout)
		defer cancel()
		st, err := s.js.Stream(ctx, s.cfg.JetStream.Stream)
		if err != nil {
			return 0
		}
		m, err := st.GetMsg(ctx, from)
		if err != nil {
			return 0
		}
		t = m.Time
	}
	if t.IsZero() || t.After(now) {
		return 0
	}
	return now.Sub(t)
}

// readStream reads the stream: from the embedded server itself (which also
// sees a hub's sourcing consumers and the store's health), else through the
// JetStream API.
func (s *Sink) readStream(ctx context.Context) (streamReading, error) {
	if s.srv != nil {
		return s.readEmbeddedStream()
	}
	return s.readRemoteStream(ctx)
}

// readEmbeddedStream reads the stream from the embedded server's monitoring
// view, with its direct consumers (those a hub's stream creates to source
// it) and the store's write error.
func (s *Sink) readEmbeddedStream() (streamReading, error) {
	name := s.cfg.JetStream.Stream
	info, err := s.srv.Jsz(&server.JSzOptions{Streams: true, Consumer: true, DirectConsumer: true, Config: true})
	if err != nil {
		return streamReading{}, fmt.Errorf("jetstream state of stream %s: %w", name, err)
	}
	if info.Disabled {
		return streamReading{jsOff: true}, nil
	}
	var r streamReading
	for _, ad := range info.AccountDetails {
		for i := range ad.Streams {
			sd := &ad.Streams[i]
			if sd.Name != name {
				continue
			}
			r.exists = true
			r.pos = streamPosition{first: sd.State.FirstSeq, last: sd.State.LastSeq, firstTime: sd.State.FirstTime}
			r.msgs, r.bytes = sd.State.Msgs, sd.State.Bytes
			r.maxBytes = -1
			if sd.Config != nil {
				r.maxBytes = sd.Config.MaxBytes
			}
			for _, cs := range [][]*server.ConsumerInfo{sd.Consumer, sd.DirectConsumer} {
				for _, ci := range cs {
					r.consumers++
					r.sent = max(r.sent, ci.Delivered.Stream)
				}
			}
		}
	}
	// Only this stream's own errors count: the server's health also covers
	// what the watch has no business restarting JetStream for. And only
	// while the stream exists: the health check lists every stream folder
	// on disk, so a stream being deleted shows there as "could not be
	// recovered" until its folder is gone; a missing stream is created
	// again (checkStream), not a reason to restart JetStream.
	if !r.exists {
		return r, nil
	}
	if h := s.srv.Healthz(&server.HealthzOptions{Details: true}); h != nil && h.Status != "ok" {
		for _, e := range h.Errors {
			if e.Stream == name {
				r.storeErr = e.Error
				break
			}
		}
	}
	return r, nil
}

// readRemoteStream reads the stream through the JetStream API, with its
// consumers (a hub's sourcing consumers are not listed there).
func (s *Sink) readRemoteStream(ctx context.Context) (streamReading, error) {
	name := s.cfg.JetStream.Stream
	st, err := s.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return streamReading{}, nil
	}
	if err != nil {
		return streamReading{}, fmt.Errorf("stream %s info: %w", name, err)
	}
	info := st.CachedInfo()
	r := streamReading{
		exists:   true,
		pos:      streamPosition{first: info.State.FirstSeq, last: info.State.LastSeq, firstTime: info.State.FirstTime},
		msgs:     info.State.Msgs,
		bytes:    info.State.Bytes,
		maxBytes: info.Config.MaxBytes,
	}
	cl := st.ListConsumers(ctx)
	for ci := range cl.Info() {
		r.consumers++
		r.sent = max(r.sent, ci.Delivered.Stream)
	}
	if err := cl.Err(); err != nil {
		return streamReading{}, fmt.Errorf("stream %s consumers: %w", name, err)
	}
	return r, nil
}

// recoverStore restarts the embedded server's JetStream in-process after a
// store write error (the file store keeps failing until it is reopened) or
// after the server disabled JetStream itself (out of disk space): the
// streams are recovered from disk and the publisher's retries, with their
// message ids, resume. Acked messages the server had not written are found
// missing at the next reading and counted under DiscardStoreError. With an
// external server nothing is done here: its operator owns its store.
func (s *Sink) recoverStore(ctx context.Context, problem string) {
	if s.srv == nil {
		s.watchLog.log(func() {
			s.log.Error().Str("stream", s.cfg.JetStream.Stream).Str("problem", problem).Msg("jetstream stream cannot store messages")
		})
		return
	}
	if time.Since(s.lastRecovery) < recoverEvery {
		return
	}
	s.lastRecovery = time.Now()
	s.log.Error().Str("stream", s.cfg.JetStream.Stream).Str("problem", problem).
		Msg("jetstream store failing; restarting the embedded server's JetStream")
	s.recovering = true
	jcfg := s.srv.JetStreamConfig()
	if s.srv.JetStreamEnabled() {
		if err := s.srv.ShutdownJetStream(); err != nil {
			s.log.Error().Err(err).Msg("jetstream shutdown for recovery failed")
			return
		}
	}
	next := &server.JetStreamConfig{StoreDir: s.cfg.Embedded.StoreDir, Domain: s.cfg.Embedded.Domain, SyncAlways: s.cfg.Embedded.SyncAlways}
	if jcfg != nil {
		next.MaxMemory, next.MaxStore, next.SyncInterval, next.Strict = jcfg.MaxMemory, jcfg.MaxStore, jcfg.SyncInterval, jcfg.Strict
	}
	if err := s.srv.EnableJetStream(next); err != nil {
		s.watchLog.log(func() {
			s.log.Error().Err(err).Msg("jetstream restart failed; retrying")
		})
		return
	}
	w := s.watch
	w.mu.Lock()
	w.stats.StoreRecoveries++
	w.mu.Unlock()
	if err := s.ensureStream(ctx); err != nil {
		s.log.Error().Err(err).Msg("jetstream stream not ready after the restart; retrying")
		return
	}
	s.log.Info().Str("stream", s.cfg.JetStream.Stream).Msg("jetstream restarted; stream recovered from disk")
}
