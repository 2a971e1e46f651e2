package opcua

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// umhBridge is United Manufacturing Hub's bridge default, which copies the
// OPC UA path and name into the subject, and keeps the two meta keys the
// path rule sets as headers.
var umhBridge = engine.Config{
	Defaults: engine.Snippet{Code: `msg.meta.location_path = "acme";
msg.meta.data_contract = "_historian";
msg.meta.virtual_path = msg.meta.opcua_tag_path;
msg.meta.tag_name = msg.meta.opcua_tag_name;
return msg;`},
	Headers: []string{"opcua_tag_name", "opcua_tag_group", "opcua_tag_path"},
}

// umhMeta runs s through the UMH bridge default and returns the subject and
// opcua_tag_name, opcua_tag_group and opcua_tag_path.
func umhMeta(t *testing.T, e *engine.Engine, s tag.Sample) (subject, name, group, path string) {
	t.Helper()
	out := e.Process(&s, nil, func(f engine.Failure) { t.Errorf("%s: %v", s.Node.ID, f) })
	if len(out) != 1 {
		t.Fatalf("%s: %d messages, want 1", s.Node.ID, len(out))
	}
	out[0].EachHeader(func(h tag.Header) {
		switch h.Key {
		case "opcua_tag_name":
			name = h.Value
		case "opcua_tag_group":
			group = h.Value
		case "opcua_tag_path":
			path = h.Value
		}
	})
	return out[0].Subject, name, group, path
}

// TestUMHPathRule checks the naming of United Manufacturing Hub's OPC UA
// input on the cases its own tests pin: a nested node, a name that also
// names a folder higher up (only the trailing one is stripped), a node at
// the root, and names that are not subject-safe.
func TestUMHPathRule(t *testing.T) {
	t.Parallel()
	e, err := engine.New(umhBridge, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	tests := []struct {
		name       string
		root       string // browse name of the browsed root; "" = configured directly
		folders    []string
		browseName string
		wantName   string
		wantGroup  string
		wantPath   string
	}{
		{name: "nested", root: "Plant", folders: []string{"Line"}, browseName: "Sensor",
			wantName: "Sensor", wantGroup: "Plant.Line", wantPath: "Plant.Line"},
		{name: "name repeats higher up", root: "Plant", folders: []string{"Temperature", "Sensor"}, browseName: "Temperature",
			wantName: "Temperature", wantGroup: "Plant.Temperature.Sensor", wantPath: "Plant.Temperature.Sensor"},
		{name: "configured directly", browseName: "Sensor",
			wantName: "Sensor", wantGroup: "Sensor", wantPath: ""},
		{name: "child of the root", root: "Line", browseName: "Sensor",
			wantName: "Sensor", wantGroup: "Line", wantPath: "Line"},
		{name: "not subject-safe", root: "My Folder", browseName: "My Sensor",
			wantName: "My_Sensor", wantGroup: "My_Folder", wantPath: "My_Folder"},
	}
	src := &tag.SourceInfo{Name: "plc", Endpoint: "opc.tcp://plc:4840"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := []Variable{{ID: ua.NewStringNodeID(2, "x"), BrowseName: tt.browseName, Path: slices.Clone(tt.folders)}}
			if tt.root != "" {
				vars = withRootName(vars, tt.root)
			}
			n := NameNodes(src, vars)[0]
			_, name, group, path := umhMeta(t, e, tag.Sample{Node: n, Value: 1.0})
			if name != tt.wantName || group != tt.wantGroup || path != tt.wantPath {
				t.Errorf("name, group, path = %q, %q, %q; want %q, %q, %q", name, group, path, tt.wantName, tt.wantGroup, tt.wantPath)
			}
		})
	}
}

// TestUMHPathSimulator reads a browsed folder and a directly configured
// variable of the built-in simulator and checks the subjects UMH's bridge
// default gives: the browsed root's name first, the tag's name once, a
// node at the root without a path.
func TestUMHPathSimulator(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	cfg := simConfig(t, s.Endpoint())
	cfg.Nodes = []NodeConfig{
		{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"},
		{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Line1"},
	}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(umhBridge, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	var col collector
	stop := runSource(t, src, col.emit)
	testutil.WaitUntil(t, 30*time.Second, "values of both roots", func() bool {
		return col.count(0, "Plant.Types.Double") > 0 && col.count(0, "Plant.Line1.Press.Temperature") > 0 && col.count(0, "Plant.Line1.Robot.Temperature") > 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	col.mu.Lock()
	samples := slices.Clone(col.samples)
	col.mu.Unlock()
	want := map[string]string{
		"Plant.Types.Double":            "umh.v1.acme._historian.Double",
		"Plant.Line1.Press.Temperature": "umh.v1.acme._historian.Line1.Press.Temperature",
		"Plant.Line1.Robot.Temperature": "umh.v1.acme._historian.Line1.Robot.Temperature",
	}
	for _, smp := range samples {
		subject, name, group, path := umhMeta(t, e, smp)
		id := smp.Node.ID[strings.Index(smp.Node.ID, ";s=")+3:]
		if w, ok := want[id]; ok && subject != w {
			t.Errorf("%s: subject %s, want %s", id, subject, w)
		}
		if id == "Plant.Types.Double" {
			if group != "Double" || path != "" {
				t.Errorf("%s configured directly: group %q, path %q; want Double and empty", id, group, path)
			}
			continue
		}
		// The path is the id's browse path without the tag's name, from
		// the browsed root Line1 on (the simulator's ids are browse paths).
		if wantPath := strings.TrimSuffix(strings.TrimPrefix(id, "Plant."), "."+name); path != wantPath || group != wantPath {
			t.Errorf("%s: group %q, path %q; want %q", id, group, path, wantPath)
		}
		if strings.HasSuffix(path, "."+name) || strings.Count(subject, "."+name) != 1 {
			t.Errorf("%s: subject %s repeats the name %s", id, subject, name)
		}
	}
}

// TestUMHPathNodeOPCUA checks the same subjects against node-opcua: its
// Plant folder browsed (Plant first in every path) and one of its
// variables configured directly (a node at the root, no path).
func TestUMHPathNodeOPCUA(t *testing.T) {
	p := sharedPeer(t)
	cfg := peerConfig(t, p.Endpoint)
	// The direct variable first, so it is taken as configured, not as
	// found below Plant.
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}, {ID: nsuID("Plant")}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(umhBridge, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	var col collector
	stop := runSource(t, src, col.emit)
	testutil.WaitUntil(t, 30*time.Second, "values of both roots", func() bool {
		return col.count(0, "Plant.Counter") > 0 && col.count(0, "Plant.Scale.Tag00009") > 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]string{
		"Plant.Counter":        "umh.v1.acme._historian.Counter",
		"Plant.Scale.Tag00009": "umh.v1.acme._historian.Plant.Scale.Tag00009",
	}
	seen := map[string]bool{}
	col.mu.Lock()
	samples := slices.Clone(col.samples)
	col.mu.Unlock()
	for _, smp := range samples {
		subject, name, _, path := umhMeta(t, e, smp)
		id := smp.Node.ID[strings.Index(smp.Node.ID, ";s=")+3:]
		if w, ok := want[id]; ok {
			seen[id] = true
			if subject != w {
				t.Errorf("%s: subject %s, want %s", id, subject, w)
			}
		}
		if strings.HasSuffix(path, "."+name) || path == name {
			t.Errorf("%s: path %q repeats the name %s", id, path, name)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("saw %v of %v", seen, want)
	}
}
