package opcua

import (
	"math"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// TestSimPublishStall has the simulator answer the first Publish request
// with BadNoSubscription. gopcua's publish loop pauses on it, its
// connection stays up, and with its own reconnection off nothing resumes
// the loop: the subscription stays on the server (probes answer Good and
// its lifetime, 100 s here, has not run out) and never delivers. The
// source reads its witness item, finds a value the subscription owes, and
// when still nothing arrives within the silence window (30 s here: a
// subscription that never delivered may belong to a slow server) it
// starts a new session, whose values flow.
func TestSimPublishStall(t *testing.T) {
	s := simtest.Start(t, sim.Config{Rate: 50 * time.Millisecond})
	s.FailPublishes(1)
	cfg := simConfig(t, s.Endpoint())
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 90*time.Second, "values", func() bool { return col.count(0, "Double") >= 3 })
	if st := src.Status(); st.Reconnects != 1 || st.State != StateConnected {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestOwed: a read value is owed when it differs from the one delivered in
// value or status, or when nothing was delivered yet; a node that cannot
// be read owes nothing; NaN and arrays compare by their encoding.
func TestOwed(t *testing.T) {
	dv := func(v any, st ua.StatusCode) *ua.DataValue {
		return &ua.DataValue{Value: ua.MustVariant(v), Status: st}
	}
	delivered := func(v any, st ua.StatusCode) witness {
		return witness{handle: 0, delivered: true, dv: dv(v, st)}
	}
	for _, c := range []struct {
		name string
		w    witness
		read *ua.DataValue
		want bool
	}{
		{"same value", delivered(1.5, ua.StatusOK), dv(1.5, ua.StatusOK), false},
		{"other value", delivered(1.5, ua.StatusOK), dv(2.5, ua.StatusOK), true},
		{"other status", delivered(1.5, ua.StatusOK), dv(1.5, ua.StatusUncertain), true},
		{"NaN stays NaN", delivered(math.NaN(), ua.StatusOK), dv(math.NaN(), ua.StatusOK), false},
		{"same array", delivered([]int32{1, 2}, ua.StatusOK), dv([]int32{1, 2}, ua.StatusOK), false},
		{"other array", delivered([]int32{1, 2}, ua.StatusOK), dv([]int32{1, 3}, ua.StatusOK), true},
		{"nothing delivered yet", witness{handle: 0}, dv(1.5, ua.StatusOK), true},
		{"node gone", witness{handle: 0}, &ua.DataValue{Status: ua.StatusBadNodeIDUnknown}, false},
		{"no result", delivered(1.5, ua.StatusOK), nil, false},
	} {
		if got := owed(c.w, c.read); got != c.want {
			t.Errorf("%s: owed = %v, want %v", c.name, got, c.want)
		}
	}
}
