package opcua

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/sink"
	"github.com/edgetag/edgetag/tag"
)

// TestNodeOPCUAEventsToNATS runs events from node-opcua through the tag
// engine to a real NATS server: a tag_processor that sets only
// location_path publishes them on umh.v1.<location>._alarms.<name> with the
// event as an ordered JSON object, its Time as the timestamp, and the event
// meta as headers; one that also sets data_contract for values keeps events
// on _alarms by testing opcua_event_type.
func TestNodeOPCUAEventsToNATS(t *testing.T) {
	p := startPeer(t, "EVENTS=1", "LEVEL=95")
	srv := natstest.Start(t)
	snk, err := sink.New(sink.Config{URL: srv.ClientURL()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := snk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = snk.Close() })
	eng, err := engine.New(engine.Config{
		Timeout: time.Minute,
		Defaults: engine.Snippet{Code: `
msg.meta.location_path = "acme.berlin";
msg.meta.tag_name = msg.meta.opcua_tag_name;
if (!msg.meta.opcua_event_type) msg.meta.data_contract = "_historian";
return msg;`},
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)

	nc := natstest.Connect(t, srv)
	var mu sync.Mutex
	got := map[string][]*nats.Msg{}
	if _, err := nc.Subscribe("umh.v1.>", func(m *nats.Msg) {
		mu.Lock()
		got[m.Subject] = append(got[m.Subject], m)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	cfg := eventsPeerConfig(t, p.Endpoint)
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	emit := func(ctx context.Context, s tag.Sample) error {
		for _, m := range eng.Process(&s, nil, func(f engine.Failure) { t.Errorf("engine failure: %v", f) }) {
			if err := snk.Publish(ctx, &m); err != nil {
				return err
			}
		}
		return nil
	}
	runSource(t, src, emit)

	msgsOn := func(subject string) []*nats.Msg {
		mu.Lock()
		defer mu.Unlock()
		return append([]*nats.Msg(nil), got[subject]...)
	}
	const ticks, alarms = "umh.v1.acme.berlin._alarms.ticks", "umh.v1.acme.berlin._alarms.boiler_alarms"
	natstest.WaitFor(t, 60*time.Second, func() error {
		if len(msgsOn(ticks)) == 0 || len(msgsOn(alarms)) == 0 || len(msgsOn("umh.v1.acme.berlin._historian.Counter")) == 0 {
			mu.Lock()
			defer mu.Unlock()
			subjects := make([]string, 0, len(got))
			for s := range got {
				subjects = append(subjects, s)
			}
			return &waitErr{"events and values on their subjects; got " + strings.Join(subjects, ", ")}
		}
		return nil
	})

	m := msgsOn(ticks)[0]
	var payload struct {
		Value       json.RawMessage `json:"value"`
		TimestampMs int64           `json:"timestamp_ms"`
	}
	if err := json.Unmarshal(m.Data, &payload); err != nil {
		t.Fatalf("payload %s: %v", m.Data, err)
	}
	if !strings.HasPrefix(string(payload.Value), `{"Message":"tick `) || !strings.Contains(string(payload.Value), `"Severity":800,"SourceName":"Boiler","EventType":"i=2041"}`) {
		t.Errorf("tick payload %s: want the selected fields in order", payload.Value)
	}
	if d := time.Since(time.UnixMilli(payload.TimestampMs)); d < 0 || d > time.Hour {
		t.Errorf("tick timestamp %d is not the event's Time", payload.TimestampMs)
	}
	for _, k := range []string{MetaEventID, MetaEventSource, MetaEventSeverity, MetaEventType} {
		if m.Header.Get(k) == "" {
			t.Errorf("tick header %s missing; headers %v", k, m.Header)
		}
	}
	a := msgsOn(alarms)[0]
	if a.Header.Get(MetaEventRefresh) != "true" || a.Header.Get(MetaConditionID) == "" ||
		!strings.Contains(string(a.Data), `"ActiveState.Id":true`) {
		t.Errorf("first alarm message: headers %v, payload %s; want the refreshed active alarm", a.Header, a.Data)
	}
}

type waitErr struct{ s string }

func (e *waitErr) Error() string { return e.s }
