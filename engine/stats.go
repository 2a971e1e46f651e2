package engine

import (
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// failReasons lists the reasons a message fails, in counter order.
var failReasons = [...]Reason{
	ReasonException, ReasonTimeout, ReasonBadReturn,
	ReasonMissingField, ReasonInvalidSubject, ReasonConversion, ReasonLimit,
}

func reasonIndex(r Reason) int {
	for i, x := range failReasons {
		if x == r {
			return i
		}
	}
	return 0
}

// missingReturnCalls is how many first calls of a stage are watched for a
// forgotten `return msg`.
const missingReturnCalls = 100

// stage is one step of the pipeline with its counters. The order is
// defaults, conditions[0].if, conditions[0].then, ..., advancedProcessing,
// finalize.
type stage struct {
	name   string
	script *script // nil for finalize and for stages the config leaves empty

	// effects holds the recorded effect of a cacheable body stage that reads no
	// meta key, the same for every node; effectNever is set when it cannot be
	// recorded (see stagecache.go).
	effects     atomic.Pointer[effectRecord]
	effectNever atomic.Bool
	// shape is the shape of the recorded effects of a cacheable body
	// stage that reads meta keys, fixed by the first effect recorded
	// (see effectShape).
	shape atomic.Pointer[effectShape]

	filtered atomic.Uint64
	failed   [len(failReasons)]atomic.Uint64

	// limit rate-limits this stage's failure logs; suppressed counts
	// the lines it held back since the last one written.
	limit      *rate.Limiter
	suppressed atomic.Uint64

	// The first missingReturnCalls calls are watched: if every one
	// returned undefined, one warning says the stage probably lacks
	// `return msg`.
	watchDone atomic.Bool
	watchMu   sync.Mutex
	// calls and undef are guarded by watchMu.
	calls, undef int
}

// watchReturn records one call's result for the missing-return warning; it
// reports true exactly once, on the call that completes a run of
// missingReturnCalls undefined results.
func (s *stage) watchReturn(undefined bool) bool {
	if s.watchDone.Load() {
		return false
	}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.calls >= missingReturnCalls {
		return false
	}
	s.calls++
	if undefined {
		s.undef++
	}
	if s.calls == missingReturnCalls {
		s.watchDone.Store(true)
		return s.undef == missingReturnCalls
	}
	return false
}

// Stats returns a snapshot of the counters. Filtered and Failed hold only
// the stages (and reasons) with a non-zero count.
func (e *Engine) Stats() Stats {
	st := Stats{
		Filtered: make(map[string]uint64),
		Failed:   make(map[string]map[Reason]uint64),

		SubjectCollisions: e.subjects.count(),
		BadDropped:        e.bad.dropped.Load(),
	}
	e.rtsMu.Lock()
	for _, rt := range e.rts {
		st.Samples += rt.samples.Load()
		st.Emitted += rt.emitted.Load()
	}
	e.rtsMu.Unlock()
	for _, s := range e.stages {
		if n := s.filtered.Load(); n > 0 {
			st.Filtered[s.name] = n
		}
		for i := range s.failed {
			if n := s.failed[i].Load(); n > 0 {
				m := st.Failed[s.name]
				if m == nil {
					m = make(map[Reason]uint64)
					st.Failed[s.name] = m
				}
				m[failReasons[i]] = n
			}
		}
	}
	return st
}
