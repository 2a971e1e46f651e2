package sink

import "time"

// Stream discard reasons, the label of StreamStats.Discarded. A message is
// discarded when it leaves the stream before any consumer of the stream (a
// hub's source included) was delivered it.
const (
	// DiscardLimit: removed by the stream's max_bytes (discard old).
	DiscardLimit = "limit"
	// DiscardAge: removed by the stream's max_age.
	DiscardAge = "age"
	// DiscardStreamDeleted: the stream disappeared (deleted behind the
	// agent's back) while it held them.
	DiscardStreamDeleted = "stream_deleted"
	// DiscardStoreError: acked by the stream but not found in it after the
	// store recovered from a write error (a full disk): the server had not
	// written them yet.
	DiscardStoreError = "store_error"
)

// streamPosition is what the discard accounting reads of a stream: its
// sequence range and the time of its first message.
type streamPosition struct {
	first, last uint64
	firstTime   time.Time
}

// discardRange is a run of sequences that left the stream unsent.
type discardRange struct {
	reason   string
	from, to uint64
}

// n is the number of messages in the range.
func (r discardRange) n() uint64 { return r.to - r.from + 1 }

// discardTracker turns successive readings of a stream into the runs of
// messages that left it before any consumer was delivered them. Stream
// sequences are dense and only grow, so a reading every few seconds sees
// every removal exactly, however many happened in between: what lies
// between the previous first sequence and the new one is gone. What of it
// lies above the highest sequence ever delivered to a consumer was never
// sent anywhere. Delivery is read at the same moments, so a message
// delivered and removed between two readings counts as discarded (an
// overcount, never an undercount).
type discardTracker struct {
	primed bool
	pos    streamPosition
	// sent is the highest stream sequence a consumer was delivered, over
	// every reading of this stream's life.
	sent uint64
}

// reset forgets the stream: the next reading is a new baseline.
func (d *discardTracker) reset() { *d = discardTracker{} }

// unsentFrom is the first sequence of the stream not yet delivered to any
// consumer.
func (d *discardTracker) unsentFrom() uint64 {
	return max(d.pos.first, d.sent+1, 1)
}

// observe records a reading of the stream (pos), the highest sequence its
// consumers have been delivered so far (sent) and the highest sequence acked
// to the publisher (acked), and returns the run that left the stream unsent
// since the previous reading, if any. A stream whose last sequence went
// back lost what it held beyond: replaced (deleted and created again,
// reason DiscardStreamDeleted: all it held unsent) or recovered from disk
// short of what it had acked (DiscardStoreError: the sequences above its
// new last one). pos is then the new baseline.
func (d *discardTracker) observe(pos streamPosition, sent, acked uint64, maxAge time.Duration, now time.Time, gone string) (discardRange, bool) {
	if !d.primed {
		*d = discardTracker{primed: true, pos: pos, sent: sent}
		return discardRange{}, false
	}
	d.sent = max(d.sent, sent)
	if top := max(d.pos.last, acked); pos.last < top {
		r, ok := d.lost(gone, acked)
		if ok && gone == DiscardStoreError {
			r.from = max(r.from, pos.last+1)
			ok = r.from <= r.to
		}
		kept := d.sent
		*d = discardTracker{primed: true, pos: pos, sent: sent}
		if gone == DiscardStoreError {
			// The same stream, recovered: what was delivered stays so.
			d.sent = max(sent, min(kept, pos.last))
		}
		return r, ok
	}
	var r discardRange
	ok := false
	if pos.first > d.pos.first {
		from := d.unsentFrom()
		if to := pos.first - 1; from <= to {
			reason := DiscardLimit
			if maxAge > 0 && !d.pos.firstTime.IsZero() && now.Sub(d.pos.firstTime) >= maxAge {
				reason = DiscardAge
			}
			r, ok = discardRange{reason: reason, from: from, to: to}, true
		}
	}
	d.pos = pos
	return r, ok
}

// lost returns, under reason, the run the stream held unsent: up to the
// last reading's last sequence or acked, whichever is higher (what a stream
// that is gone took with it). The tracker is not changed; the caller resets
// it.
func (d *discardTracker) lost(reason string, acked uint64) (discardRange, bool) {
	if !d.primed {
		return discardRange{}, false
	}
	from, to := d.unsentFrom(), max(d.pos.last, acked)
	if to == 0 || from > to {
		return discardRange{}, false
	}
	return discardRange{reason: reason, from: from, to: to}, true
}

// unsent is the number of messages in the stream at the last reading that
// no consumer has been delivered.
func (d *discardTracker) unsent() uint64 {
	from := d.unsentFrom()
	if !d.primed || from > d.pos.last {
		return 0
	}
	return d.pos.last - from + 1
}
