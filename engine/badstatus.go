package engine

import (
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/edgetag/edgetag/tag"
)

// What the engine does with a sample whose OPC UA status is Bad
// (Config.BadStatus).
const (
	// BadStatusDrop drops it before any stage runs, as United
	// Manufacturing Hub's OPC UA input does, counting it (Stats.BadDropped)
	// and logging it at a limited rate. The default.
	BadStatusDrop = "drop"
	// BadStatusKeep runs it through the stages like any other sample;
	// msg.meta.opcua_status_code names the status.
	BadStatusKeep = "keep"
)

// BadStatuses lists the values of Config.BadStatus.
var BadStatuses = []string{BadStatusDrop, BadStatusKeep}

// Logging of dropped Bad samples: one line per badLogEvery, with the
// number held back since the previous one.
const (
	badLogEvery = 10 * time.Second
	badLogBurst = 3
)

// statusBad reports whether an OPC UA status code has Bad severity: its
// top two bits are 10 or 11 (OPC UA Part 4, 7.39). Good and Uncertain
// values carry usable data and are kept.
func statusBad(code uint32) bool { return code>>30 >= 2 }

// badFilter drops samples with a Bad status when enabled.
type badFilter struct {
	drop       bool
	dropped    atomic.Uint64
	limit      *rate.Limiter
	suppressed atomic.Uint64
}

func newBadFilter(mode string) *badFilter {
	return &badFilter{drop: mode != BadStatusKeep, limit: rate.NewLimiter(rate.Every(badLogEvery), badLogBurst)}
}

// dropped reports whether s is to be dropped for its Bad status, and then
// counts and logs it.
func (e *Engine) droppedBad(s *tag.Sample) bool {
	b := e.bad
	if !b.drop || !statusBad(s.Status) {
		return false
	}
	b.dropped.Add(1)
	if !b.limit.Allow() {
		b.suppressed.Add(1)
		return true
	}
	ev := e.log.Warn().Str("node", s.Node.ID).Str("status", e.statusName(s.Status))
	if n := b.suppressed.Swap(0); n > 0 {
		ev = ev.Uint64("suppressed", n)
	}
	ev.Msg("value with a Bad status dropped, as United Manufacturing Hub does; tag_processor.bad_status: keep passes such values to the scripts")
	return true
}
