package opcua_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// oneSource serves the command service one running source.
type oneSource struct{ src *opcua.Source }

func (o oneSource) Source(name string) (command.Source, bool) {
	if name != o.src.Status().Name {
		return nil, false
	}
	return o.src, true
}

func (o oneSource) Statuses() []opcua.Status { return []opcua.Status{o.src.Status()} }

// TestNodeOPCUAAcknowledgeOverNATS acknowledges node-opcua's active level
// alarm through the command service's ack endpoint on a real NATS server,
// with the condition and EventId its event carried, and sees the alarm's
// next event acknowledged; a condition outside the allow-list is refused.
func TestNodeOPCUAAcknowledgeOverNATS(t *testing.T) {
	p := opcua.StartPeerForTest(t, "EVENTS=1", "LEVEL=95")
	cfg := opcua.EventsPeerConfigForTest(t, p.Endpoint)
	src, err := opcua.NewSource(cfg, opcua.TestLoggerForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var alarms []tag.Sample
	opcua.RunSourceForTest(t, src, func(_ context.Context, s tag.Sample) error {
		if _, ok := s.Value.(tag.Object); ok && s.Node.Name == "boiler_alarms" {
			mu.Lock()
			alarms = append(alarms, s)
			mu.Unlock()
		}
		return nil
	})
	field := func(s tag.Sample, name string) any { v, _ := s.Value.(tag.Object).Get(name); return v }
	meta := func(s tag.Sample, key string) string {
		for _, h := range s.Meta {
			if h.Key == key {
				return h.Value
			}
		}
		return ""
	}
	// waitAlarm returns the first alarm event from index from on that
	// satisfies ok.
	waitAlarm := func(from int, what string, ok func(tag.Sample) bool) (tag.Sample, int) {
		t.Helper()
		var found tag.Sample
		at := -1
		testutil.WaitUntil(t, 60*time.Second, "an alarm event "+what, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for i := from; i < len(alarms); i++ {
				if ok(alarms[i]) {
					found, at = alarms[i], i
					return true
				}
			}
			return false
		})
		return found, at
	}
	active, at := waitAlarm(0, "active and unacknowledged", func(s tag.Sample) bool {
		return field(s, "ActiveState.Id") == true && field(s, "AckedState.Id") == false
	})
	condition, eventID := meta(active, opcua.MetaConditionID), meta(active, opcua.MetaEventID)
	if condition == "" || eventID == "" {
		t.Fatalf("the alarm event carries no condition or event id: %+v", active.Meta)
	}

	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	svc, err := command.New(command.Config{
		Site: "test",
		Policy: &command.Policy{Timeout: 20 * time.Second, Sources: map[string]*command.SourceRules{
			cfg.Name: {Guarded: map[string][]command.NodeRule{"ack": {{Node: condition}}}},
		}},
		Sources: oneSource{src},
	}, opcua.TestLoggerForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddConditionEndpoints(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, nc) }()
	t.Cleanup(func() { cancel(); <-done })

	ask := func(endpoint string, req map[string]any) command.Reply {
		t.Helper()
		body, _ := json.Marshal(req)
		var rep command.Reply
		natstest.WaitFor(t, 30*time.Second, func() error {
			m, err := nc.Request(command.Subject("test", endpoint), body, 25*time.Second)
			if err != nil {
				return fmt.Errorf("%s: %w", endpoint, err) // the service may not be registered yet
			}
			return json.Unmarshal(m.Data, &rep)
		})
		return rep
	}
	if rep := ask("ack", map[string]any{"source": cfg.Name, "node": condition + "x", "event_id": eventID}); rep.OK || rep.Error == nil || rep.Error.Code != opcua.CodeNotAllowed {
		t.Fatalf("ack of a condition outside the allow-list: %+v %+v", rep, rep.Error)
	}
	if rep := ask("ack", map[string]any{"source": cfg.Name, "node": condition, "event_id": eventID, "comment": "over NATS"}); !rep.OK {
		t.Fatalf("ack: %+v %+v", rep, rep.Error)
	}
	waitAlarm(at+1, "acknowledged", func(s tag.Sample) bool {
		return field(s, "ActiveState.Id") == true && field(s, "AckedState.Id") == true
	})
}
