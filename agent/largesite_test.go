package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tagListSite returns a site file listing n explicit node ids, as pasted
// from a tag export; bad, when >= 0, replaces node bad's id with an
// invalid one. The node ids are on lines 6 to n+5.
func tagListSite(n, bad int) string {
	var b strings.Builder
	b.Grow(n * 40)
	b.WriteString("site: big\nsources:\n  - name: plc\n    endpoint: opc.tcp://127.0.0.1:4840\n    nodes:\n")
	for i := range n {
		if i == bad {
			fmt.Fprintf(&b, "      - id: ns=2;x=Line1.Tag%d\n", i)
			continue
		}
		fmt.Fprintf(&b, "      - id: ns=2;s=Line1.Tag%d\n", i)
	}
	b.WriteString("tag_processor:\n  defaults: |\n    msg.meta.location_path = \"acme.big\";\n" +
		"    msg.meta.data_contract = \"_historian\";\n    msg.meta.tag_name = msg.meta.opcua_tag_name;\n    return msg;\n")
	return b.String()
}

// TestCheckHundredThousandNodes checks that a tag list of 100,000 explicit
// node ids loads and passes check, and that one bad id among them is one
// problem at its own line: the alias guard counts expansion, not the
// values written in the file.
func TestCheckHundredThousandNodes(t *testing.T) {
	t.Parallel()
	const n = 100_000
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(tagListSite(n, -1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if errs := Check(good, noEnv); len(errs) > 0 {
		t.Fatalf("got %d problems, want none; first: %v", len(errs), errs[0])
	}
	cfg, err := Load(good, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Sources[0].Nodes); got != n {
		t.Fatalf("got %d nodes, want %d", got, n)
	}
	if got, want := cfg.Sources[0].Nodes[n-1].ID, fmt.Sprintf("ns=2;s=Line1.Tag%d", n-1); got != want {
		t.Fatalf("last node %q, want %q", got, want)
	}

	const bad = 77_777
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte(tagListSite(n, bad)), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := Check(broken, noEnv)
	if len(errs) != 1 {
		t.Fatalf("got %d problems, want 1; first: %v", len(errs), errs[0])
	}
	want := fmt.Sprintf("%s:%d:13: sources[0].nodes[%d].id: ", broken, bad+6, bad)
	if got := errs[0].Error(); !strings.HasPrefix(got, want) {
		t.Fatalf("problem %q, want it to start with %q", got, want)
	}
}

// TestAliasExpansionBound checks that values reached through aliases are
// counted, and that exceeding the bound is one problem, not a cascade of
// values reported missing.
func TestAliasExpansionBound(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("x-patterns: &inc [")
	for i := range 300 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"p%d/**\"", i)
	}
	b.WriteString("]\nsources:\n  - name: plc\n    endpoint: opc.tcp://h:4840\n    nodes:\n      - &node {id: i=85, include: *inc}\n")
	for range 999 {
		b.WriteString("      - *node\n")
	}
	_, err := Parse([]byte(b.String()), "bomb.yaml", noEnv)
	checkErrors(t, err, []want{
		{"1:1", "x-patterns", `unknown key "x-patterns"`},
		{"661:9", "sources[0].nodes[655]", "expand to more than 200000 values"},
	})
}
