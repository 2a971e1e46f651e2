package agent

import (
	"sync"
	"sync/atomic"

	"github.com/edgetag/edgetag/engine"
)

// engineUse counts the batches inside each engine, so that a reload can
// tell when the engine it replaced counts no more. Workers take it once per
// batch, not per sample.
type engineUse struct {
	mu sync.Mutex
	// Guarded by mu:
	active map[*engine.Engine]int           // batches inside each engine
	idle   map[*engine.Engine]chan struct{} // closed when a retired engine's last batch leaves
}

// acquire loads the current engine from cur and counts a batch in it. The
// load and the count happen under one lock, so swap never misses a batch
// that loaded the engine it retires.
func (u *engineUse) acquire(cur *atomic.Pointer[engine.Engine]) *engine.Engine {
	u.mu.Lock()
	defer u.mu.Unlock()
	eng := cur.Load()
	if u.active == nil {
		u.active = map[*engine.Engine]int{}
	}
	u.active[eng]++
	return eng
}

// release counts a batch out of eng, which acquire returned.
func (u *engineUse) release(eng *engine.Engine) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.active[eng]--
	if u.active[eng] > 0 {
		return
	}
	delete(u.active, eng)
	if ch, ok := u.idle[eng]; ok {
		close(ch)
		delete(u.idle, eng)
	}
}

// swap stores next in cur and returns the engine it replaced, with a
// channel closed once no batch is inside that engine any more.
func (u *engineUse) swap(cur *atomic.Pointer[engine.Engine], next *engine.Engine) (*engine.Engine, <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := cur.Swap(next)
	ch := make(chan struct{})
	if u.active[old] == 0 {
		close(ch)
		return old, ch
	}
	if u.idle == nil {
		u.idle = map[*engine.Engine]chan struct{}{}
	}
	u.idle[old] = ch
	return old, ch
}
