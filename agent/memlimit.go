package agent

import (
	"runtime/debug"

	"github.com/rs/zerolog"
)

// minMemoryLimit is the smallest memory_limit accepted: below it the
// garbage collector would run nearly all the time.
const minMemoryLimit = 32 << 20

// applyMemoryLimit sets the soft memory limit of the Go runtime from
// memory_limit, unless GOMEMLIMIT is set in the environment (the runtime
// has applied that one already and it wins). 0 leaves the limit as it is.
func applyMemoryLimit(limit int64, getenv func(string) string, log zerolog.Logger) {
	if limit <= 0 {
		return
	}
	if env := getenv("GOMEMLIMIT"); env != "" {
		log.Info().Str("GOMEMLIMIT", env).Int64("memory_limit", limit).Msg("GOMEMLIMIT is set in the environment; it takes precedence over memory_limit")
		return
	}
	prev := debug.SetMemoryLimit(limit)
	if prev != limit {
		log.Info().Int64("bytes", limit).Msg("memory limit set: the garbage collector works harder as memory nears it")
	}
}
