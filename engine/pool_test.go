package engine

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestRuntimePoolExclusive has many goroutines take and return two
// runtimes: no runtime is ever held by two at once, and nobody waits
// forever (a lost wake-up would hang the test).
func TestRuntimePoolExclusive(t *testing.T) {
	t.Parallel()
	rts := []*jsRuntime{{}, {}}
	p := newRuntimePool(rts)
	var held [2]atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 2000 {
				rt := p.get()
				if held[rt.slot].Add(1) != 1 {
					t.Errorf("runtime %d held twice", rt.slot)
				}
				held[rt.slot].Add(-1)
				p.put(rt)
			}
		})
	}
	wg.Wait()
	for i := range p.slots {
		if p.slots[i].Load() != rts[i] {
			t.Errorf("slot %d not returned", i)
		}
	}
}
