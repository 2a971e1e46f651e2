package siteconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/edgetag/edgetag/opcua"
)

// nodesFileSite writes a site file whose source lists nodes (a YAML
// block, "" for none) and names nodesFile, and the files of extra (name to
// content) next to it, in a directory of their own. It returns the site
// file's path.
func nodesFileSite(t *testing.T, nodes, nodesFile string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	site := "sources:\n  - name: plc\n    endpoint: opc.tcp://127.0.0.1:4840\n"
	if nodes != "" {
		site += "    nodes:\n" + nodes
	}
	if nodesFile != "" {
		site += "    nodes_file: " + nodesFile + "\n"
	}
	for name, content := range extra {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(path, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// node is a NodeConfig as a nodes: entry with only id (and name) gives it.
func node(id, name string) opcua.NodeConfig {
	return opcua.NodeConfig{ID: id, Name: name, MaxDepth: opcua.DefaultMaxDepth, MaxNodes: opcua.DefaultMaxNodes}
}

func TestNodesFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		nodes string            // nodes: block
		file  string            // nodes_file value
		files map[string]string // written next to the site file
		want  []opcua.NodeConfig
	}{
		{
			name: "one id per line",
			file: "tags.txt",
			files: map[string]string{"tags.txt": "\uFEFF# press hall, exported 2026-11-30\n" +
				"ns=2;s=Press1.Speed\n\n   \n  ns=2;s=Press1.Force  \n  # a comment\ni=2258\nnsu=urn:acme:plc;s=Motor 1\n"},
			want: []opcua.NodeConfig{node("ns=2;s=Press1.Speed", ""), node("ns=2;s=Press1.Force", ""),
				node("i=2258", ""), node("nsu=urn:acme:plc;s=Motor 1", "")},
		},
		{
			name: "csv with id and name among other columns, in a subfolder",
			file: "exports/tags.CSV",
			files: map[string]string{"exports/tags.CSV": "\uFEFF# comment line\n#\nName,Address,ID,Description\n" +
				"#1 Pump.Flow,DB2.DBD0,ns=3;s=Pump1.Flow,a row: only lines before the header are comments\n" +
				"Hall1.Press1.Speed,DB1.DBD0,\"ns=3;s=\"\"DB1\"\".\"\"Speed\"\"\",\"spindle, main\"\n" +
				",DB1.DBD4,\"ns=3;s=\"\"DB1\"\".\"\"Force\"\"\",\n" +
				"\"Hall1.Press1.Temp\",x,\"ns=3;s=a,b\",\"two\nlines\"\n"},
			want: []opcua.NodeConfig{node("ns=3;s=Pump1.Flow", "#1 Pump.Flow"),
				node(`ns=3;s="DB1"."Speed"`, "Hall1.Press1.Speed"), node(`ns=3;s="DB1"."Force"`, ""),
				node("ns=3;s=a,b", "Hall1.Press1.Temp")},
		},
		{
			name:  "nodes first, then the file",
			nodes: "      - id: ns=2;s=Line1\n        max_depth: 3\n      - id: i=85\n        name: Plant.Root\n",
			file:  "tags.txt",
			files: map[string]string{"tags.txt": "ns=2;s=Line2.Speed\n"},
			want: []opcua.NodeConfig{{ID: "ns=2;s=Line1", MaxDepth: 3, MaxNodes: opcua.DefaultMaxNodes},
				node("i=85", "Plant.Root"), node("ns=2;s=Line2.Speed", "")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := nodesFileSite(t, tt.nodes, tt.file, tt.files)
			cfg, err := Load(path, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.Sources[0].Nodes); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
			if errs := Check(path, noEnv); len(errs) > 0 {
				t.Errorf("check: %v", errs)
			}
		})
	}
}

// TestNodesFileSameAsNodes checks that nodes listed in a nodes_file are
// exactly the nodes the same ids give as nodes: entries.
func TestNodesFileSameAsNodes(t *testing.T) {
	t.Parallel()
	ids := []string{"ns=2;s=Line1.Speed", "i=2258", "nsu=urn:acme:plc;s=Motor", `ns=3;s="DB1"."Force"`}
	var yamlNodes, lines strings.Builder
	for _, id := range ids {
		yamlNodes.WriteString("      - id: '" + id + "'\n")
		lines.WriteString(id + "\n")
	}
	fromYAML, err := Load(nodesFileSite(t, yamlNodes.String(), "", nil), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := Load(nodesFileSite(t, "", "tags.txt", map[string]string{"tags.txt": lines.String()}), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML.Sources, fromFile.Sources); diff != "" {
		t.Errorf("sources (-nodes +nodes_file):\n%s", diff)
	}
}

func TestNodesFileErrors(t *testing.T) {
	t.Parallel()
	type fileWant struct {
		file string // base name of the file the problem is in
		line int
		path string
		msg  string
	}
	tests := []struct {
		name  string
		nodes string
		file  string
		files map[string]string
		want  []fileWant
	}{
		{
			name: "missing file",
			file: "tags.txt",
			want: []fileWant{{"site.yaml", 4, "sources[0].nodes_file", "cannot read the nodes file: open "}},
		},
		{
			name:  "one bad id is one problem at its line",
			file:  "tags.txt",
			files: map[string]string{"tags.txt": "ns=2;s=A\n# c\nns=2;x=B\nns=2;s=C\n"},
			want:  []fileWant{{"tags.txt", 3, "sources[0].nodes_file", "ns=2;x=B"}},
		},
		{
			name:  "duplicate of a nodes: entry and within the file",
			nodes: "      - id: ns=2;s=A\n",
			file:  "tags.txt",
			files: map[string]string{"tags.txt": "ns=2;s=B\nns=2;s=A\nns=2;s=B\n"},
			want: []fileWant{
				{"tags.txt", 2, "sources[0].nodes_file", `duplicate node "ns=2;s=A" (already nodes[0], line 5)`},
				{"tags.txt", 3, "sources[0].nodes_file", `duplicate node "ns=2;s=B" (already `},
			},
		},
		{
			name:  "empty file",
			file:  "tags.txt",
			files: map[string]string{"tags.txt": "# nothing yet\n\n"},
			want:  []fileWant{{"site.yaml", 4, "sources[0].nodes_file", "lists no node ids"}},
		},
		{
			name:  "csv without an id column",
			file:  "tags.csv",
			files: map[string]string{"tags.csv": "# export\nTag,Address\nSpeed,ns=2;s=A\n"},
			want:  []fileWant{{"tags.csv", 2, "sources[0].nodes_file", `no id column (it has "Tag", "Address")`}},
		},
		{
			name:  "csv lines after comments",
			file:  "tags.csv",
			files: map[string]string{"tags.csv": "# export\n# of line 1\nid,name\nns=2;s=A,x\nns=2;x=B,y\n\"ns=2;s=C\n"},
			want: []fileWant{
				{"tags.csv", 5, "sources[0].nodes_file", `node id "ns=2;x=B"`},
				{"tags.csv", 6, "sources[0].nodes_file", "invalid CSV: "},
			},
		},
		{
			name:  "csv row with a wrong field count, an empty id and a bad name",
			file:  "tags.csv",
			files: map[string]string{"tags.csv": "id,name\nns=2;s=A,Speed\nns=2;s=B\n,Force\nns=2;s=C,Line1..Temp\nns=2;s=D,Ok\n"},
			want: []fileWant{
				{"tags.csv", 3, "sources[0].nodes_file", "invalid CSV: wrong number of fields"},
				{"tags.csv", 4, "sources[0].nodes_file", "the id column is empty"},
				{"tags.csv", 5, "sources[0].nodes_file", `name "Line1..Temp": "Line1..Temp" has an empty part`},
			},
		},
		{
			name:  "csv syntax error stops the file",
			file:  "tags.csv",
			files: map[string]string{"tags.csv": "id\nns=2;s=A\n\"ns=2;s=B\n"},
			want:  []fileWant{{"tags.csv", 3, "sources[0].nodes_file", "invalid CSV: "}},
		},
		{
			name:  "a wrong file is not a problem per line",
			file:  "tags.txt",
			files: map[string]string{"tags.txt": strings.Repeat("Speed;40001;Word\n", 1000)},
			want: append(slices.Repeat([]fileWant{{"tags.txt", 0, "sources[0].nodes_file", "identifier must start"}}, 20),
				fileWant{"tags.txt", 21, "sources[0].nodes_file", "980 more problems from this line on are not listed"}),
		},
		{
			name:  "bad name in nodes:",
			nodes: "      - id: ns=2;s=A\n        name: .Speed\n",
			want:  []fileWant{{"site.yaml", 6, "sources[0].nodes[0].name", `".Speed" has an empty part`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := nodesFileSite(t, tt.nodes, tt.file, tt.files)
			_, err := Load(path, noEnv)
			var ces Errors
			if !errors.As(err, &ces) {
				t.Fatalf("error %v is not a Errors", err)
			}
			if len(ces) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ces), len(tt.want), err)
			}
			for i, w := range tt.want {
				e := ces[i]
				if filepath.Base(e.File) != w.file || w.line > 0 && e.Line != w.line || e.Path != w.path || !strings.Contains(e.Msg, w.msg) {
					t.Errorf("problem %d = %q, want %s:%d: %s: ...%s...", i, e.Error(), w.file, w.line, w.path, w.msg)
				}
			}
			// check names the file and line in its output.
			if got := Check(path, noEnv); len(got) != len(tt.want) {
				t.Errorf("check found %d problems, want %d: %v", len(got), len(tt.want), got)
			}
		})
	}
}
