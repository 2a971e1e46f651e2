package sink

import (
	"math"
	"time"
)

// rateLogAfter is how long after the first reading the buffer's duration at
// the observed rate is logged once: late enough that the burst of first
// values after a start has left the smoothed rate.
const rateLogAfter = 3 * time.Minute

// rateHalfLife is how quickly the stored rate behind StreamStats.BufferSeconds
// follows a change: a reading's weight halves after this long.
const rateHalfLife = 30 * time.Second

// storeRate follows the rate at which the stream stores bytes, from its
// readings' last sequence and average message size, smoothed exponentially
// (rateHalfLife). Only the watch goroutine uses it.
type storeRate struct {
	at      time.Time
	lastSeq uint64
	// since is the first reading; logged is set once the duration at the
	// observed rate was logged (rateLogAfter after since).
	since  time.Time
	logged bool
	// bytesPerSec is the smoothed rate; valid once primed.
	bytesPerSec float64
	primed      bool
}

// observe takes a reading: the stream's last sequence, messages and bytes
// at now. A sequence that went back (a new stream) starts over.
func (r *storeRate) observe(lastSeq, msgs, bytes uint64, now time.Time) {
	prev, at := r.lastSeq, r.at
	r.lastSeq, r.at = lastSeq, now
	if r.since.IsZero() {
		r.since = now
	}
	dt := now.Sub(at).Seconds()
	if at.IsZero() || lastSeq < prev || dt <= 0 || msgs == 0 {
		return
	}
	rate := float64(lastSeq-prev) * float64(bytes) / float64(msgs) / dt
	if !r.primed {
		r.bytesPerSec, r.primed = rate, true
		return
	}
	keep := math.Exp2(-dt / rateHalfLife.Seconds())
	r.bytesPerSec = keep*r.bytesPerSec + (1-keep)*rate
}

// bufferSeconds is how long maxBytes of messages lasts at the followed
// rate: 0 while unknown, without a limit or with nothing stored.
func (r *storeRate) bufferSeconds(maxBytes int64) float64 {
	if !r.primed || maxBytes <= 0 || r.bytesPerSec <= 0 {
		return 0
	}
	return float64(maxBytes) / r.bytesPerSec
}

// logDue reports, once, that the buffer's duration at the observed rate
// should be logged: rateLogAfter after the first reading, with a rate known.
func (r *storeRate) logDue(now time.Time) bool {
	if r.logged || !r.primed || r.since.IsZero() || now.Sub(r.since) < rateLogAfter {
		return false
	}
	r.logged = true
	return true
}
