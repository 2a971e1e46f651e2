package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// publishCore publishes o on core NATS. While disconnected the client
// buffers up to ReconnectBufSize; when that buffer is full the call blocks
// until the connection is back (backpressure instead of a drop). Before the
// first connection nothing with headers can be buffered, so the call blocks
// until then. A message is
// lost only when ctx ends first, the connection is closed, or the server can
// never take it, and each loss is counted.
func (s *Sink) publishCore(ctx context.Context, o *outMsg) error {
	defer o.put() // the client has copied it (or it is lost)
	for {
		err := s.publish(s.nc, o.subject, "", o.hdr, o.data)
		if err == nil {
			// The client's own status, not s.state: its disconnect
			// handler runs later on the client's callback goroutine, and
			// a message buffered in between must count as buffered.
			if !s.nc.IsConnected() {
				s.buffered.Add(1)
			}
			s.c.published.Add(1)
			return nil
		}
		if s.mustWait(err) {
			if werr := s.waitReconnected(ctx, o.subject); werr != nil {
				return s.lose(reasonOf(werr), o.subject, werr)
			}
			continue
		}
		s.c.publishErrors.Add(1)
		reason, ok := lossReason(err)
		if !ok {
			reason = LostRejected
		}
		return s.lose(reason, o.subject, err)
	}
}

// reasonOf maps the error that ended a wait to a loss reason.
func reasonOf(err error) string {
	if errors.Is(err, nats.ErrConnectionClosed) {
		return LostClosed
	}
	return LostCanceled
}

// publishJS publishes o to the stream. It first takes one of MaxAckPending
// slots, blocking while all are taken (backpressure: the slot is given back
// only when the message is acked or counted as lost), so the call never
// drops a message because the broker is slow. The ack (or the failure)
// arrives in onReply, or the ack timeout expires it.
func (s *Sink) publishJS(ctx context.Context, o *outMsg) error {
	var i int
	select {
	case i = <-s.fl.free:
	default:
		select {
		case i = <-s.fl.free:
		case <-ctx.Done():
			defer o.put()
			return s.lose(LostCanceled, o.subject, ctx.Err())
		case <-s.stop:
			defer o.put()
			return s.lose(LostClosed, o.subject, nats.ErrConnectionClosed)
		}
	}
	s.fl.claim(i, o)
	for {
		err := s.send(i)
		if err == nil {
			return nil
		}
		if s.mustWait(err) {
			if werr := s.waitReconnected(ctx, o.subject); werr != nil {
				return s.drop(i, reasonOf(werr), werr)
			}
			continue
		}
		s.c.publishErrors.Add(1)
		if reason, ok := lossReason(err); ok {
			return s.drop(i, reason, err)
		}
		// A transient failure: leave it to the retry loop, which keeps the
		// slot until the message is acked.
		s.retryLater(i, err)
		return nil
	}
}

// send makes one attempt to publish the message in slot i, with a reply
// subject naming the slot and the attempt.
func (s *Sink) send(i int) error {
	o, gen := s.fl.startAttempt(i)
	if err := s.publish(s.nc, o.subject, o.reply, o.hdr, o.data); err != nil {
		return err
	}
	s.fl.sent(i, gen, s.cfg.JetStream.AckTimeout)
	return nil
}

// drop frees slot i, counting its message as lost for reason, and returns
// the error for Publish to return.
func (s *Sink) drop(i int, reason string, err error) error {
	o := s.fl.release(i)
	subject := o.subject
	o.put()
	return s.lose(reason, subject, err)
}

// onReply handles the reply to a JetStream publish: an ack frees the slot,
// a failure is retried or counted as lost. Replies to attempts given up on
// are ignored.
func (s *Sink) onReply(m *nats.Msg) {
	i, ok := s.fl.takeReply(m.Subject)
	if !ok {
		return
	}
	if err := parseAck(m); err != nil {
		s.onPublishError(i, err)
		return
	}
	s.c.published.Add(1) // stored, or a duplicate of a stored message
	// onReply runs on the ack subscription's one goroutine: the only
	// writer of maxAcked.
	if seq := ackSeq(m.Data); seq > s.maxAcked.Load() {
		s.maxAcked.Store(seq)
	}
	if s.publishFailing.Load() {
		s.publishFailing.Store(false)
	}
	s.fl.release(i).put()
}

// onPublishError handles a failed attempt of slot i (a negative ack, no
// stream, or a publish error in the retry loop). It never blocks: a message
// that can never be stored is counted as lost, any other is queued for a
// retry with the same Nats-Msg-Id.
func (s *Sink) onPublishError(i int, err error) {
	s.c.publishErrors.Add(1)
	if reason, ok := lossReason(err); ok {
		_ = s.drop(i, reason, err)
		return
	}
	s.retryLater(i, err)
}

// retryLater marks slot i as failed and queues it for a retry.
func (s *Sink) retryLater(i int, err error) {
	s.scheduleRetry(s.fl.failed(i), err)
}

// retryItem is a JetStream message waiting to be published again.
type retryItem struct {
	slot int
	due  time.Time
}

// scheduleRetry queues the failed slot e for another attempt after a
// capped, jittered backoff. The queue has room for MaxAckPending items and a
// slot is queued at most once, so the send cannot block.
func (s *Sink) scheduleRetry(e expiredSlot, err error) {
	o, n := e.o, e.attempts
	s.publishFailing.Store(true)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, errAckTimeout) {
		s.pokeWatch() // the stream may be gone or its store failing
	}
	d := retryBase << min(n-1, 10)
	d = min(d, retryMax)
	d = d - d/5 + time.Duration(rand.Int64N(int64(d/5)*2+1))
	due := time.Now().Add(d)
	s.errLog.logN(func(suppressed int) {
		s.log.Warn().Err(err).Str("subject", o.subject).Str("msg_id", o.msgID()).
			Int("attempt", n).Dur("retry_in_ms", d).Int("suppressed", suppressed).
			Msg("jetstream publish failed; retrying with the same message id")
	})
	if w := s.cfg.JetStream.DuplicateWindow; e.unsure && due.Sub(e.first) > w {
		s.dupLog.logN(func(suppressed int) {
			s.log.Warn().Str("subject", o.subject).Str("msg_id", o.msgID()).
				Dur("duplicate_window_ms", w).Int("suppressed", suppressed).
				Msg("jetstream retry after the stream's duplicate window: if an earlier attempt was stored, the stream stores this message twice")
		})
	}
	select {
	case s.retryq <- retryItem{slot: e.i, due: due}:
	default:
		// Unreachable while every queued message holds a slot; counted
		// rather than silently dropped should that invariant ever break.
		_ = s.drop(e.i, LostRejected, errors.New("retry queue full"))
	}
}

// retryLoop re-publishes failed JetStream messages when their backoff has
// passed, until Close. Messages are taken in failure order; a message that
// fails again is queued again.
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
		if err := s.send(it.slot); err != nil {
			s.onPublishError(it.slot, err)
		}
	}
}

// ackTimeoutLoop fails the attempts whose ack is overdue, so they are
// retried, until Close. One ticker serves every message in flight.
func (s *Sink) ackTimeoutLoop() {
	defer s.wg.Done()
	ticker := time.NewTicker(ackScanEvery(s.cfg.JetStream.AckTimeout))
	defer ticker.Stop()
	for {
		select {
		case now := <-ticker.C:
			s.expire(now, false, errAckTimeout)
		case <-s.stop:
			return
		}
	}
}

// expire queues for a retry the attempts whose ack is overdue at now (or,
// with all, every attempt awaiting an ack), failed with err.
func (s *Sink) expire(now time.Time, all bool, err error) {
	for _, e := range s.fl.expired(now, all) {
		s.c.publishErrors.Add(1)
		s.scheduleRetry(e, err)
	}
}
