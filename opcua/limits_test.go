package opcua

import "testing"

func TestDetectProfile(t *testing.T) {
	tests := []struct {
		name string
		info buildInfo
		want string
	}{
		{"s7-1200", buildInfo{Manufacturer: "Siemens AG", ProductName: "SIMATIC S7-1200"}, "siemens-s7-1200"},
		{"s7-1500", buildInfo{Manufacturer: "Siemens AG", ProductName: "SIMATIC S7-1500 OPC UA Server"}, "siemens-s7-1500"},
		{"other siemens", buildInfo{Manufacturer: "Siemens AG", ProductName: "WinCC"}, "default"},
		{"kepware", buildInfo{Manufacturer: "PTC Inc.", ProductName: "KEPServerEX"}, "kepware"},
		{"ignition", buildInfo{Manufacturer: "Inductive Automation", ProductName: "Ignition OPC UA Server"}, "ignition"},
		{"prosys", buildInfo{Manufacturer: "Prosys OPC Ltd.", ProductName: "Prosys OPC UA Simulation Server"}, "prosys"},
		{"open62541", buildInfo{Manufacturer: "open62541", ProductURI: "http://open62541.org"}, "open62541"},
		{"node-opcua", buildInfo{Manufacturer: "node-opcua", ProductName: "NodeOPCUA-Server"}, "default"},
		{"empty", buildInfo{}, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := detectProfile(tt.info); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEffectiveLimits(t *testing.T) {
	s71200 := buildInfo{Manufacturer: "Siemens AG", ProductName: "SIMATIC S7-1200"}
	tests := []struct {
		name string
		cfg  Limits
		info buildInfo
		srv  serverLimits
		want batchLimits
	}{
		{name: "default profile", want: profiles["default"]},
		{name: "server limits lower", srv: serverLimits{Read: 50, Browse: 0, Monitor: 200, PerSubscription: 4000},
			want: batchLimits{Profile: "default", Read: 50, Browse: 500, Monitor: 200, PerSubscription: 4000, Deadband: true}},
		{name: "server limits higher keep profile", srv: serverLimits{Read: 100000, Monitor: 100000, PerSubscription: 100000},
			want: profiles["default"]},
		{name: "detected s7-1200", info: s71200, want: profiles["siemens-s7-1200"]},
		{name: "forced profile", cfg: Limits{Profile: "siemens-s7-1500"}, info: s71200, want: profiles["siemens-s7-1500"]},
		{name: "overrides win", cfg: Limits{MaxNodesPerRead: 5000, MaxMonitoredItemsPerCall: 7, MaxMonitoredItemsPerSubscription: 50000},
			info: s71200, srv: serverLimits{Read: 10, PerSubscription: 500},
			want: batchLimits{Profile: "siemens-s7-1200", Read: 5000, Browse: 50, Monitor: 7, PerSubscription: 50000}},
		{name: "announced continuation points", srv: serverLimits{BrowseContinuationPoints: 5},
			want: batchLimits{Profile: "default", Read: 1000, Browse: 500, Monitor: 1000, PerSubscription: 10000, Deadband: true, BrowseContinuationPoints: 5}},
		{name: "continuation points override", cfg: Limits{MaxBrowseContinuationPoints: 3}, info: s71200, srv: serverLimits{BrowseContinuationPoints: 10},
			want: batchLimits{Profile: "siemens-s7-1200", Read: 100, Browse: 50, Monitor: 100, PerSubscription: 1000, BrowseContinuationPoints: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := effectiveLimits(tt.cfg, tt.info, tt.srv); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
