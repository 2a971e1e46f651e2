package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
)

// hostileSite maps the simulator's plant as historian does, except that
// four of its nodes run hostile scripts: one hangs its runtime in a
// backtracking regular expression (once), one fans out to an array of
// length 2^32-1, one fills an array of 5e7 and one publishes a sparse array
// of length 1e8.
func hostileSite() engine.Config {
	cfg := historian("acme.hostile")
	cfg.Defaults.Code = `
var id = msg.meta.opcua_node_id;
if (id === "ns=1;s=Plant.Line1.Press.Temperature" && !cache.exists("stuck")) {
	cache.set("stuck", true);
	/^(a+)+\1$/.test("a".repeat(28) + "b");
}
if (id === "ns=1;s=Plant.Line1.Press.Running") { var a = []; a.length = 4294967295; a[0] = msg; return a; }
if (id === "ns=1;s=Plant.Line1.Press.State") { new Array(5e7).fill(0); }
if (id === "ns=1;s=Plant.Line1.Robot.Speed") { var s = []; s.length = 1e8; msg.payload = s; }
` + cfg.Defaults.Code
	return cfg
}

// TestAgentKeepsPublishingPastHostileScripts runs the simulator through
// the agent with hostileSite: each hostile node fails its own messages
// with reason limit, the runtime stuck in a built-in is given up on, the
// other nodes keep being published meanwhile, and shutdown completes.
func TestAgentKeepsPublishingPastHostileScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cfg := simSite(t, hostileSite(), false)
	cfg.ShutdownTimeout = 2 * time.Second
	a := newAgent(t, cfg)
	stop := runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")

	natstest.WaitFor(t, 120*time.Second, func() error {
		st := a.pipe.engine.Load().Stats()
		if n := st.Failed[engine.StageDefaults][engine.ReasonLimit]; n < 2 {
			return fmt.Errorf("%d limit failures in defaults", n)
		}
		if n := st.Failed[engine.StageFinalize][engine.ReasonLimit]; n < 1 {
			return fmt.Errorf("%d limit failures in finalize", n)
		}
		if n := a.pipe.abandonedSamples.Load(); n < 1 {
			return fmt.Errorf("no worker given up on yet (%d stuck runtimes)", a.pipe.engine.Load().Stuck())
		}
		return nil
	})
	line2 := func() int {
		n := 0
		for _, m := range got.snapshot() {
			if strings.Contains(m.Subject, ".Line2.") {
				n++
			}
		}
		return n
	}
	before := line2()
	natstest.WaitFor(t, 60*time.Second, func() error {
		if n := line2(); n < before+100 {
			return fmt.Errorf("%d Line2 messages since the stuck runtime was given up on", n-before)
		}
		return nil
	})
	for _, m := range got.snapshot() {
		for _, bad := range []string{".Line1.Press.Running", ".Line1.Press.State", ".Line1.Robot.Speed"} {
			if strings.HasSuffix(m.Subject, bad) {
				t.Fatalf("a message of a failing node was published: %s", m.Subject)
			}
		}
	}
	// The stuck worker was given up on, so the drain does not wait for
	// it; a deadline cut is reported as ErrShutdownTimeout.
	if err := stop(); err != nil && !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("shutdown: %v", err)
	}
}
