package agent

import (
	"slices"
	"sync"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
)

// carried holds what engines and sources retired by reloads had counted, so
// that every counter the agent exports keeps growing for the life of the
// process (Prometheus reads a counter that goes down as a restart).
type carried struct {
	mu       sync.Mutex
	engine   engine.Stats            // final counters of retired engines
	retiring []*engine.Engine        // replaced engines that batches may still be in
	sources  map[string]sourceTotals // by source name
}

// sourceTotals are a source's counters.
type sourceTotals struct {
	samples, events, reconnects uint64
}

// retireEngine calls swap, which replaces the running engine and returns
// the old one with a channel closed once no batch is in it, then waits for
// that channel, at most bound, and adds the old engine's counters. It
// reports false when bound passed first (a batch stuck in the old engine
// may still count there, unseen). A reading of engineStats meanwhile sees
// the old engine's counters live, then carried: never neither, never both,
// and it does not wait for the old engine.
func (c *carried) retireEngine(swap func() (*engine.Engine, <-chan struct{}), bound time.Duration) (final bool) {
	c.mu.Lock()
	old, idle := swap()
	c.retiring = append(c.retiring, old)
	c.mu.Unlock()

	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-idle:
		final = true
	case <-t.C:
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.retiring = slices.DeleteFunc(c.retiring, func(e *engine.Engine) bool { return e == old })
	c.engine = addEngineStats(c.engine, old.Stats())
	return final
}

// engineStats returns the running engine's counters (read by live) plus
// what retired engines counted.
func (c *carried) engineStats(live func() engine.Stats) engine.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := addEngineStats(engine.Stats{}, c.engine)
	for _, e := range c.retiring {
		sum = addEngineStats(sum, e.Stats())
	}
	return addEngineStats(sum, live())
}

// addEngineStats returns a + b, per stage and reason; a's maps are written.
func addEngineStats(a, b engine.Stats) engine.Stats {
	a.Samples += b.Samples
	a.Emitted += b.Emitted
	a.SubjectCollisions += b.SubjectCollisions
	a.BadDropped += b.BadDropped
	if a.Filtered == nil {
		a.Filtered = map[string]uint64{}
	}
	for k, v := range b.Filtered {
		a.Filtered[k] += v
	}
	if a.Failed == nil {
		a.Failed = map[string]map[engine.Reason]uint64{}
	}
	for stage, byReason := range b.Failed {
		m := a.Failed[stage]
		if m == nil {
			m = map[engine.Reason]uint64{}
			a.Failed[stage] = m
		}
		for r, v := range byReason {
			m[r] += v
		}
	}
	return a
}

// addSource adds the final counters of a stopped source.
func (c *carried) addSource(st opcua.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources == nil {
		c.sources = map[string]sourceTotals{}
	}
	t := c.sources[st.Name]
	t.samples += st.Samples
	t.events += st.Events
	t.reconnects += st.Reconnects
	c.sources[st.Name] = t
}

// sourceStatus returns st with the counters of earlier runs of the same
// source added.
func (c *carried) sourceStatus(st opcua.Status) opcua.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.sources[st.Name]
	st.Samples += t.samples
	st.Events += t.events
	st.Reconnects += t.reconnects
	return st
}
