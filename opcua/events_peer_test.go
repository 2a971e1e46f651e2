package opcua

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// eventsOf returns the event samples of the entry named name seen since
// index from, with their payloads.
func (c *collector) eventsOf(from int, name string) []tag.Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []tag.Sample
	for _, s := range c.samples[min(from, len(c.samples)):] {
		if _, ok := s.Value.(tag.Object); ok && s.Node.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func sampleMeta(s tag.Sample, key string) string {
	for _, h := range s.Meta {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}

func objField(s tag.Sample, name string) any {
	v, _ := s.Value.(tag.Object).Get(name)
	return v
}

func fieldNames(o tag.Object) []string {
	var names []string
	for _, f := range o.Fields {
		names = append(names, f.Name)
	}
	return names
}

// eventsPeerConfig subscribes the boiler's level alarm (AlarmConditionType
// and subtypes, default fields) and its plain events of severity 500 and
// more (a few fields), on a peer started with EVENTS=1.
func eventsPeerConfig(t *testing.T, endpoint string) Config {
	cfg := peerConfig(t, endpoint)
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}}
	cfg.Events = []EventConfig{
		{Name: "boiler_alarms", Types: []string{"i=2915"}},
		{Name: "ticks", Notifier: nsuID("Plant.Boiler"), MinSeverity: 500,
			Fields: []string{"Message", "Severity", "SourceName", "EventType"}},
	}
	return cfg
}

// TestNodeOPCUAEvents runs a source with two events entries against
// node-opcua: plain events arrive with the selected fields in order and
// only at or above the minimum severity; the level alarm, active from the
// start, is re-sent by the ConditionRefresh of the first connect (marked
// refresh), is acknowledged through the source, returns to normal, and is
// re-sent again after a reconnect to a restarted server.
func TestNodeOPCUAEvents(t *testing.T) {
	p := startPeer(t, "EVENTS=1", "LEVEL=95")
	cfg := eventsPeerConfig(t, p.Endpoint)
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var col collector
	runSource(t, src, col.emit)

	// Plain events: severity 800 only (100 is filtered by the server).
	testutil.WaitUntil(t, 30*time.Second, "plain events", func() bool { return len(col.eventsOf(0, "ticks")) >= 3 })
	for _, s := range col.eventsOf(0, "ticks") {
		o := s.Value.(tag.Object)
		if got := fieldNames(o); !slices.Equal(got, []string{"Message", "Severity", "SourceName", "EventType"}) {
			t.Fatalf("tick fields %v, want the selected ones in order", got)
		}
		if sev := objField(s, "Severity"); sev != uint16(800) || sampleMeta(s, MetaEventSeverity) != "800" {
			t.Errorf("tick severity %v (meta %q): the where-clause lets only 800 through", sev, sampleMeta(s, MetaEventSeverity))
		}
		if msg, ok := objField(s, "Message").(tag.LocalizedText); !ok || len(msg.Text) < 6 || msg.Text[:5] != "tick " {
			t.Errorf("tick message %#v", objField(s, "Message"))
		}
		if id, err := base64.StdEncoding.DecodeString(sampleMeta(s, MetaEventID)); err != nil || len(id) == 0 {
			t.Errorf("tick event id %q: %v", sampleMeta(s, MetaEventID), err)
		}
		if sampleMeta(s, MetaEventSource) != "Boiler" || s.SourceTime.IsZero() || o.TypeName != "BaseEventType" ||
			s.Node.Extra[MetaEventType] != "BaseEventType" || s.Node.Extra["data_contract"] != AlarmsContract {
			t.Errorf("tick: source %q, time %v, type %q, node meta %v", sampleMeta(s, MetaEventSource), s.SourceTime, o.TypeName, s.Node.Extra)
		}
	}

	// The alarm, active before the source connected, comes with the
	// refresh of the first connect.
	var active tag.Sample
	testutil.WaitUntil(t, 30*time.Second, "the active alarm, refreshed", func() bool {
		for _, s := range col.eventsOf(0, "boiler_alarms") {
			if objField(s, "ActiveState.Id") == true && sampleMeta(s, MetaEventRefresh) == "true" {
				active = s
				return true
			}
		}
		return false
	})
	if active.Value.(tag.Object).TypeName != "ExclusiveLimitAlarmType" {
		t.Errorf("alarm type %q", active.Value.(tag.Object).TypeName)
	}
	cond := sampleMeta(active, MetaConditionID)
	if cond == "" || objField(active, "AckedState.Id") != false {
		t.Fatalf("active alarm: condition %q, acked %v; payload %v", cond, objField(active, "AckedState.Id"), active.Value)
	}
	for _, s := range col.eventsOf(0, "boiler_alarms") {
		if s.Value.(tag.Object).TypeName == "BaseEventType" {
			t.Fatalf("a plain event passed the alarm entry's type filter: %v", s.Value)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	eventID, _ := base64.StdEncoding.DecodeString(sampleMeta(active, MetaEventID))
	var ce *CommandError
	if err := src.Acknowledge(ctx, "ns=1;s=Plant.Boiler.NoSuchAlarm", eventID, "x"); !errors.As(err, &ce) || ce.Code != CodeUnknownNode {
		t.Errorf("acknowledge of an unknown condition: %v, want code %s", err, CodeUnknownNode)
	}
	if err := src.Acknowledge(ctx, cond, []byte("no such event"), "x"); !errors.As(err, &ce) || ce.Code != CodeUnknownEvent {
		t.Errorf("acknowledge of an unknown event: %v, want code %s", err, CodeUnknownEvent)
	}
	mark := col.len()
	if err := src.Acknowledge(ctx, cond, eventID, "seen by the tests"); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	testutil.WaitUntil(t, 20*time.Second, "the acknowledged alarm", func() bool {
		for _, s := range col.eventsOf(mark, "boiler_alarms") {
			if objField(s, "AckedState.Id") == true && objField(s, "ActiveState.Id") == true {
				return true
			}
		}
		return false
	})
	if err := src.AddComment(ctx, cond, eventID, "a comment"); err != nil && !errors.As(err, &ce) {
		t.Errorf("add comment: %v is not a *CommandError", err)
	}

	// Back to normal: write the level.
	mark = col.len()
	writeDouble(t, src, nsuID("Plant.Boiler.Level"), 50)
	testutil.WaitUntil(t, 20*time.Second, "the alarm back to normal", func() bool {
		for _, s := range col.eventsOf(mark, "boiler_alarms") {
			if objField(s, "ActiveState.Id") == false && sampleMeta(s, MetaEventRefresh) == "" {
				return true
			}
		}
		return false
	})

	// A restarted server starts with the alarm active again; the
	// reconnect's ConditionRefresh re-sends it.
	mark = col.len()
	p.restart()
	testutil.WaitUntil(t, 60*time.Second, "the active alarm re-sent after the reconnect", func() bool {
		for _, s := range col.eventsOf(mark, "boiler_alarms") {
			if objField(s, "ActiveState.Id") == true && sampleMeta(s, MetaEventRefresh) == "true" {
				return true
			}
		}
		return false
	})
	if st := src.Status(); st.Reconnects < 1 || st.Events == 0 {
		t.Errorf("status: %d reconnects, %d events", st.Reconnects, st.Events)
	}
	col.checkOneSource(t, cfg)
}

// writeDouble writes a Double through the source's own session.
func writeDouble(t *testing.T, src *Source, node string, v float64) {
	t.Helper()
	live := src.live.Load()
	if live == nil {
		t.Fatal("source not connected")
	}
	nid, err := ParseNodeID(node, live.namespaces)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := live.c.Write(ctx, &ua.WriteRequest{NodesToWrite: []*ua.WriteValue{{
		NodeID: nid, AttributeID: ua.AttributeIDValue,
		Value: &ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(v)},
	}}})
	if err != nil || res.Results[0] != ua.StatusOK {
		t.Fatalf("write %s: %v %v", node, err, res)
	}
}

// TestAcknowledgeWithoutSession checks that a source that is not
// connected answers source_down at once.
func TestAcknowledgeWithoutSession(t *testing.T) {
	t.Parallel()
	cfg := peerConfig(t, "opc.tcp://127.0.0.1:1")
	cfg.Events = []EventConfig{{}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var ce *CommandError
	if err := src.Confirm(context.Background(), "ns=1;s=A", []byte{1}, ""); !errors.As(err, &ce) || ce.Code != CodeSourceDown || !errors.Is(err, ErrSourceDown) {
		t.Fatalf("confirm without a session: %v", err)
	}
}

// TestNodeOPCUAEventsOnly runs a source with events and no nodes: it
// connects, reports itself connected, and delivers events.
func TestNodeOPCUAEventsOnly(t *testing.T) {
	p := startPeer(t, "EVENTS=1")
	cfg := peerConfig(t, p.Endpoint)
	cfg.Events = []EventConfig{{Name: "ticks", Notifier: nsuID("Plant.Boiler"), Fields: []string{"Message"}}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var col collector
	runSource(t, src, col.emit)
	testutil.WaitUntil(t, 30*time.Second, "events", func() bool { return len(col.eventsOf(0, "ticks")) >= 2 })
	if st := src.Status(); st.State != StateConnected || st.Nodes != 0 || st.FailedItems != 0 || st.Events < 2 {
		t.Errorf("status %+v", st)
	}
	for _, s := range col.eventsOf(0, "ticks") {
		if names := fieldNames(s.Value.(tag.Object)); !slices.Equal(names, []string{"Message"}) {
			t.Fatalf("fields %v: the required fields not selected stay out of the payload", names)
		}
	}
}
