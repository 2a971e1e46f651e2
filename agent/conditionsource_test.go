package agent

import (
	"context"
	"errors"
	"testing"

	"github.com/edgetag/edgetag/opcua"
)

// TestConditionSource checks that the agent hands out its running source
// by name for the condition commands, and nil for an unknown name; the
// simulator has no conditions, so acknowledging on it fails with a typed
// error.
func TestConditionSource(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the OPC UA simulator")
	}
	t.Parallel()
	cfg := simSite(t, historian("acme.demo"), false)
	cfg.Sources[0].Nodes = []opcua.NodeConfig{{ID: "nsu=urn:edgetag:sim;s=Plant.Line2.Press.Temperature"}}
	cfg.Sources[0].Events = []opcua.EventConfig{{}}
	a := newAgent(t, cfg)
	runAgent(t, a)
	src := a.ConditionSource("sim")
	if src == nil || a.ConditionSource("no-such-source") != nil {
		t.Fatalf("ConditionSource(sim) = %v; an unknown name must give nil", src)
	}
	var ce *opcua.CommandError
	err := src.Acknowledge(context.Background(), "ns=1;s=NoSuchAlarm", []byte{1}, "")
	if !errors.As(err, &ce) || (ce.Code != opcua.CodeSourceDown && ce.Code != opcua.CodeBadStatus && ce.Code != opcua.CodeUnknownNode) {
		t.Fatalf("acknowledge on the simulator: %v, want a *CommandError", err)
	}
}

// TestEventsCarriedAcrossRestarts checks that a source's event count,
// like its samples, survives the source being replaced by a reload.
func TestEventsCarriedAcrossRestarts(t *testing.T) {
	t.Parallel()
	var c carried
	c.addSource(opcua.Status{Name: "plc", Samples: 10, Events: 4, Reconnects: 1})
	st := c.sourceStatus(opcua.Status{Name: "plc", Samples: 3, Events: 2})
	if st.Samples != 13 || st.Events != 6 || st.Reconnects != 1 {
		t.Fatalf("carried status %+v", st)
	}
}
