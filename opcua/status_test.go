package opcua

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
)

func TestStatusBox(t *testing.T) {
	b := newStatusBox("press")
	b.setState(StateDisconnected, errors.New("dial: refused"))
	since := b.snapshot().Since
	b.setState(StateDisconnected, errors.New("dial: timeout"))
	st := b.snapshot()
	if !st.Since.Equal(since) || st.LastError != "dial: timeout" {
		t.Fatalf("repeated disconnect moved Since or kept the old error: %+v", st)
	}
	b.setItems(10, 2, 1, []FailedItem{{Node: "ns=2;s=Gone", Status: "StatusBadNodeIDUnknown", Reason: "read"}})
	if st := b.snapshot(); st.State != StateDegraded || st.Nodes != 10 || st.FailedItems != 2 || st.PendingBrowse != 1 || st.LastError != "" {
		t.Fatalf("degraded (connected again, the old error cleared): %+v", st)
	}
	b.setItems(10, 0, 0, nil)
	b.samples.Add(3)
	b.addReconnect()
	if st := b.snapshot(); st.State != StateConnected || st.Samples != 3 || st.Reconnects != 1 || st.Name != "press" {
		t.Fatalf("connected: %+v", st)
	}
}

// TestRunStopsWhileDisconnected cancels a source whose server does not
// exist: Run returns nil at once instead of waiting out its backoff, and
// the state tells since when the source is disconnected.
func TestRunStopsWhileDisconnected(t *testing.T) {
	cfg := Config{
		Name: "gone", Endpoint: fmt.Sprintf("opc.tcp://127.0.0.1:%d", testutil.FreePort(t)), StateDir: t.TempDir(),
		Nodes: []NodeConfig{{ID: "i=2258"}}, ReconnectMin: time.Hour, ReconnectMax: time.Hour,
	}
	src, _, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	if st := src.Status(); st.LastError == "" || st.Since.IsZero() {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := src.Status(); st.State != StateStopped {
		t.Fatalf("state after stop: %s", st.State)
	}
}
