package opcua

import (
	"context"
	"fmt"
	"slices"
	"testing"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

func TestItemRequestDeadband(t *testing.T) {
	tests := []struct {
		name       string
		deadband   Deadband
		profile    string
		numeric    bool
		noFilter   bool
		wantFilter uint32 // deadband type, 0 = no filter
	}{
		{name: "absolute on numeric", deadband: Deadband{"absolute", 0.5}, profile: "default", numeric: true, wantFilter: 1},
		{name: "percent on numeric", deadband: Deadband{"percent", 2}, profile: "default", numeric: true, wantFilter: 2},
		{name: "never on strings", deadband: Deadband{"absolute", 0.5}, profile: "default"},
		{name: "none configured", deadband: Deadband{"none", 0}, profile: "default", numeric: true},
		{name: "s7-1200 rejects deadband", deadband: Deadband{"absolute", 0.5}, profile: "siemens-s7-1200", numeric: true},
		{name: "refused before", deadband: Deadband{"absolute", 0.5}, profile: "default", numeric: true, noFilter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Deadband: tt.deadband, QueueSize: 7}.withDefaults()
			ss := &session{
				src:    &Source{cfg: cfg},
				limits: profiles[tt.profile],
				items: []item{{}, {
					node:     &tag.Node{ID: "ns=1;s=X"},
					id:       ua.NewStringNodeID(1, "X"),
					numeric:  tt.numeric,
					noFilter: tt.noFilter,
				}},
			}
			req := ss.itemRequest(1)
			p := req.RequestedParameters
			if p.ClientHandle != 1 || !p.DiscardOldest || p.QueueSize != 7 || p.SamplingInterval != 500 {
				t.Fatalf("parameters %+v", p)
			}
			if tt.wantFilter == 0 {
				if p.Filter != nil {
					t.Fatalf("filter %+v, want none", p.Filter)
				}
				return
			}
			f, ok := p.Filter.Value.(*ua.DataChangeFilter)
			if !ok || f.DeadbandType != tt.wantFilter || f.DeadbandValue != tt.deadband.Value {
				t.Fatalf("filter %+v, want type %d", p.Filter.Value, tt.wantFilter)
			}
		})
	}
}

// TestHandleNotificationReleasesValues checks that every value of a data
// change is emitted under its node, in order, and that the notification
// no longer holds a value once it was emitted, so a large notification is
// not kept whole while the last of its values wait for the pipeline.
func TestHandleNotificationReleasesValues(t *testing.T) {
	t.Parallel()
	nodes := []*tag.Node{{ID: "ns=1;s=A"}, {ID: "ns=1;s=B"}}
	dcn := &ua.DataChangeNotification{}
	for _, h := range []uint32{1, 0, 7, 1} { // 7 is no item's handle
		dcn.MonitoredItems = append(dcn.MonitoredItems, &ua.MonitoredItemNotification{
			ClientHandle: h,
			Value:        &ua.DataValue{Value: ua.MustVariant(float64(h))},
		})
	}
	ss := &session{src: &Source{status: newStatusBox("test")}, items: []item{{node: nodes[0]}, {node: nodes[1]}}}
	var got []string
	ss.emit = func(_ context.Context, s tag.Sample) error {
		for i, mi := range dcn.MonitoredItems {
			if mi != nil && i < len(got) {
				t.Errorf("value %d still held while value %d is emitted", i, len(got))
			}
		}
		got = append(got, fmt.Sprintf("%s=%v", s.Node.ID, s.Value))
		return nil
	}
	n := &gopcua.PublishNotificationData{SubscriptionID: 1, Value: dcn}
	if err := ss.handleNotification(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ns=1;s=B=1", "ns=1;s=A=0", "ns=1;s=B=1"}; !slices.Equal(got, want) {
		t.Fatalf("emitted %v, want %v", got, want)
	}
	if ss.unknownHandles != 1 {
		t.Fatalf("unknown handles %d, want 1", ss.unknownHandles)
	}
	for i, mi := range dcn.MonitoredItems {
		if mi != nil {
			t.Fatalf("value %d still held after the notification was handled", i)
		}
	}
}
