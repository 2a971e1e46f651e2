package agent

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/rs/zerolog"
)

// TestApplyMemoryLimit sets the process-wide limit, so it does not run in
// parallel with anything and puts the limit back.
func TestApplyMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	debug.SetMemoryLimit(math.MaxInt64)

	noEnv := func(string) string { return "" }
	applyMemoryLimit(0, noEnv, zerolog.Nop())
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory_limit 0 changed the limit to %d", got)
	}
	applyMemoryLimit(64<<20, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	}, zerolog.Nop())
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, the limit changed to %d", got)
	}
	applyMemoryLimit(64<<20, noEnv, zerolog.Nop())
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("limit %d, want %d", got, 64<<20)
	}
}

func TestMemoryLimitValidation(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(minimal+"memory_limit: 200MiB\n"), "site.yaml", noEnv)
	if err != nil || cfg.MemoryLimit != 200<<20 {
		t.Fatalf("200MiB: %v, %+v", err, cfg)
	}
	_, err = Parse([]byte(minimal+"memory_limit: 1MiB\n"), "site.yaml", noEnv)
	checkErrors(t, err, []want{{"6:15", "memory_limit", "below the smallest useful limit"}})
}
