package engine

import (
	"errors"
	"strconv"
)

// Hard limits on the work one sample may cause. Each is enforced while the
// work runs (before an array is walked, while a payload is encoded, before a
// built-in allocates), so a message beyond one fails alone, with reason
// limit and a *LimitError naming the limit, instead of stalling its runtime
// or exhausting memory.
const (
	// MaxFanOut bounds the messages one sample may become at any stage: an
	// array a stage returns longer than this fails before it is walked,
	// and so does a stage whose results for all messages add up to more.
	MaxFanOut = 10_000
	// MaxPayloadElements bounds the elements of an array and the keys of an
	// object in a published payload.
	MaxPayloadElements = 100_000
	// DefaultMaxPayloadBytes is the encoded size of a published payload
	// allowed when Config.MaxPayloadBytes is 0; it equals NATS' default
	// max_payload (1 MiB).
	DefaultMaxPayloadBytes = 1 << 20
	// MaxScriptArrayLength bounds the length of an array that a script's
	// built-ins create or walk (new Array(n), Array.from, fill, join, ...):
	// goja runs them to completion without looking at the deadline.
	MaxScriptArrayLength = 1 << 20
	// MaxScriptStringLength bounds, in UTF-16 code units, the strings that
	// String.prototype.repeat, padStart and padEnd build.
	MaxScriptStringLength = 1 << 22
	// MaxNesting bounds the nesting of brackets in a snippet, checked
	// before goja's recursive parser sees it.
	MaxNesting = 1000
	// MaxConsoleLine bounds the bytes of one console.* log line; a longer
	// line is cut and marked with "…(truncated N bytes)".
	MaxConsoleLine = 8 << 10
)

// Limit names, as LimitError.Limit.
const (
	LimitFanOut          = "fan_out"
	LimitPayloadElements = "payload_elements"
	LimitPayloadDepth    = "payload_depth"
	LimitPayloadBytes    = "payload_bytes"
	LimitArrayLength     = "array_length"
	LimitStringLength    = "string_length"
	LimitCacheBytes      = "cache_bytes"
)

// LimitError is a message that went beyond one of the engine's hard
// limits (reason limit).
type LimitError struct {
	// Limit names the limit (one of the Limit* constants).
	Limit string
	// Max is the limit's value; Got what the message asked for (0 when
	// unknown, e.g. when encoding stopped as soon as Max was passed).
	Max, Got int64
	// Detail, when set, replaces the numbers in the message.
	Detail string
}

// Error renders "limit fan_out: 4294967295 exceeds 10000".
func (e *LimitError) Error() string {
	s := "limit " + e.Limit + ": "
	if e.Detail != "" {
		return s + e.Detail
	}
	if e.Got > 0 {
		return s + strconv.FormatInt(e.Got, 10) + " exceeds " + strconv.FormatInt(e.Max, 10)
	}
	return s + "more than " + strconv.FormatInt(e.Max, 10)
}

// limitFailure is the Failure of the named stage for a limit error.
func limitFailure(stage string, err error) Failure {
	return Failure{Stage: stage, Reason: ReasonLimit, Err: err}
}

// asLimit returns the *LimitError err wraps, if any.
func asLimit(err error) (*LimitError, bool) {
	var le *LimitError
	ok := errors.As(err, &le)
	return le, ok
}

// errLimit builds a *LimitError.
func errLimit(limit string, max, got int64) error {
	return &LimitError{Limit: limit, Max: max, Got: got}
}

// HardMaxPayloadBytes bounds every encoding of a script value, whatever
// the configuration: NATS refuses payloads beyond 64 MiB in any case.
const HardMaxPayloadBytes = 64 << 20

// errPayloadBytes stops an encoding that passed its size bound; the caller
// turns it into a *LimitError with the bound it set.
var errPayloadBytes = errors.New("payload too large")
