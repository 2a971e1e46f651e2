package opcua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// Shape of the simulator's plant (package sim).
const (
	simMachineVars = 9  // variables per machine
	simMachines    = 4  // 2 lines x 2 machines
	simTypeVars    = 27 // variables under Plant/Types
	simCommandVars = 26 // variables under Plant/Commands (writable, one read-only)
)

func plantID(path string) *ua.NodeID { return ua.NewStringNodeID(1, path) }

func browsePaths(vars []Variable) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = strings.Join(append(append([]string{}, v.Path...), v.BrowseName), "/")
	}
	return out
}

func TestBrowseSimulator(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{ExtraTags: 60, Rate: time.Second})
	c := simtest.Connect(t, s.Endpoint())
	all := simMachines*simMachineVars + simTypeVars + simCommandVars + 60
	tests := []struct {
		name      string
		root      string
		opt       BrowseOptions
		wantCount int
		check     func(t *testing.T, vars []Variable)
	}{
		{name: "whole plant", root: "Plant", wantCount: all},
		{name: "paged and serial gives the same", root: "Plant", opt: BrowseOptions{PerRequest: 7, Concurrency: 1}, wantCount: all},
		{name: "paged and concurrent gives the same", root: "Plant", opt: BrowseOptions{PerRequest: 3, Concurrency: 8}, wantCount: all},
		{name: "depth 1 has only folders", root: "Plant", opt: BrowseOptions{MaxDepth: 1}, wantCount: 0},
		{name: "depth 2 reaches Types and Scale", root: "Plant", opt: BrowseOptions{MaxDepth: 2}, wantCount: simTypeVars + simCommandVars + 60},
		{name: "node limit", root: "Plant", opt: BrowseOptions{MaxNodes: 5}, wantCount: 5},
		{name: "include any temperature", root: "Plant", opt: BrowseOptions{Include: []string{"**/Temp*"}}, wantCount: simMachines,
			check: func(t *testing.T, vars []Variable) {
				for _, p := range browsePaths(vars) {
					if !strings.HasSuffix(p, "/Temperature") {
						t.Errorf("unexpected %s", p)
					}
				}
			}},
		{name: "include one line", root: "Plant", opt: BrowseOptions{Include: []string{"Line1/**"}}, wantCount: 2 * simMachineVars},
		{name: "include star within one element", root: "Plant", opt: BrowseOptions{Include: []string{"Line*/Press/*"}}, wantCount: 2 * simMachineVars},
		{name: "exclude folders prunes them", root: "Plant", opt: BrowseOptions{Exclude: []string{"Scale", "Types"}}, wantCount: simMachines*simMachineVars + simCommandVars},
		{name: "exclude variables anywhere", root: "Plant", opt: BrowseOptions{Exclude: []string{"**/Axis*", "Scale"}}, wantCount: simMachines*(simMachineVars-1) + simTypeVars + simCommandVars},
		{name: "include and exclude", root: "Plant", opt: BrowseOptions{Include: []string{"Line1/**"}, Exclude: []string{"**/Robot"}}, wantCount: simMachineVars},
		{name: "sub folder root", root: "Plant.Line1.Press", wantCount: simMachineVars,
			check: func(t *testing.T, vars []Variable) {
				if len(vars[0].Path) != 0 {
					t.Errorf("path below root should be empty, got %v", vars[0].Path)
				}
			}},
		{name: "variable root", root: "Plant.Line1.Press.Temperature", wantCount: 1,
			check: func(t *testing.T, vars []Variable) {
				if vars[0].BrowseName != "Temperature" || vars[0].DataType != "Double" || vars[0].AccessLevel&1 == 0 {
					t.Errorf("variable root: %+v", vars[0])
				}
			}},
	}
	var reference []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, err := Browse(context.Background(), c, plantID(tt.root), tt.opt, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if len(vars) != tt.wantCount {
				t.Fatalf("got %d variables, want %d: %v", len(vars), tt.wantCount, browsePaths(vars))
			}
			if tt.check != nil {
				tt.check(t, vars)
			}
			if tt.root == "Plant" && tt.wantCount == all {
				// Same variables in the same order, however the browse
				// was split into requests.
				got := browsePaths(vars)
				if reference == nil {
					reference = got
				} else if strings.Join(got, ",") != strings.Join(reference, ",") {
					t.Fatalf("order depends on request splitting")
				}
				seen := map[string]bool{}
				for _, v := range vars {
					k := FormatNodeID(v.ID)
					if seen[k] {
						t.Fatalf("%s returned twice (cycle in the plant)", k)
					}
					seen[k] = true
				}
			}
		})
	}
}

func TestBrowseDataTypes(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Second})
	c := simtest.Connect(t, s.Endpoint())
	vars, err := Browse(context.Background(), c, plantID("Plant"), BrowseOptions{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vars {
		got[strings.Join(append(append([]string{}, v.Path...), v.BrowseName), "/")] = v.DataType
		// Plant/Commands holds the writable variables (and one read-only).
		writable := len(v.Path) > 0 && v.Path[0] == "Commands" && v.BrowseName != "ReadOnly"
		if writable != (v.AccessLevel&byte(ua.AccessLevelTypeCurrentWrite) != 0) || v.AccessLevel&byte(ua.AccessLevelTypeCurrentRead) == 0 {
			t.Errorf("%s: access level %d", v.BrowseName, v.AccessLevel)
		}
	}
	want := map[string]string{
		"Line1/Press/Temperature":   "Double",
		"Line1/Press/Pressure":      "Float",
		"Line2/Robot/TotalEnergy":   "UInt64",
		"Line2/Robot/AxisPositions": "Double",
		"Types/Guid":                "Guid",
		"Types/LocalizedText":       "LocalizedText",
		"Types/Range":               "ExtensionObject", // Range → Structure
		"Types/Matrix":              "Int32",
	}
	for p, dt := range want {
		if got[p] != dt {
			t.Errorf("%s: data type %q, want %q", p, got[p], dt)
		}
	}
}

func TestBrowseErrors(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Second})
	c := simtest.Connect(t, s.Endpoint())
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		root    *ua.NodeID
		opt     BrowseOptions
		wantErr func(error) bool
	}{
		{name: "unknown root", ctx: context.Background(), root: plantID("Nope"), wantErr: func(err error) bool {
			return errors.Is(err, ua.StatusBadNodeIDUnknown) && strings.Contains(err.Error(), "ns=1;s=Nope")
		}},
		{name: "bad include", ctx: context.Background(), root: plantID("Plant"), opt: BrowseOptions{Include: []string{"[a"}}, wantErr: func(err error) bool {
			return strings.Contains(err.Error(), "[a")
		}},
		{name: "nil root", ctx: context.Background(), wantErr: func(err error) bool { return err != nil }},
		{name: "canceled", ctx: canceled, root: plantID("Plant"), wantErr: func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Browse(tt.ctx, c, tt.root, tt.opt, zerolog.Nop())
			if err == nil || !tt.wantErr(err) {
				t.Fatalf("error %v is not the expected one", err)
			}
		})
	}
}

// A node the server refuses to browse costs only itself: it is kept as
// pending, with its status, and its siblings are browsed.
func TestBrowseKeepsFailedNodePending(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Second})
	c := simtest.Connect(t, s.Endpoint())
	var logs bytes.Buffer
	b, err := newBrowser(c, plantID("Plant"), BrowseOptions{PerRequest: 10}, newContinuationBudget(0), zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	gone := browseItem{id: ua.NewStringNodeID(7, "Gone"), path: []string{"Gone"}}
	next, err := b.level(context.Background(), []browseItem{
		{id: plantID("Plant.Line1.Press"), path: []string{"Press"}},
		gone,
		{id: plantID("Plant.Line2.Robot"), path: []string{"Robot"}},
	}, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.vars) != 2*simMachineVars || len(next) != 2*simMachineVars {
		t.Fatalf("got %d variables, %d next, want %d", len(b.vars), len(next), 2*simMachineVars)
	}
	if len(b.pending) != 1 || b.pending[0].item.id != gone.id || b.pending[0].depth != 1 || !isBad(b.pending[0].status) {
		t.Fatalf("pending %+v, want the unknown node at depth 1 with a bad status", b.pending)
	}
	if !strings.Contains(logs.String(), "ns=7;s=Gone") {
		t.Fatalf("failed node not logged: %s", logs.String())
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"**", "a/b/c", true},
		{"**/c", "c", true},
		{"**/c", "a/b/c", true},
		{"a/**", "a", true},
		{"a/**", "a/b/c", true},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/x/y/c", true},
		{"a/**/c", "a/x/y/d", false},
		{"*", "a", true},
		{"*", "a/b", false},
		{"a/*/c", "a/b/c", true},
		{"a/*/c", "a/b/x/c", false},
		{"Temp*", "Temperature", true},
		{"**/T?mp*", "x/Temperature", true},
		{"[LM]ine1/*", "Line1/Press", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.path, func(t *testing.T) {
			t.Parallel()
			gs, err := compileGlobs([]string{tt.pattern})
			if err != nil {
				t.Fatal(err)
			}
			if got := gs[0].match(strings.Split(tt.path, "/")); got != tt.want {
				t.Fatalf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrintTree(t *testing.T) {
	t.Parallel()
	// In breadth-first order, as Browse returns them: the tree groups
	// them by folder.
	vars := []Variable{
		{ID: ua.NewStringNodeID(3, `"DB1"."a: b"`), BrowseName: `"a: b"`, Path: []string{"DB1"}},
		{ID: plantID("Plant.Line1.Press.Temperature"), BrowseName: "Temperature", Path: []string{"Line1", "Press"}, DataType: "Double", AccessLevel: 3},
		{ID: plantID("Plant.Line1.Robot.Speed"), BrowseName: "Speed", Path: []string{"Line1", "Robot"}, DataType: "Int32", AccessLevel: 5},
		{ID: plantID("Plant.Line1.Press.State"), BrowseName: "State", Path: []string{"Line1", "Press"}, DataType: "String", AccessLevel: 1},
		{ID: plantID("Plant.Line1.Press.Curve"), BrowseName: "Curve", Path: []string{"Line1", "Press"}, DataType: "Double", AccessLevel: 1, ValueRank: 1},
		{ID: plantID("Plant.Line1.Press.Map"), BrowseName: "Map", Path: []string{"Line1", "Press"}, DataType: "Int32", AccessLevel: 1, ValueRank: 2},
	}
	tests := []struct {
		format     string
		namespaces []string
		want       string
	}{
		{format: "text", want: `# 6 variables below ns=1;s=Plant
DB1/
  "a: b"  ?  -  ns=3;s="DB1"."a: b"
Line1/
  Press/
    Temperature  Double    rw  ns=1;s=Plant.Line1.Press.Temperature
    State        String    r   ns=1;s=Plant.Line1.Press.State
    Curve        Double[]  r   ns=1;s=Plant.Line1.Press.Curve
    Map          Int32[,]  r   ns=1;s=Plant.Line1.Press.Map
  Robot/
    Speed  Int32  rh  ns=1;s=Plant.Line1.Robot.Speed
`},
		{format: "yaml", namespaces: []string{"http://opcfoundation.org/UA/", "urn:edgetag:sim"}, want: `# 6 variables below ns=1;s=Plant
nodes:
  - id: "ns=3;s=\"DB1\".\"a: b\""  # DB1/"a: b" (?, -)
    name: DB1.a__b
  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.Temperature"  # Line1/Press/Temperature (Double, rw)
    name: Line1.Press.Temperature
  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.State"  # Line1/Press/State (String, r)
    name: Line1.Press.State
  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.Curve"  # Line1/Press/Curve (Double[], r)
    name: Line1.Press.Curve
  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.Map"  # Line1/Press/Map (Int32[,], r)
    name: Line1.Press.Map
  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Robot.Speed"  # Line1/Robot/Speed (Int32, rh)
    name: Line1.Robot.Speed
`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := PrintTree(&buf, "ns=1;s=Plant", vars, TreeOptions{Format: tt.format, Namespaces: tt.namespaces}); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if err := PrintTree(&bytes.Buffer{}, "", vars, TreeOptions{Format: "xml"}); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestBrowseEndpoint(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Second, BrowseContinuationPoints: 5, LegacyStructures: true})
	tests := []struct {
		name     string
		root     string
		all      bool
		format   string
		opt      BrowseOptions
		want     []string
		wantNot  []string
		onceEach []string
	}{
		{name: "yaml from nsu root", root: "nsu=urn:edgetag:sim;s=Plant.Line1.Press", format: "yaml",
			want: []string{"nodes:\n", `  - id: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.Temperature"  # Temperature (Double, r)` + "\n",
				"# edgetag edgetag simulator 0.0.0-dev: fastest sampling not announced (sampling_interval: 0), browse continuation points per session: 5\n"}},
		{name: "text from Objects", root: "", format: "text", opt: BrowseOptions{MaxDepth: 4},
			want: []string{"Plant/\n", "  Types/\n", "ns=1;s=Plant.Types.Matrix",
				"    DoubleArray     Double[]", "    Matrix          Int32[,]", "    Double          Double  "},
			// The Server object is left out by default, and a tree
			// lists each folder once.
			wantNot:  []string{"Server/", "i=2256"},
			onceEach: []string{"Plant/\n", "  Types/\n", "  Line1/\n", "  Line2/\n"}},
		{name: "text from Objects, all", root: "", all: true, format: "text", opt: BrowseOptions{MaxDepth: 2},
			want: []string{"Server/\n", "i=2256"}, onceEach: []string{"Server/\n"}},
		{name: "structure fields", root: "nsu=urn:edgetag:sim;s=Plant.Legacy", format: "yaml",
			want: []string{"  - id: \"nsu=urn:edgetag:sim;s=Plant.Legacy.Batch\"  # Batch (ExtensionObject, r)\n",
				"# 3 structures (fields in encoding order)\n",
				"# Batch (ns=1;s=Types.Batch, structure_with_optional_fields, 2 variables):\n",
				"#   State: BatchState (enumeration: 0 Idle, 1 Running, 2 Done)\n",
				"#   Doses: Dose[]\n", "#   Note: String, optional\n",
				"# Reading (legacy dictionary, union, nested):\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Name: "sim", Endpoint: s.Endpoint(), StateDir: t.TempDir(),
				Security: Security{Policy: "None", Mode: "None"}}
			var buf bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := BrowseEndpoint(ctx, cfg, tt.root, tt.all, tt.opt, &buf, tt.format, zerolog.Nop()); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Fatalf("output misses %q:\n%s", w, buf.String())
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(buf.String(), w) {
					t.Fatalf("output has %q:\n%s", w, buf.String())
				}
			}
			for _, w := range tt.onceEach {
				if n := strings.Count(buf.String(), w); n != 1 {
					t.Fatalf("output has %q %d times, want once:\n%s", w, n, buf.String())
				}
			}
		})
	}
}

func TestBrowseLargeFolderPaged(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	t.Parallel()
	const n = 2500
	s := simtest.Start(t, sim.Config{ExtraTags: n, Rate: time.Hour})
	c := simtest.Connect(t, s.Endpoint())
	vars, err := Browse(context.Background(), c, plantID("Plant.Scale"), BrowseOptions{PerRequest: 600, MaxDepth: 1}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != n {
		t.Fatalf("got %d variables, want %d", len(vars), n)
	}
	names := make([]string, n)
	for i, v := range vars {
		names[i] = v.BrowseName
	}
	if !sort.StringsAreSorted(names) || names[n-1] != "Tag02499" {
		t.Fatalf("continuation pages lost or reordered references: last %s", names[n-1])
	}
}

func TestBrowseLogsProgress(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := &browser{log: zerolog.New(&logs), start: time.Now()}
	b.lastProgress = b.start
	b.progress(browseProgressNodes-1, 5)
	if logs.Len() != 0 {
		t.Fatalf("logged too early: %s", logs.String())
	}
	b.progress(1, 5)
	if !strings.Contains(logs.String(), `"nodes":10000`) || !strings.Contains(logs.String(), `"references":10`) {
		t.Fatalf("progress line: %s", logs.String())
	}
}

// The yaml output parses back to the node ids, however odd the ids are.
func TestPrintTreeYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	ids := []*ua.NodeID{
		ua.NewStringNodeID(3, `"DB1"."Motor"`),
		ua.NewStringNodeID(3, "a: b # c"),
		ua.NewStringNodeID(3, "- x"),
		ua.NewStringNodeID(3, "tab\there"),
		ua.NewStringNodeID(3, "ÄÖÜ ß"),
		ua.NewNumericNodeID(0, 2258),
		ua.NewGUIDNodeID(2, "72962B91-FA75-4AE6-8D28-B404DC7DAF63"),
		ua.NewByteStringNodeID(2, []byte{0xff, 0xfe}),
	}
	vars := make([]Variable, len(ids))
	for i, id := range ids {
		vars[i] = Variable{ID: id, BrowseName: "n\nx", Path: []string{"a # b"}}
	}
	var buf bytes.Buffer
	if err := PrintTree(&buf, "i=85", vars, TreeOptions{Format: FormatYAML}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Nodes []struct {
			ID string `yaml:"id"`
		} `yaml:"nodes"`
	}
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, buf.String())
	}
	if len(doc.Nodes) != len(ids) {
		t.Fatalf("parsed %d nodes, want %d:\n%s", len(doc.Nodes), len(ids), buf.String())
	}
	for i, n := range doc.Nodes {
		if n.ID != FormatNodeID(ids[i]) {
			t.Errorf("node %d: parsed %q, want %q", i, n.ID, FormatNodeID(ids[i]))
		}
		if _, err := ParseNodeID(n.ID, nil); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

// TestBrowseReferenceBudget browses six folders of 1,000 variables in one
// request: each node is asked for at most References/6 references, and the
// continuation points deliver the rest, in order.
func TestBrowseReferenceBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	t.Parallel()
	const n = 6000
	s := simtest.Start(t, sim.Config{ExtraTags: n, Rate: time.Hour})
	c := simtest.Connect(t, s.Endpoint())
	vars, err := Browse(context.Background(), c, plantID("Plant.Scale"),
		BrowseOptions{PerRequest: 500, References: 1200, MaxDepth: 2}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != n {
		t.Fatalf("got %d variables, want %d", len(vars), n)
	}
	for i, v := range vars {
		if want := fmt.Sprintf("Tag%05d", i); v.BrowseName != want {
			t.Fatalf("variable %d is %s, want %s", i, v.BrowseName, want)
		}
	}
	if c.State() != gopcua.Connected {
		t.Fatalf("client %s after the browse", c.State())
	}
}

// TestBrowseReferences checks which browsed references a level keeps once
// they are cut down to refs: variables and objects of this server, not the
// properties of a variable, not nodes named by namespace uri, each node once.
func TestBrowseReferences(t *testing.T) {
	t.Parallel()
	rd := func(nid string, class ua.NodeClass, refType uint32) *ua.ReferenceDescription {
		n := ua.MustParseNodeID(nid)
		return &ua.ReferenceDescription{
			ReferenceTypeID: ua.NewNumericNodeID(0, refType),
			NodeID:          ua.NewExpandedNodeID(n, "", 0),
			BrowseName:      &ua.QualifiedName{NamespaceIndex: 2, Name: "N" + nid},
			DisplayName:     ua.NewLocalizedText("display"),
			NodeClass:       class,
		}
	}
	uri := rd("ns=2;s=U", ua.NodeClassVariable, id.HasComponent)
	uri.NodeID = ua.NewExpandedNodeID(ua.NewStringNodeID(2, "U"), "urn:other", 0)
	remote := rd("ns=2;s=R", ua.NodeClassVariable, id.HasComponent)
	remote.NodeID = ua.NewExpandedNodeID(ua.NewStringNodeID(2, "R"), "", 1)
	in := []*ua.ReferenceDescription{
		rd("ns=2;s=V", ua.NodeClassVariable, id.HasComponent),
		rd("ns=2;s=P", ua.NodeClassVariable, id.HasProperty),
		rd("ns=2;s=O", ua.NodeClassObject, id.Organizes),
		rd("ns=2;s=M", ua.NodeClassMethod, id.HasComponent),
		rd("ns=2;s=V", ua.NodeClassVariable, id.HasComponent),
		nil, uri, remote,
	}
	for _, tt := range []struct {
		name   string
		parent browseItem
		want   []string
	}{
		{name: "below an object", parent: browseItem{path: []string{"F"}}, want: []string{"ns=2;s=V", "ns=2;s=P", "ns=2;s=O"}},
		{name: "below a variable", parent: browseItem{path: []string{"F"}, variable: true}, want: []string{"ns=2;s=V", "ns=2;s=O"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &browser{visited: map[string]struct{}{}, log: zerolog.Nop()}
			refs := appendRefs(nil, in)
			if len(refs) != len(in) {
				t.Fatalf("%d refs for %d references", len(refs), len(in))
			}
			var got []string
			for _, r := range refs {
				it, ok := b.reference(tt.parent, r)
				if !ok {
					continue
				}
				nid := FormatNodeID(it.id)
				if want := []string{"F", "N" + nid}; !reflect.DeepEqual(it.path, want) || it.variable != (nid != "ns=2;s=O") {
					t.Errorf("%s: path %q variable %v", nid, it.path, it.variable)
				}
				got = append(got, nid)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("kept %q, want %q", got, tt.want)
			}
		})
	}
}
