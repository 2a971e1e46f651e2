package sink

import (
	"math"
	"time"
)

// rateHalfLife is how quickly the stored rate behind StreamStats.BufferSeconds
// follows a change: a reading's weight halves after this long.
const rateHalfLife = 30 * time.Second

// storeRate follows the rate at which the stream stores bytes, from its
// readings' last sequence and average message size, smoothed exponentially
// (rateHalfLife). Only the watch goroutine uses it.
type storeRate struct {
	at      time.Time
	lastSeq uint64
	// bytesPerSec is the smoothed rate; valid once primed.
	bytesPerSec float64
	primed      bool
}

// observe takes a reading: the stream's last sequence, messages and bytes
// at now. A sequence that went back (a new stream) starts over.
func (r *storeRate) observe(lastSeq, msgs, bytes uint64, now time.Time) {
	prev, at := r.lastSeq, r.at
	r.lastSeq, r.at = lastSeq, now
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
