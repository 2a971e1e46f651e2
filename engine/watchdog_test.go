package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
)

// stuckRegex backtracks for seconds inside goja's regular expression engine,
// which never looks at the deadline (a backreference makes goja use its
// backtracking engine).
const stuckRegex = `/^(a+)+\1$/.test("a".repeat(23) + "b");`

// TestStuckRuntimeIsReplaced runs a sample that hangs its runtime in a
// built-in on an engine with a single runtime: the watchdog replaces the
// runtime, other samples go on meanwhile, and the stuck sample fails with
// reason timeout when the built-in returns; the stuck runtime is dropped.
func TestStuckRuntimeIsReplaced(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults: Snippet{Code: testDefaults + "\nif (msg.payload === 1) {" + stuckRegex + "}\nreturn msg;"},
		Timeout:  50 * time.Millisecond,
		Runtimes: 1,
	}, zerolog.Nop())
	e.grace = 10 * time.Millisecond
	done := make(chan result, 1)
	go func() { done <- process(e, testSample(testNode("bad"), 1.0)) }()

	testutil.WaitFor(t, 60*time.Second, func() error {
		if e.Stuck() != 1 {
			return fmt.Errorf("%d stuck runtimes", e.Stuck())
		}
		return nil
	})
	// The bad sample still runs in the regular expression; the pool has
	// a fresh runtime for the others.
	for range 3 {
		good := process(e, testSample(testNode("good"), 2.0))
		if len(good.msgs) != 1 || len(good.fails) != 0 {
			t.Fatalf("while a runtime is stuck: %d messages, failures %v", len(good.msgs), good.fails)
		}
	}
	var bad result
	select {
	case bad = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the stuck sample never returned")
	}
	if len(bad.msgs) != 0 || len(bad.fails) != 1 || bad.fails[0].Reason != ReasonTimeout {
		t.Fatalf("stuck sample: %d messages, failures %v; want one timeout", len(bad.msgs), bad.fails)
	}
	if e.Stuck() != 0 || e.AbandonedTotal() != 1 {
		t.Fatalf("after the stuck call: stuck %d, abandoned %d; want 0 and 1", e.Stuck(), e.AbandonedTotal())
	}
	if got := len(e.pool.slots); got != 1 {
		t.Fatalf("pool has %d slots", got)
	}
	if good := process(e, testSample(testNode("good"), 2.0)); len(good.msgs) != 1 {
		t.Fatalf("after the stuck call: failures %v", good.fails)
	}
}
