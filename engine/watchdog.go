package engine

import (
	"sync/atomic"
	"time"

	"github.com/edgetag/edgetag/tag"
)

// A runtime whose sample is still running abandonGrace after its deadline
// fired is stuck in Go code that does not look at the interrupt (a built-in
// the guards do not cover, such as a backtracking regular expression). The
// engine then abandons it: a fresh runtime takes its place in the pool, so
// the other callers keep flowing, and the stuck one is dropped, not
// returned to the pool, whenever its call ends (its sample then fails with
// reason timeout). At most maxStuckPerRuntime × the pool size runtimes are
// abandoned at a time; beyond that the pool shrinks instead of growing
// without bound.
const (
	minAbandonGrace    = time.Second
	maxStuckPerRuntime = 2
)

// abandonGrace is how long after its deadline a sample's runtime is
// abandoned: the deadline itself, at least minAbandonGrace (tests set
// grace).
func (e *Engine) abandonGrace() time.Duration {
	if e.grace > 0 {
		return e.grace
	}
	return max(e.timeout, minAbandonGrace)
}

// watchOverrun runs on the timer goroutine when rt's deadline fired: if
// the same sample (run epoch) is still running after abandonGrace, rt is
// abandoned.
func (rt *jsRuntime) watchOverrun() {
	epoch := rt.epoch.Load()
	node := ""
	if n := rt.armedNode.Load(); n != nil {
		node = n.ID
	}
	time.AfterFunc(rt.e.abandonGrace(), func() {
		if rt.epoch.Load() == epoch && rt.overdue.Load() {
			rt.e.abandon(rt, node)
		}
	})
}

// abandon replaces rt in the pool by a new runtime. rt stays with the
// caller that holds it; put drops it when that call ends.
func (e *Engine) abandon(rt *jsRuntime, node string) {
	if !rt.abandoned.CompareAndSwap(false, true) {
		return
	}
	e.abandonedTotal.Add(1)
	if n := e.stuck.Add(1); n > int64(maxStuckPerRuntime*len(e.pool.slots)) {
		e.log.Error().Int64("stuck", n).Str("node", node).
			Msg("a runtime is stuck past its deadline and too many are stuck already: the pool shrinks")
		return
	}
	nrt, err := e.newRuntime()
	if err != nil {
		e.log.Error().Err(err).Msg("replacing a stuck runtime")
		return
	}
	e.rtsMu.Lock()
	e.rts = append(e.rts, nrt)
	e.rtsMu.Unlock()
	e.log.Error().Str("node", node).Dur("deadline_ms", e.timeout).
		Msg("a script is stuck in a built-in past its deadline: its runtime is replaced and the sample fails when the built-in returns")
	e.pool.replace(rt.slot, nrt)
}

// Stuck returns the number of runtimes abandoned because a script overran
// its deadline in code that ignores it, and still running.
func (e *Engine) Stuck() int { return int(e.stuck.Load()) }

// AbandonedTotal returns the number of runtimes abandoned since the engine
// was built.
func (e *Engine) AbandonedTotal() uint64 { return e.abandonedTotal.Load() }

// Timeout returns the deadline of one sample.
func (e *Engine) Timeout() time.Duration { return e.timeout }

// runtimeFlags are the watchdog's view of one runtime.
type runtimeFlags struct {
	// epoch counts finished samples; the watchdog compares it to tell
	// that the sample it timed is still running.
	epoch atomic.Uint64
	// abandoned is set once a replacement took rt's place in the pool.
	abandoned atomic.Bool
	// armedNode is the node of the sample whose deadline runs, for the
	// watchdog's log (rt.node belongs to the runtime's goroutine).
	armedNode atomic.Pointer[tag.Node]
}

// release returns rt to the pool after a call, or drops it when the
// watchdog abandoned it meanwhile.
func (e *Engine) release(rt *jsRuntime) {
	if rt.abandoned.Load() {
		e.stuck.Add(-1)
		return
	}
	e.pool.put(rt)
}
