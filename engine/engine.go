package engine

import (
	"errors"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// Engine runs the compiled tag_processor on a bounded pool of runtimes.
// It is safe for concurrent use.
type Engine struct{}

// New compiles every snippet of cfg and prepares the runtime pool. It returns
// every compile error at once (each a *CompileError, joined).
func New(cfg Config, log zerolog.Logger) (*Engine, error) {
	return nil, errors.New("engine: not implemented")
}

// Process runs all stages for one sample and appends the resulting messages
// to dst, returning the extended slice. Every message that fails is reported
// to fail (which may be nil) and counted; it never affects the others. It
// blocks only while waiting for a free runtime and for at most the
// configured timeout while scripts run.
func (e *Engine) Process(s *tag.Sample, dst []tag.Message, fail func(Failure)) []tag.Message {
	return dst
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats { return Stats{} }
