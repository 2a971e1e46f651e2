package agent

import (
	"sync"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/tag"
)

// recentFailuresKept is how many engine failures the status page shows.
const recentFailuresKept = 20

// recentFailures keeps the last recentFailuresKept engine failures for the
// status page, in a fixed ring: recording one costs no allocation beyond
// what the failure already holds. Safe for concurrent use.
type recentFailures struct {
	mu   sync.Mutex // guards the fields below
	ring [recentFailuresKept]failureSeen
	next int // where the next failure goes
	n    int // how many the ring holds
}

// failureSeen is one recorded failure.
type failureSeen struct {
	at     time.Time
	source string
	node   string
	f      engine.Failure
}

func (r *recentFailures) add(s *tag.Sample, f engine.Failure) {
	fs := failureSeen{at: time.Now(), f: f}
	if n := s.Node; n != nil {
		fs.source, fs.node = n.Source(), n.ID
	}
	r.mu.Lock()
	r.ring[r.next] = fs
	r.next = (r.next + 1) % len(r.ring)
	r.n = min(r.n+1, len(r.ring))
	r.mu.Unlock()
}

// last returns the recorded failures, newest first.
func (r *recentFailures) last() []failureSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]failureSeen, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.ring[(r.next-i+len(r.ring))%len(r.ring)])
	}
	return out
}
