package opcua

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential backoff with jitter. The n-th delay is
// drawn uniformly from [d/2, d] where d = min(Min·2ⁿ, Max), so a fleet of
// gateways that lost the same server does not reconnect in lockstep.
// It is not safe for concurrent use.
type backoff struct {
	Min, Max time.Duration
	attempt  int
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *backoff) Next() time.Duration {
	d := b.Min
	for i := 0; i < b.attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	b.attempt++
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}

// Attempt returns how many delays were handed out since the last Reset.
func (b *backoff) Attempt() int { return b.attempt }

// Reset starts over at Min (after a successful connection).
func (b *backoff) Reset() { b.attempt = 0 }

// wait blocks for d or until ctx is done, and reports whether d elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
