package opcua

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// TestExplicitNodeNames subscribes to two explicit variables of the
// simulator with the same browse name (Speed of the presses of Line1 and
// Line2): without a configured name the second is numbered Speed_2 and the
// rename is logged with both node ids; with names each gets its own name
// and group, and nothing is renamed.
func TestExplicitNodeNames(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	line1 := "nsu=" + sim.NamespaceURI + ";s=Plant.Line1.Press.Speed"
	line2 := "nsu=" + sim.NamespaceURI + ";s=Plant.Line2.Press.Speed"
	tests := []struct {
		name        string
		nodes       []NodeConfig
		want        map[string][2]string // node id suffix: group, name
		wantRenamed bool
		wantFolder  bool // a warning that a folder's name is not used
	}{
		{
			name:        "browse names",
			nodes:       []NodeConfig{{ID: line1}, {ID: line2}},
			want:        map[string][2]string{"Plant.Line1.Press.Speed": {"", "Speed"}, "Plant.Line2.Press.Speed": {"", "Speed_2"}},
			wantRenamed: true,
		},
		{
			name:  "configured names",
			nodes: []NodeConfig{{ID: line1, Name: "Line1.Press.Speed"}, {ID: line2, Name: "Line2.Press.Speed"}},
			want:  map[string][2]string{"Plant.Line1.Press.Speed": {"Line1.Press", "Speed"}, "Plant.Line2.Press.Speed": {"Line2.Press", "Speed"}},
		},
		{
			name:  "a name on a folder is not used",
			nodes: []NodeConfig{{ID: line1}, {ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Line2.Press", Name: "Ignored.Speed", Include: []string{"Speed"}}},
			// The browsed root's own name starts its variables' path
			// (UMH's rule), so the two Speed nodes do not clash.
			want:       map[string][2]string{"Plant.Line1.Press.Speed": {"", "Speed"}, "Plant.Line2.Press.Speed": {"Press", "Speed"}},
			wantFolder: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(t, s.Endpoint())
			cfg.Nodes = tt.nodes
			var logs testlog.Buffer
			src, err := NewSource(cfg, zerolog.New(&logs))
			if err != nil {
				t.Fatal(err)
			}
			var col collector
			stop := runSource(t, src, col.emit)
			defer stop()
			testutil.WaitUntil(t, 30*time.Second, "both variables", func() bool {
				return col.count(0, "Plant.Line1.Press.Speed") > 0 && col.count(0, "Plant.Line2.Press.Speed") > 0
			})
			for suffix, want := range tt.want {
				smp, _ := col.last(suffix)
				if smp.Node.Group != want[0] || smp.Node.Name != want[1] {
					t.Errorf("%s: group %q, name %q; want %q, %q", suffix, smp.Node.Group, smp.Node.Name, want[0], want[1])
				}
			}
			if got := strings.Contains(logs.String(), "its name is not used"); got != tt.wantFolder {
				t.Errorf("warning about a folder's name logged: %v, want %v", got, tt.wantFolder)
			}
			var renameLines []string
			for line := range strings.SplitSeq(logs.String(), "\n") {
				if strings.Contains(line, "was numbered") {
					renameLines = append(renameLines, line)
				}
			}
			if !tt.wantRenamed {
				if len(renameLines) > 0 {
					t.Fatalf("unexpected rename logged: %v", renameLines)
				}
				return
			}
			if len(renameLines) != 1 {
				t.Fatalf("got %d rename lines, want 1: %v", len(renameLines), renameLines)
			}
			l := renameLines[0]
			for _, want := range []string{`"node":"ns=`, `;s=Plant.Line2.Press.Speed"`, `"kept_by":"ns=`, `;s=Plant.Line1.Press.Speed"`, `"name":"Speed_2"`} {
				if !strings.Contains(l, want) {
					t.Errorf("rename line %s lacks %s", l, want)
				}
			}
		})
	}
}

// TestPastedNamesMatchBrowse checks that the nodes: block browse prints,
// pasted as explicit nodes, names every variable as a browse of the root
// does (same name, group and path), so nothing is numbered: the Speed of
// every machine keeps its folders.
func TestPastedNamesMatchBrowse(t *testing.T) {
	t.Parallel()
	// In tree order, the order PrintTree writes them.
	browsed := []Variable{
		{ID: ua.NewNumericNodeID(2, 1001), BrowseName: "Counter"},
		{ID: ua.NewStringNodeID(2, "L1.Press.Speed"), BrowseName: "Speed", Path: []string{"Line 1", "Press"}},
		{ID: ua.NewStringNodeID(2, "L1.Robot.Speed"), BrowseName: "Speed", Path: []string{"Line 1", "Robot"}},
		{ID: ua.NewStringNodeID(2, "L2.Press.Speed"), BrowseName: "Speed", Path: []string{"Line.2", "Press"}},
		{ID: ua.NewStringNodeID(3, `"DB1"."Temp"`), BrowseName: `"Temp"`, Path: []string{`"DB1"`}},
		{ID: ua.NewNumericNodeID(2, 1002), BrowseName: "1.5", Path: []string{"true"}},
	}
	var buf bytes.Buffer
	if err := PrintTree(&buf, "ns=2;s=Plant", browsed, TreeOptions{Format: FormatYAML}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Nodes []struct {
			ID   string `yaml:"id"`
			Name string `yaml:"name"`
		} `yaml:"nodes"`
	}
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, buf.String())
	}
	// What resolveRoots makes of each pasted explicit variable.
	pasted := make([]Variable, len(doc.Nodes))
	for i, n := range doc.Nodes {
		id, err := ParseNodeID(n.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		pasted[i] = Variable{ID: id, BrowseName: browsed[i].BrowseName}
		if n.Name != "" {
			pasted[i].Path, pasted[i].Name = splitName(n.Name)
		}
	}
	src := &tag.SourceInfo{Name: "plc"}
	want, _ := nameNodes(src, browsed)
	got, renames := nameNodes(src, pasted)
	if len(renames) > 0 {
		t.Errorf("pasted nodes renamed: %+v\n%s", renames, buf.String())
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Group != want[i].Group || got[i].Path != want[i].Path {
			t.Errorf("node %s: pasted name %q group %q path %q, browsed %q %q %q", want[i].ID,
				got[i].Name, got[i].Group, got[i].Path, want[i].Name, want[i].Group, want[i].Path)
		}
	}
}
