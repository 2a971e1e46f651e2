package opcua

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/internal/testutil"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// TestSimEventsUnsupported runs a source with an events entry against the
// built-in simulator, whose server (gopcua's) has no events: its objects'
// EventNotifier is 0 and it answers the Call service with a fault. The
// source must keep acquiring values on one session, emit no event, and
// show the entry failed (degraded).
func TestSimEventsUnsupported(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	cfg := simConfig(t, s.Endpoint())
	cfg.Nodes = simTypeNodes()[:3]
	cfg.Events = []EventConfig{{}}
	cfg.RetryFailedItems = 200 * time.Millisecond
	var logs testlog.Buffer
	src, err := NewSource(cfg, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	var col collector
	runSource(t, src, col.emit)
	testutil.WaitUntil(t, 30*time.Second, "values after the events were tried", func() bool {
		st := src.Status()
		return (st.State == StateConnected || st.State == StateDegraded) && col.count(0, "Plant.Types.Boolean") >= 3
	})
	reconnects := src.Status().Reconnects
	mark := col.len()
	testutil.WaitUntil(t, 30*time.Second, "more values on the same session", func() bool { return col.count(mark, "Plant.Types.Boolean") >= 5 })
	// Retried every 200 ms, logged as an error once.
	testutil.WaitUntil(t, 30*time.Second, "a retry of the failing entry", func() bool {
		return strings.Contains(logs.String(), `"level":"debug","entry":0`)
	})
	if n := strings.Count(logs.String(), `"level":"error","entry":0`); n != 1 {
		t.Errorf("%d error lines for the failing entry, want 1:\n%s", n, logs.String())
	}
	if st := src.Status(); st.Reconnects != reconnects || st.Events != 0 || st.State != StateDegraded || st.FailedItems != 1 {
		t.Errorf("status %+v: want no more reconnects, no event, and degraded with the events entry failed", st)
	}
}
