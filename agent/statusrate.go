package agent

import (
	"sync"
	"time"
)

// rateWindow is the shortest span a rate is measured over; requests closer
// together get the last rate measured.
const rateWindow = time.Second

// rates turns per-name counters into per-second rates between successive
// reads of the status page. Safe for concurrent use.
type rates struct {
	mu   sync.Mutex // guards last
	last map[string]ratePoint
}

type ratePoint struct {
	at    time.Time
	count uint64
	rate  float64
}

// rate returns name's rate per second given its counter now: over the time
// since the last measurement, or the last rate when that is under
// rateWindow (0 for the first read).
func (r *rates) rate(name string, count uint64, now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]ratePoint{}
	}
	p, ok := r.last[name]
	if !ok || count < p.count {
		r.last[name] = ratePoint{at: now, count: count}
		return 0
	}
	d := now.Sub(p.at)
	if d < rateWindow {
		return p.rate
	}
	rt := float64(count-p.count) / d.Seconds()
	r.last[name] = ratePoint{at: now, count: count, rate: rt}
	return rt
}
