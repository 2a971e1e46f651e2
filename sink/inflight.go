package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The sink publishes to JetStream itself instead of through the client's
// async publisher: per message that one starts a timer, allocates a future,
// keeps a map entry and decodes the ack with encoding/json, which together
// took about a sixth of the CPU of a JetStream publish (and 13 of its 35
// allocations per message in BenchmarkPublishJetStream). Here
// each accepted message takes one of MaxAckPending slots; the reply subject
// names the slot and the attempt, so an ack finds its message with two
// integer parses, a success ack is recognised without a JSON decoder, and
// one ticker finds the acks that timed out.

// errAckTimeout is the failure of an attempt whose ack did not arrive within
// AckTimeout.
var errAckTimeout = errors.New("jetstream ack not received in time")

// Slot states.
const (
	slotFree     = iota
	slotSending  // the owner is handing the attempt to the client
	slotAcking   // sent; awaiting the ack until deadline
	slotRetrying // answered or failed: being freed, or queued for another attempt
)

// slot is one JetStream message accepted by Publish and not yet acked or
// lost.
type slot struct {
	o     *outMsg
	state int
	// gen numbers the attempts made in this slot (over all messages it
	// held); the reply subject carries it, so an ack of an earlier attempt
	// is recognised and ignored.
	gen      uint64
	attempts int
	deadline time.Time
	// first is when the first attempt was handed to the client (zero
	// before): a retry later than the stream's duplicate window after it
	// is no longer de-duplicated.
	first time.Time
	// unsure is set once an attempt failed without an answer (ack timeout,
	// disconnect): the stream may have stored it.
	unsure bool
}

// inflight tracks the JetStream messages accepted and not yet acked or
// lost, one slot each.
type inflight struct {
	// free holds the indexes of free slots; its capacity is MaxAckPending.
	// Taking one is how Publish waits for room (backpressure).
	free chan int
	// prefix is the reply subject prefix: <inbox>.<slot>.<gen> is the reply
	// subject of an attempt.
	prefix string

	mu sync.Mutex
	// Guarded by mu.
	slots []slot
	inUse int
	idle  chan struct{} // closed when inUse drops to 0; nil when nobody waits
}

func newInflight(n int) *inflight {
	f := &inflight{free: make(chan int, n), slots: make([]slot, n)}
	for i := range n {
		f.free <- i
	}
	return f
}

// pending is the number of messages accepted and not yet acked or lost.
func (f *inflight) pending() int { return cap(f.free) - len(f.free) }

// claim records o in the free slot i, which the caller took from f.free.
func (f *inflight) claim(i int, o *outMsg) {
	f.mu.Lock()
	f.slots[i] = slot{o: o, gen: f.slots[i].gen}
	f.inUse++
	f.mu.Unlock()
}

// release frees slot i and returns its message; the caller recycles it.
func (f *inflight) release(i int) *outMsg {
	f.mu.Lock()
	o := f.slots[i].o
	f.slots[i] = slot{gen: f.slots[i].gen}
	// Back in free before a waiter sees the table idle, so that pending
	// is 0 by then. The send cannot block: free has room for every slot.
	f.free <- i
	f.inUse--
	if f.inUse == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
	f.mu.Unlock()
	return o
}

// waitIdle blocks until no message is pending (true) or done is closed
// (false).
func (f *inflight) waitIdle(done <-chan struct{}) bool {
	f.mu.Lock()
	if f.inUse == 0 {
		f.mu.Unlock()
		return true
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	ch := f.idle
	f.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-done:
		return false
	}
}

// startAttempt begins a new attempt of slot i: it gets a new generation and
// its reply subject. The caller publishes the message and then calls sent
// (or handles the error itself).
func (f *inflight) startAttempt(i int) (*outMsg, uint64) {
	f.mu.Lock()
	sl := &f.slots[i]
	sl.gen++
	sl.state = slotSending
	gen, o := sl.gen, sl.o
	f.mu.Unlock()
	var b strings.Builder
	b.Grow(len(f.prefix) + 24)
	b.WriteString(f.prefix)
	b.WriteString(strconv.Itoa(i))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(gen, 10))
	o.reply = b.String()
	return o, gen
}

// sent marks attempt gen of slot i as handed to the client: its ack is due
// within timeout. The ack may have been handled already.
func (f *inflight) sent(i int, gen uint64, timeout time.Duration) {
	f.mu.Lock()
	if sl := &f.slots[i]; sl.gen == gen && sl.state == slotSending {
		now := time.Now()
		sl.state = slotAcking
		sl.deadline = now.Add(timeout)
		if sl.first.IsZero() {
			sl.first = now
		}
	}
	f.mu.Unlock()
}

// failed marks slot i, whose attempt the server answered with a failure (or
// which was not sent), as awaiting a retry and returns it. Any ack of an
// earlier attempt is ignored from now on.
func (f *inflight) failed(i int) expiredSlot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failLocked(i, false)
}

// failLocked is failed with f.mu held; unanswered tells that the attempt
// got no answer, so it may have been stored.
func (f *inflight) failLocked(i int, unanswered bool) expiredSlot {
	sl := &f.slots[i]
	sl.gen++
	sl.state = slotRetrying
	sl.attempts++
	sl.unsure = sl.unsure || unanswered
	return expiredSlot{i: i, o: sl.o, attempts: sl.attempts, first: sl.first, unsure: sl.unsure}
}

// takeReply resolves the reply subject of an ack to its slot: ok is false
// when the reply is not for the current attempt of a slot awaiting its ack
// (a late ack of an attempt that was given up on).
func (f *inflight) takeReply(subject string) (i int, ok bool) {
	rest, found := strings.CutPrefix(subject, f.prefix)
	if !found {
		return 0, false
	}
	si, sg, found := strings.Cut(rest, ".")
	if !found {
		return 0, false
	}
	i, err := strconv.Atoi(si)
	if err != nil || i < 0 || i >= len(f.slots) {
		return 0, false
	}
	gen, err := strconv.ParseUint(sg, 10, 64)
	if err != nil {
		return 0, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sl := &f.slots[i]
	if sl.gen != gen || (sl.state != slotAcking && sl.state != slotSending) {
		return 0, false
	}
	// The ack settles this attempt; no timeout may fire for it any more.
	sl.state = slotRetrying
	return i, true
}

// expiredSlot is a slot whose attempt failed: its index, message, failed
// attempts so far, the time of its first attempt (zero if none was sent)
// and whether an attempt may have been stored unacknowledged.
type expiredSlot struct {
	i        int
	o        *outMsg
	attempts int
	first    time.Time
	unsure   bool
}

// expired marks as failed, and returns, the slots whose ack is overdue at now
// (all slots awaiting an ack when all is set, after a disconnect lost their
// replies). Any ack of those attempts is ignored from now on.
func (f *inflight) expired(now time.Time, all bool) []expiredSlot {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []expiredSlot
	for i := range f.slots {
		sl := &f.slots[i]
		if sl.state == slotAcking && (all || now.After(sl.deadline)) {
			out = append(out, f.failLocked(i, true))
		}
	}
	return out
}

// ackReply is the part of a JetStream publish reply the sink reads.
type ackReply struct {
	Stream string              `json:"stream"`
	Error  *jetstream.APIError `json:"error"`
}

// ackPrefix starts every successful publish ack ({"stream":"NAME","seq":...}).
var ackPrefix = []byte(`{"stream":"`)

// parseAck returns nil if reply is a successful publish ack, else why the
// publish failed: a *jetstream.APIError from the stream, or
// jetstream.ErrNoStreamResponse when no stream took the message. A success
// is recognised without decoding the JSON; anything else is decoded.
func parseAck(m *nats.Msg) error {
	if len(m.Data) == 0 {
		// A status reply such as 503 "no responders": nothing captured
		// the subject (yet).
		return jetstream.ErrNoStreamResponse
	}
	if bytes.HasPrefix(m.Data, ackPrefix) && !bytes.Contains(m.Data, []byte(`"error"`)) {
		return nil
	}
	var r ackReply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return jetstream.ErrInvalidJSAck
	}
	if r.Error != nil {
		return r.Error
	}
	if r.Stream == "" {
		return jetstream.ErrInvalidJSAck
	}
	return nil
}

// seqKey precedes the stream sequence in a publish ack.
var seqKey = []byte(`"seq":`)

// ackSeq returns the stream sequence of a successful publish ack (0 if it
// has none).
func ackSeq(data []byte) uint64 {
	i := bytes.Index(data, seqKey)
	if i < 0 {
		return 0
	}
	var n uint64
	for _, c := range data[i+len(seqKey):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
