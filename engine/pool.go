package engine

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// runtimePool hands out the engine's runtimes, one caller at a time each.
// Taking and returning a runtime is one atomic swap on its own slot when
// one is free, so callers on different cores do not contend on a shared
// lock (a channel cost about a tenth of a sample's CPU with two callers).
// A caller finding every runtime taken waits on a condition variable.
type runtimePool struct {
	slots []atomic.Pointer[jsRuntime] // nil while taken

	mu      sync.Mutex
	cond    sync.Cond
	waiters atomic.Int32
}

func newRuntimePool(rts []*jsRuntime) *runtimePool {
	p := &runtimePool{slots: make([]atomic.Pointer[jsRuntime], len(rts))}
	p.cond.L = &p.mu
	for i, rt := range rts {
		rt.slot = i
		p.slots[i].Store(rt)
	}
	return p
}

// tryGet takes a free runtime, or returns nil. It starts at a random slot
// so that concurrent callers spread over the slots.
func (p *runtimePool) tryGet() *jsRuntime {
	n := len(p.slots)
	start := 0
	if n > 1 {
		start = rand.IntN(n)
	}
	for i := range n {
		j := start + i
		if j >= n {
			j -= n
		}
		if p.slots[j].Load() != nil {
			if rt := p.slots[j].Swap(nil); rt != nil {
				return rt
			}
		}
	}
	return nil
}

// get takes a runtime, waiting while all are taken.
func (p *runtimePool) get() *jsRuntime {
	if rt := p.tryGet(); rt != nil {
		return rt
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Announce the wait before looking again: a put that stores its
	// runtime after our look then sees a waiter and signals (the atomics
	// order the two), so no wake-up is lost.
	p.waiters.Add(1)
	defer p.waiters.Add(-1)
	for {
		if rt := p.tryGet(); rt != nil {
			return rt
		}
		p.cond.Wait()
	}
}

// put returns a runtime taken with get.
func (p *runtimePool) put(rt *jsRuntime) {
	p.slots[rt.slot].Store(rt)
	if p.waiters.Load() > 0 {
		p.mu.Lock()
		p.cond.Signal()
		p.mu.Unlock()
	}
}

// replace puts rt into slot, in place of the runtime taken from it that
// will never come back (see Engine.abandon).
func (p *runtimePool) replace(slot int, rt *jsRuntime) {
	rt.slot = slot
	p.put(rt)
}
