package siteconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no site file, however broken, makes Parse panic,
// and that Parse returns either a Config or located Errors.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	for _, file := range append(files, "reference.yaml") {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		minimal,
		"",
		"---\n---\n",
		"a: &a [*a]\n",
		"sources: &s [*s]\n",
		"<<: {site: x}\n",
		"a: &a {<<: [*a, *a]}\n",
		"x: &x0 {k: 1}\ny: &x1 {<<: [*x0, *x0]}\nz: &x2 {<<: [*x1, *x1]}\n",
		"sources:\n  - <<: [*x]\n",
		"site: ${A:${B}}\nstate_dir: $${C\n",
		"nats: {url: '${U:nats://a:1,,tls://b:2}'}\n",
		"tag_processor: {conditions: [{if: [1], then: {a: b}}]}\n",
		"sources: [{name: a, endpoint: 'opc.tcp://[::1]:4840', nodes: [{id: 'nsu=;s=x'}]}]\n",
		"queue_size: 0x10\nworkers: 1_000\n",
		"nats: {jetstream: {max_bytes: 9223372036854775807KiB}}\n",
	} {
		f.Add([]byte(s))
	}
	lookup := env(map[string]string{"A": "1", "U": "", "S7_USER": "u", "S7_PASS": "p", "KEP_USER": "u", "KEP_PASS": "p", "OPC_PASS": "p"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml", lookup)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			return
		}
		var ces Errors
		if !errors.As(err, &ces) || len(ces) == 0 {
			t.Fatalf("error %v is not a non-empty Errors", err)
		}
		for _, e := range ces {
			if e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("problem without file or message: %#v", e)
			}
		}
	})
}

// FuzzNodesFile checks that no nodes file, in either form, makes its
// reader panic, that every id it yields is non-empty and trimmed, with a
// line that grows, and that every problem has a line.
func FuzzNodesFile(f *testing.F) {
	for _, s := range []string{
		"ns=2;s=A\n# c\n\n  i=85  \n",
		"\uFEFFid,name\nns=2;s=A,Line1.A\n",
		"Name,ID\nx,\"ns=3;s=\"\"DB1\"\".\"\"a\"\"\"\n",
		"id\n\"ns=2;s=B\n",
		"id,name\nns=2;s=A\nns=2;s=B,b,c\n,x\n",
		"a,b\n1,2\n",
		"",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, csvForm bool) {
		last := 0
		each := func(e nodeEntry) bool {
			if e.id == "" || strings.TrimSpace(e.id) != e.id {
				t.Fatalf("entry with an empty or untrimmed id %q", e.id)
			}
			if e.line <= last {
				t.Fatalf("entry at line %d after line %d", e.line, last)
			}
			last = e.line
			return true
		}
		problem := func(line int, format string, args ...any) {
			if line < 0 || fmt.Sprintf(format, args...) == "" {
				t.Fatalf("problem at line %d without a message", line)
			}
		}
		if csvForm {
			readNodesCSV(bytes.NewReader(data), each, problem)
		} else {
			readNodesLines(bytes.NewReader(data), each, problem)
		}
	})
}
