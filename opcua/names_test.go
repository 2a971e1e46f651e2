package opcua

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

func TestSafeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "safe", in: "Motor_1-a", want: "Motor_1-a"},
		{name: "siemens", in: `"DB1"."Motor"`, want: "DB1_Motor"},
		{name: "siemens array", in: `"DB1"."Axis"[3]`, want: "DB1_Axis_3_"},
		{name: "space and dot", in: "Line 1.Temp", want: "Line_1_Temp"},
		{name: "umlaut one rune one underscore", in: "Düse", want: "D_se"},
		{name: "nats wildcards", in: "a*b>c", want: "a_b_c"},
		{name: "empty", in: "", want: "_"},
		{name: "only quotes", in: `""`, want: "_"},
		{name: "invalid utf8", in: "a\xffb", want: "a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SafeName(tt.in); got != tt.want {
				t.Fatalf("SafeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNameNodes(t *testing.T) {
	t.Parallel()
	v := func(id, bn string, path ...string) Variable {
		return Variable{ID: ua.MustParseNodeID(id), BrowseName: bn, Path: path, DataType: "Double"}
	}
	type named struct{ ID, Name, Group, Path string }
	tests := []struct {
		name string
		in   []Variable
		want []named
	}{
		{
			name: "plain",
			in:   []Variable{v("ns=2;s=T", "Temperature", "Plant", "Line 1", "Press"), v("ns=2;i=7", `"DB1".Speed`)},
			want: []named{{"ns=2;s=T", "Temperature", "Plant.Line_1.Press", "Plant.Line_1.Press.Temperature"}, {"ns=2;i=7", "DB1_Speed", "", "DB1_Speed"}},
		},
		{
			name: "clash ordered by node id, not input order",
			in:   []Variable{v("ns=2;s=b", "Temp.1", "L"), v("ns=2;s=a", "Temp 1", "L"), v("ns=2;s=c", "Temp_1", "L")},
			want: []named{{"ns=2;s=b", "Temp_1_2", "L", "L.Temp_1_2"}, {"ns=2;s=a", "Temp_1", "L", "L.Temp_1"}, {"ns=2;s=c", "Temp_1_3", "L", "L.Temp_1_3"}},
		},
		{
			name: "suffix skips a taken path",
			in:   []Variable{v("ns=2;s=a", "X"), v("ns=2;s=b", "X"), v("ns=2;s=c", "X_2")},
			want: []named{{"ns=2;s=a", "X", "", "X"}, {"ns=2;s=b", "X_3", "", "X_3"}, {"ns=2;s=c", "X_2", "", "X_2"}},
		},
		{
			name: "folder clash",
			in:   []Variable{v("ns=2;s=a", "T", "Line.1"), v("ns=2;s=b", "T", "Line 1")},
			want: []named{{"ns=2;s=a", "T", "Line_1", "Line_1.T"}, {"ns=2;s=b", "T_2", "Line_1", "Line_1.T_2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &tag.SourceInfo{Name: "press", Endpoint: "opc.tcp://h:4840"}
			nodes := NameNodes(src, tt.in)
			var got []named
			for i, n := range nodes {
				if n.Src != src || n.Source() != "press" || n.Endpoint() != "opc.tcp://h:4840" || n.DataType != "Double" || n.BrowseName != tt.in[i].BrowseName {
					t.Fatalf("node %d: static fields wrong: %+v", i, n)
				}
				got = append(got, named{n.ID, n.Name, n.Group, n.Path})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
			// Deterministic whatever the input order.
			rev := make([]Variable, len(tt.in))
			for i := range tt.in {
				rev[len(tt.in)-1-i] = tt.in[i]
			}
			for i, n := range NameNodes(&tag.SourceInfo{Name: "press"}, rev) {
				if w := tt.want[len(tt.in)-1-i]; n.Path != w.Path {
					t.Fatalf("reversed input: %s got path %s, want %s", n.ID, n.Path, w.Path)
				}
			}
		})
	}
}

// TestNameNodesShareStrings checks that the strings kept per node are
// shared where their text is: Name (and a safe BrowseName) is the tail of
// Path, and the variables of one folder share its Group. A source holds
// 100,000 nodes for its whole life.
func TestNameNodesShareStrings(t *testing.T) {
	t.Parallel()
	// Each browse name is its own string, as decoded from a response.
	name := func(s string) string { return string([]byte(s)) }
	vars := []Variable{
		{ID: ua.NewStringNodeID(2, "a"), BrowseName: name("Temp"), Path: []string{"Plant", "Line 1"}},
		{ID: ua.NewStringNodeID(2, "b"), BrowseName: name("Speed"), Path: []string{"Plant", "Line 1"}},
		{ID: ua.NewStringNodeID(2, "c"), BrowseName: name("Speed"), Path: []string{"Plant", "Line 1"}},
		{ID: ua.NewStringNodeID(2, "d"), BrowseName: name("Motor 1")},
		{ID: ua.NewStringNodeID(2, "e"), BrowseName: name("Top")},
	}
	nodes := NameNodes(&tag.SourceInfo{Name: "press"}, vars)
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	for i, n := range nodes {
		if !same(n.Name, n.Path[len(n.Path)-len(n.Name):]) {
			t.Errorf("node %s: Name %q is not the tail of Path %q", n.ID, n.Name, n.Path)
		}
		if n.BrowseName == n.Name && !same(n.BrowseName, n.Name) {
			t.Errorf("node %s: safe BrowseName %q is a string of its own", n.ID, n.BrowseName)
		}
		if n.BrowseName != vars[i].BrowseName {
			t.Errorf("node %s: BrowseName %q, want %q", n.ID, n.BrowseName, vars[i].BrowseName)
		}
	}
	if nodes[2].Name != "Speed_2" || nodes[3].BrowseName != "Motor 1" || nodes[3].Name != "Motor_1" {
		t.Errorf("names %q %q %q", nodes[2].Name, nodes[3].BrowseName, nodes[3].Name)
	}
	if nodes[0].Group != "Plant.Line_1" || !same(nodes[0].Group, nodes[1].Group) || !same(nodes[0].Group, nodes[2].Group) {
		t.Errorf("groups %q %q %q are not one string", nodes[0].Group, nodes[1].Group, nodes[2].Group)
	}
}
