package engine

import (
	"os"
	"regexp"
	"testing"
)

// checkedGoja is the goja version the engine's reliance on goja's
// internals was last checked against.
const checkedGoja = "v0.0.0-20260917113740-793a2a65c13b"

// TestGojaVersionChecked fails when goja changes, so that an upgrade
// re-checks what the engine copies from or relies on in goja.
func TestGojaVersionChecked(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*(replace\s+)?github\.com/dop251/goja( \S+)? =>`).Match(mod) {
		t.Fatal("go.mod replaces goja: check the replacement as for an upgrade (see below) and pin it here")
	}
	m := regexp.MustCompile(`(?m)^\s*(require\s+)?github\.com/dop251/goja (\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/dop251/goja")
	}
	if got := string(m[2]); got != checkedGoja {
		t.Fatalf(`goja is %s, the engine was checked against %s. Before changing checkedGoja, re-check:
  - payloadexpr.go and payloadcmp.go copy goja's number rules (intToValue/floatToValue,
    the integer fast paths and overflow of + - * / %%, -0, NaN, Math.round/floor/ceil/trunc/abs/min/max,
    number comparison); run FuzzPayloadArithmetic and FuzzPayloadComparison for a while;
  - nodestate.go (shareable) shares goja strings between runtimes, relying on an imported string
    being written only by its first Length scan (goja's own rule is that values stay in their runtime);
  - stagecache.go and cacheable.go rely on goja's AST shapes for what a stage reads and writes;
  then run go test -race ./engine/ ./agent/ and TestShortcutsMatchPlainJavaScript with -count 20`, got, checkedGoja)
	}
}
