package sink

import (
	"sync"
	"sync/atomic"
	"time"
)

// Loss reasons, the label of Stats.Lost. Every message the sink accepted or
// was offered and did not deliver is counted under exactly one of them.
const (
	// LostCanceled: Publish's ctx ended before the message was handed to
	// the connection (the caller is shutting down while the broker applies
	// backpressure).
	LostCanceled = "canceled"
	// LostTooLarge: the message exceeds the server's max payload or the
	// stream's max message size; it can never be delivered.
	LostTooLarge = "too_large"
	// LostRejected: the server refused the message for good (invalid
	// subject, headers, or a permanent JetStream error).
	LostRejected = "rejected"
	// LostClosed: Publish was called after the connection was closed.
	LostClosed = "connection_closed"
	// LostUnackedAtClose: JetStream messages that had not been acked (in
	// flight or awaiting a retry) when Close gave up on them. They may still
	// have been stored; the sink cannot know.
	LostUnackedAtClose = "unacked_at_close"
	// LostBufferedAtClose: core NATS messages still in the reconnect buffer
	// (published while disconnected) when Close ran without a connection.
	LostBufferedAtClose = "reconnect_buffer_at_close"
)

// Stats is a snapshot of the sink's counters.
type Stats struct {
	// Published counts messages delivered: flushed to the connection (core)
	// or acked by the stream (JetStream, duplicates included).
	Published uint64
	// PublishErrors counts failed publish attempts (each is retried or lost).
	PublishErrors uint64
	// Retried counts JetStream re-publishes after a failed attempt.
	Retried uint64
	// Lost counts undelivered messages by reason (the Lost* constants);
	// every loss is counted here and logged.
	Lost map[string]uint64
	// AcksPending is the number of JetStream messages accepted and not yet
	// acked (in flight or awaiting a retry).
	AcksPending int
	// BufferedBytes is what the client holds unsent (the reconnect buffer
	// while disconnected).
	BufferedBytes int
	// Connected reports whether the client is connected.
	Connected bool
	// Leafnode reports whether the embedded server has a leafnode uplink;
	// LeafnodeConnected whether it is up (false without one).
	Leafnode, LeafnodeConnected bool
	// Stream is the JetStream stream's state, discards and health (zero
	// with JetStream disabled).
	Stream StreamStats
}

// counters are the sink's live counters.
type counters struct {
	published     atomic.Uint64
	publishErrors atomic.Uint64
	retried       atomic.Uint64

	mu   sync.Mutex
	lost map[string]uint64
}

func (c *counters) addLost(reason string, n uint64) {
	c.mu.Lock()
	if c.lost == nil {
		c.lost = make(map[string]uint64)
	}
	c.lost[reason] += n
	c.mu.Unlock()
}

func (c *counters) lostSnapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]uint64, len(c.lost))
	for k, v := range c.lost {
		m[k] = v
	}
	return m
}

// rateLog lets one log line through per interval and counts the ones it
// suppressed, so a storm of identical failures costs one line per interval
// and still tells how many there were.
type rateLog struct {
	every      time.Duration
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// log calls emit (with the count of lines suppressed since the last one) if
// the interval has passed, else counts the call as suppressed.
func (r *rateLog) logN(emit func(suppressed int)) {
	r.mu.Lock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	emit(n)
}

// log is logN for lines that do not report the suppressed count.
func (r *rateLog) log(emit func()) { r.logN(func(int) { emit() }) }
