package agent

import (
	"context"
	"math"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"testing"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
)

// TestApplyMemoryLimit sets the process-wide limit, so it does not run in
// parallel with anything and puts the limit back.
func TestApplyMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	debug.SetMemoryLimit(math.MaxInt64)

	noEnv := func(string) string { return "" }
	g := &memoryGovernor{log: zerolog.Nop()}
	g.apply(0, noEnv)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory_limit 0 changed the limit to %d", got)
	}
	g.apply(64<<20, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, the limit changed to %d", got)
	}
	g.apply(siteconfig.MemoryLimitAuto, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 || g.auto.Load() {
		t.Errorf("with GOMEMLIMIT set, auto changed the limit to %d", got)
	}
	g.apply(64<<20, noEnv)
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("limit %d, want %d", got, 64<<20)
	}

	// auto: the base while the live heap is small, and the governor's
	// goroutine keeps following it.
	g.apply(siteconfig.MemoryLimitAuto, noEnv)
	if got, want := debug.SetMemoryLimit(-1), autoLimit(liveHeapNow()); got != want || got < autoMemoryBase {
		t.Errorf("auto: limit %d, want %d (at least %d)", got, want, autoMemoryBase)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run(ctx)
	}()
	cancel()
	<-done
	// An explicit limit after auto stops the following.
	g.apply(64<<20, noEnv)
	if got := debug.SetMemoryLimit(-1); got != 64<<20 || g.auto.Load() {
		t.Errorf("limit %d after auto, want %d", got, 64<<20)
	}
}

// TestAutoLimit: the base for small heaps, half the live heap above it for
// large ones.
func TestAutoLimit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, autoMemoryBase},
		{50 << 20, autoMemoryBase},
		{autoMemoryBase * 2 / 3, autoMemoryBase},
		{100 << 20, 150 << 20},
		{1 << 30, 3 << 29},
		{math.MaxUint64, 3 << 60},
	} {
		if got := autoLimit(c.live); got != c.want {
			t.Errorf("autoLimit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// liveHeapNow reads the live heap as the governor does.
func liveHeapNow() uint64 {
	s := []runtimemetrics.Sample{{Name: liveHeap}}
	runtimemetrics.Read(s)
	return s[0].Value.Uint64()
}
