package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgetag/edgetag/tag"
)

// Retry backoff of a failed JetStream publish: retryBase doubled per attempt,
// capped at retryMax, with ±20% jitter.
const (
	retryBase = 100 * time.Millisecond
	retryMax  = 5 * time.Second
	// reconnectPoll is how often a publisher blocked on a full reconnect
	// buffer re-checks the connection, in addition to being woken by the
	// connection handlers.
	reconnectPoll = 50 * time.Millisecond
)

// msgPool recycles outgoing nats.Msgs with their header maps: once a
// message is encoded (core) or acked (JetStream) nats.go no longer refers to
// it, and the engine emits the same header keys message after message, so a
// recycled map is refilled without allocating.
var msgPool = sync.Pool{New: func() any { return new(nats.Msg) }}

// natsMsg converts m into a nats.Msg from msgPool, refilling the recycled
// header map; the values share one new backing array. With JetStream the
// Nats-Msg-Id header is set to MsgID(m) unless the message already carries
// one. The caller gives the message back with putMsg when nats.go is done
// with it.
func (s *Sink) natsMsg(m *tag.Message) *nats.Msg {
	msg := msgPool.Get().(*nats.Msg)
	hdr := msg.Header
	*msg = nats.Msg{Subject: m.Subject, Data: m.Payload}
	withID := s.js != nil
	n := m.NumHeaders()
	if withID {
		n++
	}
	if n == 0 {
		return msg
	}
	if hdr == nil {
		hdr = make(nats.Header, n)
	} else {
		clear(hdr)
	}
	vals := make([]string, n)
	i := 0
	for _, hs := range [2][]tag.Header{m.SharedHeaders, m.Headers} {
		for _, h := range hs {
			vals[i] = h.Value
			hdr[h.Key] = vals[i : i+1 : i+1]
			if h.Key == MsgIDHeader {
				withID = false
			}
			i++
		}
	}
	if withID {
		vals[n-1] = MsgID(m)
		hdr[MsgIDHeader] = vals[n-1 : n : n]
	}
	msg.Header = hdr
	return msg
}

// putMsg gives msg back to msgPool. The caller must not use it afterwards,
// and nats.go must not refer to it any more.
func putMsg(msg *nats.Msg) {
	msg.Subject, msg.Data = "", nil
	msgPool.Put(msg)
}

// lose counts one message lost for reason, logs it (rate-limited) and returns
// err wrapped with the subject, for Publish to return.
func (s *Sink) lose(reason, subject string, err error) error {
	s.c.addLost(reason, 1)
	s.lossLog.logN(func(suppressed int) {
		s.log.Error().Err(err).Str("subject", subject).Str("reason", reason).
			Int("suppressed", suppressed).Msg("nats message lost")
	})
	return fmt.Errorf("publish %s: %s: %w", subject, reason, err)
}

// lossReason classifies a publish error that retrying cannot fix; ok is
// false for errors worth retrying.
func lossReason(err error) (reason string, ok bool) {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		return LostTooLarge, true
	case errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum || apiErr.ErrorCode == 10097):
		return LostTooLarge, true
	case errors.Is(err, nats.ErrBadSubject), errors.Is(err, nats.ErrBadHeaderMsg), errors.Is(err, nats.ErrInvalidMsg):
		return LostRejected, true
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return LostClosed, true
	}
	return "", false
}

// mustWait reports whether a publish error means "wait for the connection":
// the reconnect buffer is full, or the client has not connected yet and so
// does not know that the server supports headers (nats.go refuses headers
// until it has seen the server's INFO).
func (s *Sink) mustWait(err error) bool {
	return errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, nats.ErrHeadersNotSupported) && !s.nc.IsConnected()
}

// waitReconnected blocks while the client is disconnected and its reconnect
// buffer is full: until the connection is back, ctx is done, or the
// connection is closed.
func (s *Sink) waitReconnected(ctx context.Context, subject string) error {
	s.bufFullLog.logN(func(suppressed int) {
		s.log.Warn().Str("subject", subject).Int("buffer_bytes", s.cfg.ReconnectBufSize).Int("suppressed", suppressed).
			Msg("nats not connected and nothing more can be buffered; publishing blocks until the connection is back")
	})
	timer := time.NewTimer(reconnectPoll)
	defer timer.Stop()
	for !s.nc.IsConnected() {
		if s.nc.IsClosed() {
			return nats.ErrConnectionClosed
		}
		s.state.mu.Lock()
		wake := s.state.wake
		s.state.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			timer.Reset(reconnectPoll)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// publishCore publishes msg on core NATS. While disconnected the client
// buffers up to ReconnectBufSize; when that buffer is full the call blocks
// until the connection is back (backpressure instead of a drop). Before the
// first connection nothing with headers can be buffered, so the call blocks
// until then. A message is
// lost only when ctx ends first, the connection is closed, or the server can
// never take it, and each loss is counted.
func (s *Sink) publishCore(ctx context.Context, msg *nats.Msg) error {
	defer putMsg(msg) // PublishMsg has encoded it (or it is lost)
	for {
		err := s.nc.PublishMsg(msg)
		if err == nil {
			if !s.state.connected() {
				s.buffered.Add(1)
			}
			s.c.published.Add(1)
			return nil
		}
		if s.mustWait(err) {
			if werr := s.waitReconnected(ctx, msg.Subject); werr != nil {
				return s.lose(reasonOf(werr), msg.Subject, werr)
			}
			continue
		}
		s.c.publishErrors.Add(1)
		reason, ok := lossReason(err)
		if !ok {
			reason = LostRejected
		}
		return s.lose(reason, msg.Subject, err)
	}
}

// reasonOf maps the error that ended a wait to a loss reason.
func reasonOf(err error) string {
	if errors.Is(err, nats.ErrConnectionClosed) {
		return LostClosed
	}
	return LostCanceled
}

// publishJS hands msg to the JetStream async publisher. It first takes one
// of MaxAckPending slots, blocking while all are taken (backpressure: the
// slot is given back only when the message is acked or counted as lost), so
// the call never drops a message because the broker is slow. Acks and
// failures arrive in onAck and onPublishError.
func (s *Sink) publishJS(ctx context.Context, msg *nats.Msg) error {
	select {
	case s.slots <- struct{}{}:
	default:
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			defer putMsg(msg)
			return s.lose(LostCanceled, msg.Subject, ctx.Err())
		case <-s.stop:
			defer putMsg(msg)
			return s.lose(LostClosed, msg.Subject, nats.ErrConnectionClosed)
		}
	}
	for {
		_, err := s.js.PublishMsgAsync(msg)
		if err == nil {
			return nil
		}
		var werr error
		switch {
		case errors.Is(err, jetstream.ErrTooManyStalledMsgs):
			// The client's own bound is never below ours; this only
			// happens if acks are slow to be processed. Try again.
			werr = ctx.Err()
		case s.mustWait(err):
			werr = s.waitReconnected(ctx, msg.Subject)
		default:
			s.c.publishErrors.Add(1)
			reason, ok := lossReason(err)
			if ok {
				<-s.slots
				defer putMsg(msg)
				return s.lose(reason, msg.Subject, err)
			}
			// A transient failure: leave it to the retry loop, which
			// keeps the slot until the message is acked.
			s.scheduleRetry(msg, err)
			return nil
		}
		if werr != nil {
			<-s.slots
			defer putMsg(msg)
			return s.lose(reasonOf(werr), msg.Subject, werr)
		}
	}
}

// retryItem is a JetStream message waiting to be published again.
type retryItem struct {
	msg *nats.Msg
	due time.Time
}

// onAck is the async publisher's ack handler: the message is stored (or was
// a duplicate of a stored one); its slot is given back.
func (s *Sink) onAck(_ jetstream.JetStream, msg *nats.Msg, _ *jetstream.PubAck) {
	if s.nRetrying.Load() > 0 {
		s.retryMu.Lock()
		if _, ok := s.attempts[msg]; ok {
			delete(s.attempts, msg)
			s.nRetrying.Add(-1)
		}
		s.retryMu.Unlock()
	}
	s.c.published.Add(1)
	putMsg(msg) // the ack was the client's last use of it
	<-s.slots
}

// onPublishError is the async publisher's error handler (a negative ack, an
// ack timeout, or a disconnect while the ack was awaited). It never blocks:
// a message that can never be stored is counted as lost, any other is
// queued for a retry with the same Nats-Msg-Id.
func (s *Sink) onPublishError(_ jetstream.JetStream, msg *nats.Msg, err error) {
	s.c.publishErrors.Add(1)
	if reason, ok := lossReason(err); ok {
		s.forget(msg)
		_ = s.lose(reason, msg.Subject, err)
		putMsg(msg)
		<-s.slots
		return
	}
	s.scheduleRetry(msg, err)
}

// forget drops the retry bookkeeping of msg.
func (s *Sink) forget(msg *nats.Msg) {
	if s.nRetrying.Load() == 0 {
		return
	}
	s.retryMu.Lock()
	if _, ok := s.attempts[msg]; ok {
		delete(s.attempts, msg)
		s.nRetrying.Add(-1)
	}
	s.retryMu.Unlock()
}

// scheduleRetry queues msg for another attempt after a capped, jittered
// backoff. The queue has room for MaxAckPending items and each queued
// message holds a slot, so the send cannot block.
func (s *Sink) scheduleRetry(msg *nats.Msg, err error) {
	s.retryMu.Lock()
	n, ok := s.attempts[msg]
	if !ok {
		s.nRetrying.Add(1)
	}
	n++
	s.attempts[msg] = n
	s.retryMu.Unlock()

	d := retryBase << min(n-1, 10)
	d = min(d, retryMax)
	d = d - d/5 + time.Duration(rand.Int64N(int64(d/5)*2+1))
	s.errLog.logN(func(suppressed int) {
		s.log.Warn().Err(err).Str("subject", msg.Subject).Str("msg_id", msg.Header.Get(MsgIDHeader)).
			Int("attempt", n).Dur("retry_in", d).Int("suppressed", suppressed).
			Msg("jetstream publish failed; retrying with the same message id")
	})
	select {
	case s.retryq <- retryItem{msg: msg, due: time.Now().Add(d)}:
	default:
		// Unreachable while every queued message holds a slot; counted
		// rather than silently dropped should that invariant ever break.
		s.forget(msg)
		_ = s.lose(LostRejected, msg.Subject, errors.New("retry queue full"))
		<-s.slots
	}
}

// retryLoop re-publishes failed JetStream messages when their backoff has
// passed, until Close. Messages are taken in failure order; a message that
// fails again is queued again by onPublishError.
func (s *Sink) retryLoop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var it retryItem
		select {
		case it = <-s.retryq:
		case <-s.stop:
			return
		}
		if d := time.Until(it.due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-s.stop:
				timer.Stop()
				return
			}
		}
		s.c.retried.Add(1)
		if _, err := s.js.PublishMsgAsync(it.msg); err != nil {
			s.onPublishError(s.js, it.msg, err)
		}
	}
}
