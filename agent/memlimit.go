package agent

import (
	"context"
	"fmt"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
)

// autoMemoryBase is the soft memory limit memory_limit: auto keeps while
// the live heap is small. With Go's default GOGC=100 the heap grows to
// about twice what is live before a collection; at 100,000 tags (about 53
// MB live) and 100,000 changes/s that let the resident memory reach 160-170
// MiB, mostly garbage. The limit makes the collector run earlier instead,
// so the Go memory stays near it and the resident memory, which adds the
// binary's pages and what the runtime does not count, below 150 MB.
const autoMemoryBase = 112 << 20

// autoLimit is the soft limit memory_limit: auto sets for a live heap of
// live bytes: autoMemoryBase, or one and a half times the live heap once
// that is more. The limit stays half the live heap above it (the collector
// runs about as often as with GOGC=50), so a large site (or JetStream's
// store buffers) never makes the collector run all the time. Twice the
// live heap was too loose: at 100,000 changes/s the notifications in
// flight lift the live heap to 60-70 MB, and a limit following at twice
// that let the resident memory peak at 159 MiB.
func autoLimit(live uint64) int64 {
	l := int64(min(live, 1<<61))
	return max(autoMemoryBase, l+l/2)
}

// memoryGovernor applies memory_limit to the Go runtime's soft memory
// limit, which is process-wide: one agent owns it. With auto it follows the
// live heap (see autoLimit) while run runs.
type memoryGovernor struct {
	log zerolog.Logger
	// auto is set while memory_limit is auto and GOMEMLIMIT is not set.
	auto atomic.Bool
	// set is the limit the governor last set; 0 for none yet.
	set atomic.Int64
}

// autoEvery is how often the governor reads the live heap under auto.
const autoEvery = time.Second

// apply sets the soft memory limit from memory_limit (a size, 0 or
// MemoryLimitAuto), unless GOMEMLIMIT is set in the environment (the
// runtime has applied that one already and it wins). 0 leaves the limit as
// it is (removing a limit set earlier takes a restart).
func (g *memoryGovernor) apply(limit int64, getenv func(string) string) {
	if limit == 0 {
		g.auto.Store(false)
		return
	}
	if env := getenv("GOMEMLIMIT"); env != "" {
		g.auto.Store(false)
		g.log.Info().Str("GOMEMLIMIT", env).Str("memory_limit", memoryLimitString(limit)).Msg("GOMEMLIMIT is set in the environment; it takes precedence over memory_limit")
		return
	}
	if limit == siteconfig.MemoryLimitAuto {
		if !g.auto.Swap(true) {
			g.log.Info().Int64("base_bytes", autoMemoryBase).
				Msg("memory limit derived from the live heap (memory_limit: auto): the garbage collector works harder as memory nears it")
		}
		g.adjust()
		return
	}
	g.auto.Store(false)
	if g.setLimit(limit) {
		g.log.Info().Int64("bytes", limit).Msg("memory limit set: the garbage collector works harder as memory nears it")
	}
}

// run follows the live heap under auto until ctx is done.
func (g *memoryGovernor) run(ctx context.Context) {
	t := time.NewTicker(autoEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if g.auto.Load() {
				g.adjust()
			}
		}
	}
}

// liveHeap is the runtime metric of the heap found live by the last
// collection.
const liveHeap = "/gc/heap/live:bytes"

// adjust sets the limit auto derives from the live heap now.
func (g *memoryGovernor) adjust() {
	s := []runtimemetrics.Sample{{Name: liveHeap}}
	runtimemetrics.Read(s)
	var live uint64
	if s[0].Value.Kind() == runtimemetrics.KindUint64 {
		live = s[0].Value.Uint64()
	}
	if limit := autoLimit(live); g.setLimit(limit) {
		g.log.Debug().Int64("bytes", limit).Uint64("live_bytes", live).Msg("memory limit follows the live heap")
	}
}

// setLimit sets the runtime's limit and reports whether it differs from the
// last limit the governor set.
func (g *memoryGovernor) setLimit(limit int64) bool {
	if g.set.Swap(limit) == limit {
		return false
	}
	debug.SetMemoryLimit(limit)
	return true
}

// memoryLimitString renders a memory_limit value for a log line.
func memoryLimitString(limit int64) string {
	if limit == siteconfig.MemoryLimitAuto {
		return "auto"
	}
	return fmt.Sprint(limit)
}
