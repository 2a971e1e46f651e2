package siteconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tagListSite returns a site file listing n explicit node ids, as pasted
// from a tag export; bad, when >= 0, replaces node bad's line with badLine.
// The node ids are on lines 6 to n+5.
func tagListSite(n, bad int, badLine string) string {
	var b strings.Builder
	b.Grow(n * 40)
	b.WriteString("site: big\nsources:\n  - name: plc\n    endpoint: opc.tcp://127.0.0.1:4840\n    nodes:\n")
	for i := range n {
		if i == bad {
			b.WriteString(badLine + "\n")
			continue
		}
		fmt.Fprintf(&b, "      - id: ns=2;s=Line1.Tag%d\n", i)
	}
	b.WriteString("tag_processor:\n  defaults: |\n    msg.meta.location_path = \"acme.big\";\n" +
		"    msg.meta.data_contract = \"_historian\";\n    msg.meta.tag_name = msg.meta.opcua_tag_name;\n    return msg;\n")
	return b.String()
}

// TestCheckHundredThousandNodes checks that a tag list of 100,000 explicit
// node ids loads and passes check, and that one mistake among them is one
// problem at its own line: the alias guard counts expansion, not the
// values written in the file, and no mistake is reported again as a
// missing value.
func TestCheckHundredThousandNodes(t *testing.T) {
	t.Parallel()
	const n = 100_000
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(tagListSite(n, -1, "")), 0o600); err != nil {
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
	line := bad + 6
	tests := []struct {
		name, badLine string
		want          want
	}{
		{"bad id", "      - id: ns=2;x=Line1.Tag77777",
			want{fmt.Sprintf("%d:13", line), fmt.Sprintf("sources[0].nodes[%d].id", bad), "identifier must start with"}},
		{"misspelled key", "      - {idd: ns=2;s=Line1.Tag77777}",
			want{fmt.Sprintf("%d:10", line), fmt.Sprintf("sources[0].nodes[%d].idd", bad), `unknown key "idd" (did you mean "id"?)`}},
		{"not a mapping", "      - ns=2;s=Line1.Tag77777",
			want{fmt.Sprintf("%d:9", line), fmt.Sprintf("sources[0].nodes[%d]", bad), "must be a mapping"}},
		{"empty id", "      - {id: }",
			want{fmt.Sprintf("%d", line), fmt.Sprintf("sources[0].nodes[%d].id", bad), "is required"}},
		{"duplicate", "      - id: ns=2;s=Line1.Tag12",
			want{fmt.Sprintf("%d:13", line), fmt.Sprintf("sources[0].nodes[%d].id", bad), `duplicate node "ns=2;s=Line1.Tag12" (already nodes[12], line 18)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "broken.yaml")
			if err := os.WriteFile(path, []byte(tagListSite(n, bad, tt.badLine)), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, noEnv)
			checkErrors(t, err, []want{tt.want})
			if errs := Check(path, noEnv); len(errs) != 1 {
				t.Fatalf("check found %d problems, want 1; first: %v", len(errs), errs[0])
			}
		})
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
