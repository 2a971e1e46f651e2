package agent

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no site file, however broken, makes Parse panic,
// and that Parse returns either a Config or located ConfigErrors.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "configs", "*.yaml"))
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
		var ces ConfigErrors
		if !errors.As(err, &ces) || len(ces) == 0 {
			t.Fatalf("error %v is not a non-empty ConfigErrors", err)
		}
		for _, e := range ces {
			if e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("problem without file or message: %#v", e)
			}
		}
	})
}
