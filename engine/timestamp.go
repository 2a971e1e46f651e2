package engine

import (
	"strconv"
	"strings"
	"time"
)

// parseTimestampMs parses a meta timestamp (timestamp_ms or timestamp) into
// Unix milliseconds. It accepts integer milliseconds ("1700000000123", "0",
// "-5"; a leading "+" too), decimal milliseconds as JavaScript's String()
// prints a non-integer number ("1700000000123.9", truncated toward zero),
// and RFC 3339 with any offset ("2024-01-02T03:04:05.123456+02:00"), its
// fraction truncated to milliseconds, never rounded. ok is false for
// anything else, including an empty string, values out of the int64 range,
// and times without an offset; the caller then falls back to the next
// timestamp source.
func parseTimestampMs(s string) (ms int64, ok bool) {
	if s == "" {
		return 0, false
	}
	if strings.ContainsAny(s, "T:") {
		return parseRFC3339Ms(s)
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if hasPoint {
		if frac == "" {
			return 0, false
		}
		for i := 0; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return 0, false
			}
		}
	}
	// ParseInt accepts an optional sign and digits only: no spaces, no
	// underscores, no exponent.
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// parseRFC3339Ms parses RFC 3339 (any number of fraction digits) and
// truncates to milliseconds.
func parseRFC3339Ms(s string) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}
