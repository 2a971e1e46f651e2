package opcua

import (
	"testing"

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
