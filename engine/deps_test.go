package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineKnowsNothingOfOPCUA keeps gopcua out of the engine's build
// (DESIGN §1): OPC UA names reach it through Config.StatusName, and the
// offline JSON-lines input lives in engine/jsonl.
func TestEngineKnowsNothingOfOPCUA(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if strings.HasPrefix(dep, "github.com/gopcua/") || dep == "github.com/edgetag/edgetag/opcua" {
			t.Errorf("the engine depends on %s", dep)
		}
	}
}
